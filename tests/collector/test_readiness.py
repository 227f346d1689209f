"""Readiness on the demo province, stored through the real ingest path, on SQLite and PostgreSQL:
exact figures, the rollup, explanations, the scan's backfill, snapshot and below-target alert,
and the report command's formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select

from agent.wire.schema import decode_report
from canhgac.cli import main
from collector.db import Database, open_database
from collector.judging.scan import scan_all
from collector.models.alerts import Alert
from collector.models.links import LinkKind
from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness, ReadinessSnapshot
from collector.models.units import Unit
from collector.store.links import agents_reach
from collector.store.readiness_report import explain, readiness_counts, readiness_table
from collector.store.scope import EVERYTHING, Scope
from collector.store.snmp import set_link
from collector.store.units import add_unit
from rules.indicators import IndicatorKind, builtin_indicators
from server.demo import DEMO_RULES_DIR
from tests.readiness_fleet import DEMO_RULES, seed_demo_fleet

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # a fixed day: figures that hold whatever today is

EXPECTED = {  # (n, d) per unit subtree, from server/demo_fleet.py's gaps and server/demo_registers.py
    "DT-TANHOA-VP": {"computers_per_official": (14, 15), "av_installed": (16, 16), "av_licensed": (16, 16),
                     "machines_lan": (15, 15), "machines_internet": (15, 15), "backup_within_policy": (16, 16),
                     "units_offline_pc": (0, 0), "certs_valid": (13, 15)},
    "DT-TANHOA": {"av_installed": (16, 16), "units_dedicated_line": (1, 1), "units_offline_pc": (1, 1),
                  "units_scanner": (1, 1), "hardware_ok": (16, 16), "os_activated": (16, 16)},
    "DT-TANLONG": {"computers_per_official": (10, 12), "av_installed": (8, 10), "av_licensed": (6, 10),
                   "av_up_to_date": (6, 10), "backup_within_policy": (7, 10), "os_activated": (10, 10),
                   "units_dedicated_line": (0, 1), "units_offline_pc": (0, 1), "units_scanner": (0, 1),
                   "certs_valid": (0, 10)},
    # Tân Phú's 11 PCs and the Windows 7 PC declared without an agent (unknown: in the denominators)
    "DT-TANPHU": {"computers_per_official": (12, 14), "os_activated": (9, 12), "hardware_ok": (9, 12),
                  "machines_lan": (12, 12), "machines_internet": (10, 12), "backup_within_policy": (10, 12),
                  "av_installed": (11, 12), "units_dedicated_line": (1, 1)},
    "DT": {"computers_per_official": (36, 41), "av_installed": (35, 38), "av_licensed": (33, 38),
           "av_up_to_date": (33, 38), "os_activated": (35, 38), "backup_within_policy": (33, 38),
           "hardware_ok": (35, 38), "machines_lan": (37, 37), "machines_internet": (35, 37),
           "units_dedicated_line": (2, 3), "units_offline_pc": (1, 3), "units_scanner": (1, 3),
           "certs_valid": (13, 37)},
}
BEFORE = {  # the same figures before issue 15 (git a67223a), where they differ
    "DT": {"computers_per_official": (37, 42), "av_licensed": (35, 37), "os_activated": (36, 37),
           "certs_valid": (0, 0)},
}


@pytest.fixture
def fleet(db_url: str, db_at_head: None) -> Iterator[Database]:
    db = open_database(db_url)
    seed_demo_fleet(db, NOW)
    yield db
    db.dispose()


def _figures(db: Database, code: str) -> dict[str, tuple[int, int]]:
    with db.session() as session:
        table = readiness_table(session, EVERYTHING, code, NOW, DEMO_RULES.indicators)
    return {key: (cell.n, cell.d) for key, cell in table.unit.figures.items()}


def test_demo_province_figures_are_exact(fleet: Database) -> None:
    for code, expected in EXPECTED.items():
        figures = _figures(fleet, code)
        assert {k: figures[k] for k in expected} == expected, code
    with fleet.session() as session:
        office = readiness_table(session, EVERYTHING, "DT-TANHOA-VP", NOW).unit.figures["av_installed"]
    assert office.text == "16/16 — 100%" and not office.below_target
    for code, before in BEFORE.items():  # what the fixes changed
        assert all(_figures(fleet, code)[k] != v for k, v in before.items()), code


def test_the_province_is_the_sum_of_its_communes_not_the_mean(fleet: Database) -> None:
    with fleet.session() as session:
        table = readiness_table(session, EVERYTHING, "DT", NOW)
    assert [c.code for c in table.children] == ["DT-TANHOA", "DT-TANLONG", "DT-TANPHU"]
    for indicator in table.indicators:
        total = table.unit.figures[indicator.id]
        assert total.n == sum(c.figures[indicator.id].n for c in table.children)
        assert total.d == sum(c.figures[indicator.id].d for c in table.children)
    signatures = table.unit.figures["av_up_to_date"]
    assert signatures.text == "33/38 — 86.8%"  # the mean of 100%, 60% and 91.7% would say 83.9%
    assert signatures.below_target


def test_tables_rolled_up_from_a_counts_snapshot_are_the_ones_computed_afresh(fleet: Database) -> None:
    with fleet.session() as session:  # configured lines, so the snapshot carries their states too
        set_link(session, "DT-TANLONG", LinkKind.DEDICATED_LINE, None, "", ["10.0.0.10:443"])
        set_link(session, "DT-TANPHU", LinkKind.DEDICATED_LINE, None, "", ["10.0.0.10:443"])
        counts = readiness_counts(session, NOW)
        assert counts.line_reach
        for code in (*EXPECTED, "DT-TANHOA-VP"):
            assert readiness_table(session, EVERYTHING, code, NOW, counts=counts) == \
                readiness_table(session, EVERYTHING, code, NOW), code
            assert readiness_table(session, EVERYTHING, code, NOW, counts=counts) == \
                readiness_table(session, EVERYTHING, code, NOW, counts=counts), "kept rollup"


def test_links_count_the_agents_reach_their_latest_reports_tell(fleet: Database) -> None:
    with fleet.session() as session:
        paths = set(session.scalars(select(Unit.path).join(Machine, Machine.unit_id == Unit.id)))
        seen = []
        for path in {p[:p.index("/", 1) + 1] for p in paths} | paths:  # the province and each unit
            for kind in LinkKind:
                reports = [decode_report(s.encode()) for s in session.scalars(
                    select(Machine.state_json).join(Unit, Machine.unit_id == Unit.id)
                    .where(Unit.path.startswith(path), Machine.state_json.is_not(None)))]
                checked = [[r.reachable for r in report.network.reachability if r.kind == kind]
                           for report in reports if report.network]
                expected = (sum(any(c) for c in checked if c), sum(1 for c in checked if c))
                assert tuple(agents_reach(session, EVERYTHING, [path])[(path, kind)]) == expected, (path, kind)
                assert agents_reach(session, Scope(path), [path])[(path, kind)] == expected, "scoped"
                seen.append(expected)
    assert any(reporting for _, reporting in seen) and any(n < reporting for n, reporting in seen)  # not all 0/0


def test_a_unit_added_after_the_snapshot_is_computed_afresh(fleet: Database) -> None:
    later = NOW + timedelta(seconds=30)
    with fleet.session() as session:
        counts = readiness_counts(session, NOW)
        add_unit(session, "DT-MOI", "Xã Mới", "commune", later, "DT", 5)
        table = readiness_table(session, EVERYTHING, "DT-MOI", later, counts=counts)
        province = readiness_table(session, EVERYTHING, "DT", later, counts=counts)
    assert table.as_of == later and table.unit.figures["computers_per_official"].text == "0/5 — 0%"
    assert province.as_of == NOW and "DT-MOI" not in [c.code for c in province.children]  # as of the snapshot


def test_explain_lists_each_gap_with_its_reason(fleet: Database) -> None:
    def why(unit: str, indicator: str) -> list[tuple[str, str]]:
        found = explain(session, EVERYTHING, unit, indicator, NOW, DEMO_RULES.indicators)
        return [(i.name, i.reason_vi) for i in found.missing]

    with fleet.session() as session:
        assert why("DT-TANLONG", "av_installed") == [("tanlong-pc01", "không tìm thấy phần mềm phòng chống mã độc"),
                                                     ("tanlong-pc02", "không tìm thấy phần mềm phòng chống mã độc")]
        assert why("DT", "av_licensed") == [
            ("tanlong-pc01", "chưa cài phần mềm phòng chống mã độc"),
            ("tanlong-pc02", "chưa cài phần mềm phòng chống mã độc"),
            ("tanlong-pc03", "không có phần mềm phòng chống mã độc nào đang bật bảo vệ thời gian thực"),
            ("tanlong-pc07", "BKAV Pro không có trong sổ bản quyền của đơn vị"),  # beside a disabled Defender
            ("tanphu-ketoan", "không rõ: máy chưa cài phần mềm giám sát (khai báo thủ công)")]
        assert why("DT-TANPHU", "os_activated") == [
            ("tanphu-ketoan", "không rõ: máy chưa cài phần mềm giám sát (khai báo thủ công)"),
            ("tanphu-pc01", "hệ điều hành chưa kích hoạt bản quyền"),
            ("tanphu-pc06", "kích hoạt qua máy chủ KMS không được công nhận: kms8.msguides.com")]
        signatures = dict(why("DT", "av_up_to_date"))
        assert set(signatures) == {"tanlong-pc01", "tanlong-pc02", "tanlong-pc03", "tanlong-pc04", "tanphu-ketoan"}
        assert signatures["tanlong-pc03"] == "phần mềm phòng chống mã độc đang tắt"
        assert why("DT", "units_offline_pc") == [("DT-TANLONG", "chưa có máy soạn thảo văn bản mật"),
                                                 ("DT-TANPHU", "chưa có máy soạn thảo văn bản mật")]
        assert why("DT", "computers_per_official") == [
            ("Phan Thị Uyên", "tanhoa-pc15 là máy dùng chung, không phải máy riêng"),
            ("DT-TANLONG", "10 máy đang dùng / 12 cán bộ theo số biên chế (chưa có danh sách): thiếu 2"),
            ("DT-TANPHU", "12 máy đang dùng / 14 cán bộ theo số biên chế (chưa có danh sách): thiếu 2")]
        certs = dict(why("DT-TANHOA", "certs_valid"))
        assert certs == {"Hoàng Văn Em": "tanhoa-pc05: chứng thư số ký số chỉ còn 20 ngày (cần từ 30 ngày)",
                         "Phan Thị Uyên": "tanhoa-pc15 là máy dùng chung, không phải máy riêng"}
        lan = explain(session, EVERYTHING, "DT", "machines_lan", NOW, DEMO_RULES.indicators)
        assert [i.name for i in lan.excluded] == ["tanhoa-pc16"] and lan.figure.excluded == 1
        for indicator in builtin_indicators().indicators:  # every gap is explained, one item each
            if indicator.kind is not IndicatorKind.STAFF:
                explanation = explain(session, EVERYTHING, "DT", indicator.id, NOW, DEMO_RULES.indicators)
                assert len(explanation.missing) == explanation.figure.d - explanation.figure.n, indicator.id


def test_an_offline_pc_reporting_over_the_network_is_not_compliant(fleet: Database) -> None:
    with fleet.session() as session:
        session.execute(MachineReadiness.__table__.update()
                        .where(MachineReadiness.role == "offline").values(via_network=True))
    assert _figures(fleet, "DT-TANHOA")["units_offline_pc"] == (0, 1)
    with fleet.session() as session:
        reason = explain(session, EVERYTHING, "DT-TANHOA", "units_offline_pc", NOW).missing[0].reason_en
    assert reason == "the offline PC shows a network connection"


def test_scan_backfills_snapshots_and_raises_below_target(fleet: Database) -> None:
    with fleet.session() as session:
        session.execute(delete(MachineReadiness))  # as if stored before readiness existed
    assert _figures(fleet, "DT")["av_installed"] == (0, 0)
    scan_all(fleet, NOW, DEMO_RULES, network=False)
    assert _figures(fleet, "DT")["av_installed"] == (35, 38)
    with fleet.session() as session:
        assert session.scalar(select(func.count()).select_from(MachineReadiness)) == 38
        snapshots = session.scalar(select(func.count()).select_from(ReadinessSnapshot))
        assert snapshots == 2 * 5 * len(builtin_indicators().indicators)  # the demo's two days
        below = {subject: detail for subject, detail in session.execute(
            select(Alert.subject, Alert.detail).where(Alert.rule_id == "readiness.below_target",
                                                      Alert.status == "open"))}
        table = readiness_table(session, EVERYTHING, "DT", NOW)
    assert set(below) == {"unit:DT", "unit:DT-TANHOA", "unit:DT-TANHOA-VP", "unit:DT-TANLONG", "unit:DT-TANPHU"}
    # the failing members, in words: Tân Long's dedicated line 0/1 and its missing offline PC and scanner
    assert "Đơn vị kết nối mạng truyền số liệu chuyên dùng 0/1 (mục tiêu 100%): không máy nào trong 10 máy " \
           "tới được TSLCD" in below["unit:DT-TANLONG"]
    assert "Đơn vị có máy quét (scan) tài liệu 0/1 (mục tiêu 100%)" in below["unit:DT-TANLONG"]
    assert "Máy tính có phần mềm phòng chống mã độc bản quyền 6/10 (mục tiêu 90%): tanlong-pc01 (chưa cài" \
        in below["unit:DT-TANLONG"]
    point = table.trend["av_up_to_date"][-1]
    assert (point.day, point.n, point.d) == (NOW.date(), 33, 38)
    scan_all(fleet, NOW, DEMO_RULES, network=False)  # the same day again replaces, never doubles
    with fleet.session() as session:
        assert session.scalar(select(func.count()).select_from(ReadinessSnapshot)) == snapshots


def test_the_demo_shows_each_case_of_issue_15(fleet: Database) -> None:
    """An escalated backup alert that never resolved, the incidents, the expiring certificate and
    licence, the Windows 7 PC's end of support."""
    from collector.models.machines import Machine
    from collector.store.alerts import alert_history
    from collector.store.incidents import list_incidents

    with fleet.session() as session:
        host = dict(session.execute(select(Machine.id, Machine.hostname)).all())
        alerts = [(host.get(a.machine_id, a.subject), a.rule_id, a.severity, a.status, a.id)
                  for a in session.scalars(select(Alert))]
        backups = {h: [e.transition for e in alert_history(session, i)]
                   for h, rule, _s, _st, i in alerts if rule == "backup.quarterly"}
        incidents = [(i.hostname, i.severity) for i in list_incidents(session, EVERYTHING)]
    by_case = {(h, rule): (severity, status) for h, rule, severity, status, _ in alerts}
    assert backups["tanphu-pc03"] == backups["tanlong-pc05"] == ["opened", "escalated"]  # 165 days, then 185
    assert by_case[("tanphu-pc03", "backup.quarterly")] == ("high", "open")
    assert incidents == [("tanlong-pc04", "critical"), ("tanphu-pc07", "medium")]  # active; quarantined
    assert by_case[("tanhoa-pc05", "cert.signing_expiring")] == ("medium", "open")
    assert by_case[("tanlong-pc08", "av.licence_expiring")] == ("medium", "open")
    assert by_case[("unit:DT-TANLONG", "licence.expiring")] == ("medium", "open")
    assert by_case[("tanphu-ketoan", "os.end_of_support")] == ("high", "open")
    assert by_case[("tanlong-pc07", "av.not_licensed")] == ("medium", "open")
    assert ("tanphu-pc06", "os.not_activated") in by_case and ("tanphu-pc05", "os.not_activated") not in by_case
    assert not [a for a in alerts if a[3] == "resolved"]  # nothing "fixed" that was not


