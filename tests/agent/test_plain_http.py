"""Over plain HTTP the agent says so once per run, and its reports say how they travel (issue 14.6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.config import AgentConfig
from agent.report import transport_of
from agent.state import AgentState
from agent.tls import TrustError, parse_fingerprint, plain_http_warning
from agent.wire.schema import Role, Transport, decode_report
from canhgac.cli import main
from tests.agent.conftest import GOOD_TOKEN, FakeCollector, config_for, enrolled

WARNING = "is plain HTTP: reports travel unencrypted"


def test_run_once_over_plain_http_warns_exactly_once_and_still_delivers(state_dir: Path,
                                                                        collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    for _ in range(2):  # a report left over from before goes out too: still one warning
        result = CliRunner().invoke(main, ["agent", "run", "--once", "--state-dir", str(state_dir)])
        assert result.exit_code == 0, result.output
        assert result.stderr.count(WARNING) == 1
    sent = [decode_report(r.body) for r in collector.received if r.path == "/api/v1/reports"]
    assert [r.identity.transport for r in sent] == [Transport.HTTP, Transport.HTTP]


def test_enrolling_over_plain_http_warns_and_refuses_a_ca_or_fingerprint(state_dir: Path,
                                                                         collector: FakeCollector) -> None:
    done = CliRunner().invoke(main, ["agent", "enroll", "--server", collector.url, "--token", GOOD_TOKEN,
                                     "--state-dir", str(state_dir)])
    assert done.exit_code == 0 and done.stderr.count(WARNING) == 1
    pinned = CliRunner().invoke(main, ["agent", "enroll", "--server", collector.url, "--token", GOOD_TOKEN,
                                       "--fingerprint", "sha256:" + "ab" * 32, "--state-dir", str(state_dir)])
    assert pinned.exit_code == 2 and "are for an https:// collector" in pinned.stderr


@pytest.mark.parametrize(("server", "role", "expected"), [
    ("https://c.xa.local:8470", Role.NORMAL, Transport.HTTPS),
    ("HTTP://10.0.0.2:8470", Role.NORMAL, Transport.HTTP),
    ("http://10.0.0.2:8470", Role.OFFLINE, None),
    ("", Role.NORMAL, None),
])
def test_the_report_names_its_transport(state_dir: Path, server: str, role: Role, expected: Transport | None) -> None:
    state = AgentState(agent_id="a", key="k", server=server, unit_code="XA", role=role)
    config: AgentConfig = config_for(state_dir)
    assert transport_of(config, state) == expected
    assert plain_http_warning("https://c.xa.local") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("sha256:" + "AB:" * 31 + "AB", "ab" * 32),
    ("SHA256 Fingerprint=" + "0F:" * 31 + "0F", "0f" * 32),
    ("cd" * 32, "cd" * 32),
])
def test_fingerprints_are_read_as_openssl_prints_them(text: str, expected: str) -> None:
    assert parse_fingerprint(text) == expected


@pytest.mark.parametrize("text", ["sha1:" + "ab" * 20, "sha256:xyz", "", "ab" * 31])
def test_a_fingerprint_that_is_not_sha256_is_refused(text: str) -> None:
    with pytest.raises(TrustError, match="is not a SHA-256 fingerprint"):
        parse_fingerprint(text)
