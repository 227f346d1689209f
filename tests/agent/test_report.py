"""build_report: every probe's section, stamped from the state; a broken probe never stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import probes
from agent.probes import ProbeContext
from agent.report import build_report, effective_role
from agent.state import AgentState
from agent.wire.schema import Hardware, Role, decode_report, encode_report
from tests.agent.conftest import T0, config_for

STATE = AgentState(agent_id="ag-7", key="ab" * 32, server="http://127.0.0.1:1", unit_code="XA", role=Role.NORMAL)


def test_it_stamps_identity_from_state_sequence_and_now(tmp_path: Path) -> None:
    report = build_report(config_for(tmp_path), STATE, 42, T0)
    identity = report.identity
    assert (identity.agent_id, identity.unit_code, identity.sequence, identity.collected_at) == ("ag-7", "XA", 42, T0)
    assert all(getattr(report, name) is not None for name in probes.PROBES)
    assert decode_report(encode_report(report)) == report


def test_without_enrollment_the_ids_are_null(tmp_path: Path) -> None:
    report = build_report(config_for(tmp_path), None, 0, T0)
    assert (report.identity.agent_id, report.identity.unit_code, report.role) == (None, None, Role.NORMAL)


def test_a_probe_that_raises_leaves_its_section_empty_with_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx: ProbeContext) -> Hardware:
        raise RuntimeError("bug in the probe")

    monkeypatch.setitem(probes.PROBES, "hardware", broken)
    report = build_report(config_for(tmp_path), STATE, 1, T0)
    assert report.hardware is not None and report.hardware.ram_bytes is None
    errors = [(e.what, e.reason) for e in report.hardware.errors]
    assert errors == [("probe hardware", "RuntimeError: bug in the probe")]
    assert report.network is not None and report.network.interfaces  # the rest still went out


def test_even_a_broken_identity_probe_gives_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: ProbeContext) -> Hardware:
        raise OSError("gone")

    monkeypatch.setitem(probes.PROBES, "identity", broken)
    report = build_report(config_for(tmp_path), STATE, 3, T0)
    assert report.identity.sequence == 3 and report.identity.errors[0].what == "probe identity"


@pytest.mark.parametrize(
    ("configured", "enrolled", "expected"),
    [
        (Role.NORMAL, Role.NORMAL, Role.NORMAL),
        (Role.OFFLINE, Role.NORMAL, Role.OFFLINE),
        (Role.NORMAL, Role.OFFLINE, Role.OFFLINE),  # the config left at its default does not undo it
        (Role.OFFLINE, None, Role.OFFLINE),
    ],
)
def test_the_pc_is_offline_when_either_source_says_so(
    tmp_path: Path, configured: Role, enrolled: Role | None, expected: Role
) -> None:
    state = None if enrolled is None else AgentState(agent_id="a", key="00", server="s", unit_code="u", role=enrolled)
    assert effective_role(config_for(tmp_path, role=configured), state) is expected
