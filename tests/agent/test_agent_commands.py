"""`canhgac agent ...` end to end through click, against a real collector on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent import spool
from agent.state import load_state
from agent.wire.schema import Role, decode_report, encode_report
from canhgac.cli import main
from tests.agent.conftest import GOOD_TOKEN, FakeCollector, enrolled
from tests.factories import make_report


def canhgac(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, prog_name="canhgac")


@pytest.mark.parametrize("command", ["enroll", "collect", "run"])
def test_each_agent_command_has_help_with_its_environment_forms(command: str) -> None:
    result = canhgac("agent", command, "--help")
    assert result.exit_code == 0 and f"Usage: canhgac agent {command}" in result.output
    assert "--state-dir" in result.output and "--config" in result.output
    assert command == "collect" or "CANHGAC_SERVER" in result.output


def test_collect_prints_a_report_the_collector_accepts_and_spends_nothing(state_dir: Path) -> None:
    result = canhgac("agent", "collect", "--state-dir", str(state_dir))
    assert result.exit_code == 0, result.output
    report = decode_report(result.stdout.encode())
    assert report.identity.sequence == 0 and report.identity.agent_id is None and report.hardware
    assert not state_dir.exists()


def test_collect_pretty_is_indented_and_stamped_with_the_enrollment(state_dir: Path,
                                                                     collector: FakeCollector) -> None:
    state = enrolled(state_dir, collector)
    result = canhgac("agent", "collect", "--pretty", "--state-dir", str(state_dir))
    assert result.exit_code == 0 and '\n  "identity": {' in result.stdout
    report = decode_report(result.stdout.encode())
    assert (report.identity.agent_id, report.identity.unit_code, report.identity.sequence) == (state.agent_id, "XA", 0)
    assert load_state(state_dir) == state  # no sequence number used


def test_run_once_without_enrollment_refuses_clearly(state_dir: Path) -> None:
    result = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    assert result.exit_code == 1
    assert "not enrolled" in result.stderr and "canhgac agent enroll --server URL --token TOKEN" in result.stderr


def test_enroll_then_run_once_delivers_report_one(state_dir: Path, collector: FakeCollector) -> None:
    enrolled_out = canhgac("agent", "enroll", "--state-dir", str(state_dir),
                           env={"CANHGAC_SERVER": collector.url, "CANHGAC_TOKEN": GOOD_TOKEN})
    assert enrolled_out.exit_code == 0, enrolled_out.output
    assert "Đã đăng ký / Enrolled: agent ag-1 in unit XA" in enrolled_out.stdout
    ran = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    assert ran.exit_code == 0, ran.output
    assert "Sent: report #1 (stored)" in ran.stdout
    assert decode_report(collector.stored[("ag-1", 1)]).identity.machine_uid


def test_enrolling_again_gives_a_new_id_restarts_at_one_and_keeps_old_reports_aside(
    state_dir: Path, collector: FakeCollector
) -> None:
    old = enrolled(state_dir, collector, next_sequence=8)
    spool.write(state_dir, 7, encode_report(make_report(old.agent_id, 7)))
    result = canhgac("agent", "enroll", "--server", collector.url, "--token", GOOD_TOKEN, "--state-dir", str(state_dir))
    assert result.exit_code == 0, result.output
    state = load_state(state_dir)
    assert state is not None and state.agent_id != old.agent_id and state.next_sequence == 1
    assert spool.pending(state_dir) == []
    assert (spool.spool_dir(state_dir) / f"previous-{old.agent_id}" / "000000000007.json").exists()
    assert "1 unsent report(s)" in result.stderr


def test_a_refused_enrollment_shows_the_collectors_reason(state_dir: Path, collector: FakeCollector) -> None:
    result = canhgac("agent", "enroll", "--server", collector.url, "--token", "cge_x", "--state-dir", str(state_dir))
    assert result.exit_code == 1 and "the enrollment token is unknown or expired" in result.stderr
    assert load_state(state_dir) is None


def test_run_once_exits_3_when_reports_stay_in_the_spool(state_dir: Path, closed_port_url: str) -> None:
    enrolled(state_dir, FakeCollector(url=closed_port_url))
    result = canhgac("agent", "run", "--once", "--timeout", "2", "--state-dir", str(state_dir))
    assert result.exit_code == 3
    assert "report #1 not sent (will retry next cycle)" in result.stderr
    assert "1 report(s) waiting in the spool" in result.stderr


def test_run_refuses_on_an_offline_pc_and_points_to_export(state_dir: Path, collector: FakeCollector) -> None:
    enrolled(state_dir, collector, role=Role.OFFLINE)
    result = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    assert result.exit_code == 1 and "canhgac agent export" in result.stderr
    assert collector.received == []


def test_the_offline_role_from_the_config_file_also_refuses(state_dir: Path, collector: FakeCollector,
                                                            tmp_path: Path) -> None:
    enrolled(state_dir, collector)
    config = tmp_path / "agent.toml"
    config.write_text(f'[agent]\nrole = "offline"\nstate_dir = "{state_dir.as_posix()}"\n', encoding="utf-8")
    result = canhgac("agent", "run", "--once", "--config", str(config))
    assert result.exit_code == 1 and "offline role" in result.stderr
    assert collector.received == []


def test_a_bad_option_value_names_the_key(state_dir: Path) -> None:
    result = canhgac("agent", "run", "--once", "--interval", "0", "--state-dir", str(state_dir))
    assert result.exit_code == 1 and "interval_minutes = 0.0" in result.stderr


def test_probe_settings_from_the_config_file_reach_the_probes(state_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "SaoLuu"
    folder.mkdir()
    (folder / "bien-ban.docx").write_bytes(b"x" * 10)
    config = tmp_path / "agent.toml"
    config.write_text(f'[agent]\nbackup_folders = ["{folder}"]\ninternet_targets = ["127.0.0.1:9"]\n'
                      "probe_gateway = false\n", encoding="utf-8")
    result = canhgac("agent", "collect", "--state-dir", str(state_dir), "--config", str(config))
    assert result.exit_code == 0, result.output
    report = decode_report(result.stdout.encode())
    assert report.backup and [s.location for s in report.backup.sources] == [str(folder)]
    assert report.network and [r.target for r in report.network.reachability] == ["127.0.0.1:9"]