def test_report_command_formats(fleet: Database, db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["report", "readiness", "--db", db_url, "--unit", "DT", "--rules-dir", str(DEMO_RULES_DIR)]
    table = runner.invoke(main, base)
    assert table.exit_code == 0, table.output
    assert "16/16 — 100%" in table.output and "33/38 — 86.8% *" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 100  # fits an 80-120 column terminal
    assert "UBND xã Tân Long" in table.output and "DT-TANLONG" not in table.output  # names, not codes
    as_json = json.loads(runner.invoke(main, [*base, "--format", "json"]).output)
    assert as_json["unit"]["figures"]["units_dedicated_line"]["text"] == "2/3 — 66.7%"
    out = tmp_path / "sansang.csv"
    assert runner.invoke(main, [*base, "--format", "csv", "--out", str(out)]).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Mã đơn vị / Code", "Đơn vị / Unit"] and [r[0] for r in rows[1:]] == [
        "DT-TANHOA", "DT-TANLONG", "DT-TANPHU", "DT"]
    av = rows[0].index("Máy tính có phần mềm phòng chống mã độc / Computers with antivirus installed — đạt / n")
    assert rows[1][av:av + 3] == ["16", "16", "100"] and rows[4][av:av + 3] == ["35", "38", "92,1"]


def test_report_command_explains_a_figure(fleet: Database, db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["report", "readiness", "--db", db_url, "--unit", "DT-TANLONG",
                                  "--explain", "backup_within_policy"])
    assert result.exit_code == 0, result.output
    assert "7/10 — 70%" in result.output and "tanlong-pc06 (DT-TANLONG): chưa cấu hình sao lưu" in result.output
    assert "Khắc phục / remediation: Cấu hình sao lưu định kỳ" in result.output
    unknown = runner.invoke(main, ["report", "readiness", "--db", db_url, "--explain", "nope"])
    assert unknown.exit_code == 2 and "no indicator 'nope'" in unknown.output


