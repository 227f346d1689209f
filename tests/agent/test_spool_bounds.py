"""The spool's bounds (count and bytes, from the config), the media seals the agent writes,
and the delivery keys of the [agent] table."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent import spool
from agent.config import ConfigError, make_config
from agent.wire.media import (
    MediaError,
    OfflineEnrollment,
    open_enrollment_file,
    read_kind,
    seal_enrollment,
    secret_of_token,
    verify_enrollment,
)
from agent.wire.schema import encode_report
from agent.wire.signing import new_key
from canhgac.cli import main
from tests.factories import T0, make_report


def fill(state_dir: Path, sequences: range) -> None:
    for sequence in sequences:
        spool.write(state_dir, sequence, encode_report(make_report("ag-1", sequence)))


def pending(state_dir: Path) -> list[int]:
    return [entry.sequence for entry in spool.pending(state_dir)]


def test_nothing_is_dropped_within_the_bounds(state_dir: Path) -> None:
    fill(state_dir, range(1, 4))
    assert spool.enforce_bounds(state_dir, max_reports=3, max_bytes=10**6) == []
    assert pending(state_dir) == [1, 2, 3]


def test_past_the_count_the_oldest_go_with_a_warning(state_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    fill(state_dir, range(1, 6))
    with caplog.at_level(logging.WARNING, logger="agent.spool"):
        assert spool.enforce_bounds(state_dir, max_reports=2, max_bytes=10**6, keep=5) == [1, 2, 3]
    assert pending(state_dir) == [4, 5]
    assert caplog.text.count("dropping report") == 3


def test_past_the_bytes_the_oldest_go(state_dir: Path) -> None:
    fill(state_dir, range(1, 5))
    size = spool.entry_path(state_dir, 1).stat().st_size
    assert spool.enforce_bounds(state_dir, max_reports=100, max_bytes=2 * size + size // 2) == [1, 2]
    assert pending(state_dir) == [3, 4]


def test_the_entry_just_written_is_kept_even_alone_past_the_bytes(state_dir: Path) -> None:
    fill(state_dir, range(1, 3))
    assert spool.enforce_bounds(state_dir, max_reports=100, max_bytes=10, keep=2) == [1]
    assert pending(state_dir) == [2]


def test_corrupt_and_set_aside_entries_do_not_count(state_dir: Path) -> None:
    fill(state_dir, range(1, 3))
    spool.set_aside(state_dir, "previous-x")
    fill(state_dir, range(1, 3))
    (spool.spool_dir(state_dir) / "000000000009.json").write_bytes(b"torn")
    spool.pending(state_dir)  # moves the torn one aside
    assert spool.enforce_bounds(state_dir, max_reports=2, max_bytes=10**6) == []


@pytest.mark.parametrize(("key", "value", "words"), [
    ("spool_max_reports", "0", "at least 1"),
    ("spool_max_bytes", "100", "at least 1024"),
    ("send_retries", "-1", "at least 0"),
    ("send_retries", "2.5", "whole number"),
    ("retry_base_s", "0", "above zero"),
])
def test_bad_delivery_settings_name_the_key(state_dir: Path, key: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError, match=key) as caught:
        make_config(state_dir=state_dir, **{key: value})  # type: ignore[arg-type]
    assert words in str(caught.value)


def test_the_delivery_keys_come_from_the_agent_table(tmp_path: Path, state_dir: Path) -> None:
    config = tmp_path / "canhgac.toml"
    config.write_text(f'[agent]\nstate_dir = "{state_dir.as_posix()}"\nspool_max_reports = 0\n'
                      "send_retries = 1\nretry_base_s = 0.5\nspool_max_bytes = 2048\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["agent", "run", "--once", "--config", str(config)])
    assert result.exit_code == 1 and "spool_max_reports = 0" in result.stderr


def enrollment_request() -> OfflineEnrollment:
    return OfflineEnrollment(agent_id="a" * 32, nonce="", wrapped_key="", machine_uid="uid", hostname="pc",
                             created_at=T0)


def test_an_enrollment_seal_opens_only_with_its_token() -> None:
    key = new_key()
    sealed = seal_enrollment("cge_right", key, enrollment_request())
    assert read_kind(sealed) == "canhgac-enrollment" and key.encode() not in sealed
    assert b"cge_right" not in sealed and secret_of_token("cge_right").hex().encode() not in sealed
    envelope = open_enrollment_file(sealed)
    request, unwrapped = verify_enrollment(envelope, secret_of_token("cge_right"))
    assert (request.agent_id, unwrapped) == ("a" * 32, key)
    with pytest.raises(MediaError, match="altered"):
        verify_enrollment(envelope, secret_of_token("cge_wrong"))


def test_two_seals_of_the_same_key_look_different() -> None:
    key = new_key()
    first, second = (seal_enrollment("cge_t", key, enrollment_request()) for _ in range(2))
    assert first != second