def test_the_count_index_holds_every_column_the_readiness_aggregate_can_read() -> None:
    """The per-unit aggregate reads ix_machine_readiness_counts alone (revision 0008) only while
    every column an indicator may count is in it."""
    from sqlalchemy import Column
    from sqlalchemy.sql.visitors import iterate

    from collector.models.readiness import MachineReadiness
    from collector.store.readiness import column_condition
    from rules.indicators import MACHINE_COLUMNS

    read = {e.name for name in MACHINE_COLUMNS for e in iterate(column_condition(name)) if isinstance(e, Column)}
    index = next(i for i in MachineReadiness.__table__.indexes if i.name == "ix_machine_readiness_counts")
    assert read | {"unit_id", "seen_at", "role"} <= {c.name for c in index.columns}


def test_a_below_target_line_names_five_failing_members_and_counts_the_rest(fleet: Database) -> None:
    scan_all(fleet, NOW, DEMO_RULES, network=False)
    with fleet.session() as session:
        detail = session.scalar(select(Alert.detail).where(Alert.rule_id == "readiness.below_target",
                                                           Alert.subject == "unit:DT"))
    assert detail is not None
    lines = detail.split(" / ")[0].split("; ")
    certs = next(line for line in lines if line.startswith("Cán bộ, công chức có chứng thư số"))
    # officials of the registers first, then the machines of units without one, in unit and name order
    assert certs == ("Cán bộ, công chức có chứng thư số ký số còn hiệu lực 13/37 (mục tiêu 100%): Hoàng Văn Em "
                     "(chứng thư số ký số chỉ còn 20 ngày (cần từ 30 ngày)), Phan Thị Uyên (tanhoa-pc15 là máy dùng "
                     "chung, không phải máy riêng), tanlong-pc01 (không rõ: báo cáo của máy không có thông tin này), "
                     "tanlong-pc02 (không rõ: báo cáo của máy không có thông tin này), tanlong-pc03 (không rõ: báo cáo "
                     "của máy không có thông tin này) và 19 khác")
    staff = next(line for line in lines if "Tỷ lệ cán bộ, công chức được trang bị máy tính" in line)
    assert staff.endswith("Phan Thị Uyên (tanhoa-pc15 là máy dùng chung, không phải máy riêng), thiếu 4 máy theo "
                          "số biên chế")


def test_a_figure_that_moves_within_the_day_replaces_its_snapshot(fleet: Database) -> None:
    def today(code: str, indicator: str) -> list[tuple[int, int]]:
        with fleet.session() as session:
            return [(n, d) for n, d in session.execute(
                select(ReadinessSnapshot.numerator, ReadinessSnapshot.denominator).join(
                    Unit, Unit.id == ReadinessSnapshot.unit_id).where(
                    Unit.code == code, ReadinessSnapshot.indicator == indicator, ReadinessSnapshot.day == NOW.date()))]

    scan_all(fleet, NOW, DEMO_RULES, network=False)
    assert today("DT", "av_installed") == [(35, 38)]
    with fleet.session() as session:
        rows = session.scalar(select(func.count()).select_from(ReadinessSnapshot))
        one = session.scalar(select(MachineReadiness.machine_id).where(MachineReadiness.av_installed.is_(True))
                             .order_by(MachineReadiness.machine_id).limit(1))
        session.execute(MachineReadiness.__table__.update().where(MachineReadiness.machine_id == one)
                        .values(av_installed=False))  # refreshed today: the scan keeps it as it is
    scan_all(fleet, NOW + timedelta(minutes=15), DEMO_RULES, network=False)
    assert today("DT", "av_installed") == [(34, 38)]
    with fleet.session() as session:
        assert session.scalar(select(func.count()).select_from(ReadinessSnapshot)) == rows
