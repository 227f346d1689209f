"""The unit tree reorganised with its history, on SQLite and PostgreSQL, through the real app:
the 2025 scenario (three communes of a district merge into one commune directly under the
province, the district retires), moves that rewrite every stored path, set/rename/retire, the
official list import and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from agent.wire.schema import Antivirus, AntivirusProduct, Program, Software, encode_report
from collector.config import CollectorConfig
from collector.db import Database, open_database
from collector.errors import CanhgacError, Conflict, InvalidInput
from collector.judging.rules import load_rules
from collector.judging.scan import scan_all
from collector.models.alerts import Alert
from collector.models.audit import AuditEntry
from collector.models.machines import Machine
from collector.models.products import MachineProduct
from collector.models.readiness import MachineReadiness
from collector.models.reports import StoredReport
from collector.models.units import Unit
from collector.store.enrollment import create_enrollment_token
from collector.store.merge import HANDLERS, KEPT, merge_units, unique_keys_with_unit, unit_tables
from collector.store.people import add_user, issue_api_token
from collector.store.readiness_report import readiness_table
from collector.store.reorganisation import move_unit, path_columns, rename_unit, retire_unit, set_unit
from collector.store.scope import EVERYTHING
from collector.store.units import add_unit, get_unit, list_units
from rules.indicators import IndicatorKind, builtin_indicators
from server.app import create_app
from tests.factories import T0, FrozenClock, make_report, signed

MERGE_DAY = date(2026, 11, 24)
MACHINES = {"C1": 2, "C1-VP": 1, "C2": 2, "C3": 1}  # machines per unit before the merge
STAFF = {"C1": 5, "C1-VP": 2, "C2": 6, "C3": 7}


@dataclass
class Province:
    client: TestClient
    db: Database
    clock: FrozenClock
    agents: list[dict[str, str]] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    def report(self, agent: dict[str, str], expect: int = 201) -> None:
        sequence = self.sequences.get(agent["agent_id"], 0) + 1
        self.sequences[agent["agent_id"]] = sequence
        index = self.agents.index(agent)
        report = make_report(agent["agent_id"], sequence, machine_uid=agent["machine_uid"],
                             hostname=agent["hostname"], collected_at=self.clock.now - timedelta(seconds=5))
        # Every other machine has an antivirus and a program list: figures that are not all 0 or all n.
        report.antivirus = Antivirus(products=[AntivirusProduct(name="Kaspersky Endpoint Security", enabled=True,
                                                                realtime_on=True)]) if index % 2 == 0 else None
        report.software = Software(programs=[Program(name="Zalo"), Program(name=f"App {index}")])
        body = encode_report(report)
        response = self.client.post("/api/v1/reports", content=body,
                                    headers=signed(agent["agent_id"], agent["key"], body, self.clock.now))
        assert response.status_code == expect, response.text

    def scan(self) -> None:
        scan_all(self.db, self.clock.now, load_rules(None), network=False)

    def figures(self, code: str) -> dict[str, tuple[int, int]]:
        with self.db.session() as session:
            table = readiness_table(session, EVERYTHING, code, self.clock.now)
        return {key: (cell.n, cell.d) for key, cell in table.unit.figures.items()}

    def trend(self, code: str, indicator: str) -> list[tuple[date, int, int]]:
        with self.db.session() as session:
            table = readiness_table(session, EVERYTHING, code, self.clock.now)
        return [(p.day, p.n, p.d) for p in table.trend.get(indicator, [])]


@pytest.fixture
def province(db_url: str, db_at_head: None) -> Iterator[Province]:
    """P (province) > D (district) > C1 (> C1-VP), C2, C3 communes; CX a commune directly under P."""
    db = open_database(db_url)
    with db.session() as s:
        add_unit(s, "P", "Tỉnh Thử Nghiệm", "province", T0)
        add_unit(s, "D", "Huyện Cũ", "district", T0, "P")
        for code in ("C1", "C2", "C3"):
            add_unit(s, code, f"UBND xã {code}", "commune", T0, "D", STAFF[code])
        add_unit(s, "C1-VP", "Văn phòng xã C1", "office", T0, "C1", STAFF["C1-VP"])
        add_unit(s, "CX", "UBND xã Khác", "commune", T0, "P", 3)
        tokens = {code: create_enrollment_token(s, code, timedelta(days=30), T0)[0] for code in MACHINES}
        add_user(s, "can-bo-c2", "officer", T0, "C2")
        add_user(s, "tinh", "viewer", T0, "P")
        people = {name: issue_api_token(s, name, timedelta(days=30), T0) for name in ("can-bo-c2", "tinh")}
    clock = FrozenClock()
    app = create_app(CollectorConfig(db_url=db_url), db, clock)
    with TestClient(app) as client:
        world = Province(client, db, clock, people=people)
        for code, count in MACHINES.items():
            for i in range(count):
                uid, hostname = f"uid-{code}-{i}", f"pc-{code.lower()}-{i}"
                answer = client.post("/api/v1/enroll", json={"token": tokens[code], "machine_uid": uid,
                                                             "hostname": hostname}).json()
                world.agents.append({**answer, "machine_uid": uid, "hostname": hostname})
        yield world
    db.dispose()


def _sum(*figures: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {key: (sum(f[key][0] for f in figures), sum(f[key][1] for f in figures)) for key in figures[0]}


def _machine_and_staff_indicators() -> set[str]:
    return {i.id for i in builtin_indicators().indicators if i.kind is not IndicatorKind.UNIT}


def test_2025_three_communes_of_a_district_merge_into_one_under_the_province(province: Province) -> None:
    for _day in range(2):  # two days of reports and scans: a trend of two snapshots
        for agent in province.agents:
            province.report(agent)
        province.scan()
        province.clock.advance(days=1)
    before = {code: province.figures(code) for code in ("C1", "C2", "C3", "P")}
    trends_before = {code: province.trend(code, "av_installed") for code in ("C1", "C2", "C3")}
    with province.db.session() as s:
        reports_before = s.scalar(select(func.count()).select_from(StoredReport))
        machine_ids = sorted(s.scalars(select(Machine.id)))
        add_unit(s, "XNEW", "UBND xã Mới", "commune", province.clock.now, "P")
    with province.db.session() as s:
        result = merge_units(s, ["C1", "C2", "C3"], "XNEW", MERGE_DAY, province.clock.now, "admin")
        retire_unit(s, "D", MERGE_DAY, province.clock.now, "admin")

    assert [u.code for u in result.merged] == ["C1", "C2", "C3"]
    assert result.moved["machines"] == 5 and result.moved["units"] == 1  # C1-VP follows, with its machine
    assert result.survivor.staff_count == STAFF["C1"] + STAFF["C2"] + STAFF["C3"]
    with province.db.session() as s:
        survivor = get_unit(s, "XNEW")
        office = get_unit(s, "C1-VP")
        merged = [get_unit(s, code) for code in ("C1", "C2", "C3")]  # still found by code: history names them
        district = get_unit(s, "D")
        assert survivor.parent_id == get_unit(s, "P").id and office.path == f"{survivor.path}{office.id}/"
        assert all(u.ended_on == MERGE_DAY and u.merged_into_id == survivor.id for u in merged)
        assert district.ended_on == MERGE_DAY and district.merged_into_id is None
        assert [u.code for u in list_units(s)] == ["P", "CX", "XNEW", "C1-VP"]
        # Every machine kept its id and its history; every stored path is the survivor's subtree.
        assert sorted(s.scalars(select(Machine.id))) == machine_ids
        assert s.scalar(select(func.count()).select_from(StoredReport)) == reports_before
        paths = set(s.scalars(select(MachineReadiness.unit_path)))
        assert paths == {survivor.path, office.path}
        assert set(s.scalars(select(MachineProduct.unit_id))) == {survivor.id, office.id}
        actions = list(s.execute(select(AuditEntry.action, AuditEntry.subject)  # the setup's tokens and
                                 .where(AuditEntry.action.in_(("unit_merged", "unit_retired")))  # people too
                                 .order_by(AuditEntry.id)))
        assert [tuple(a) for a in actions] == [("unit_merged", "unit:C1"), ("unit_merged", "unit:C2"),
                                               ("unit_merged", "unit:C3"), ("unit_retired", "unit:D")]

    # The survivor's figures are the sums; the province's are what they were.
    after = province.figures("XNEW")
    summed = _sum(before["C1"], before["C2"], before["C3"])
    for key in _machine_and_staff_indicators():
        assert after[key] == summed[key], key
    assert after["units_dedicated_line"][1] == 1  # one commune now, where there were three
    assert {k: v for k, v in province.figures("P").items() if k in _machine_and_staff_indicators()} == \
        {k: v for k, v in before["P"].items() if k in _machine_and_staff_indicators()}

    # Agents keep reporting with the keys they have; the trend goes on from the sums.
    for agent in province.agents:
        province.report(agent)
    province.scan()
    trend = province.trend("XNEW", "av_installed")
    past = [(day, sum(t[i][1] for t in trends_before.values()), sum(t[i][2] for t in trends_before.values()))
            for i, day in enumerate(d for d, _n, _d in trends_before["C1"])]
    assert trend[:2] == past and len(trend) == 3
    assert trend[2][1:] == (after["av_installed"][0], after["av_installed"][1])

    # The officer of a merged-away commune now sees the survivor's machines (all three communes').
    seen = province.client.get("/api/v1/machines", headers={"Authorization": f"Bearer {province.people['can-bo-c2']}"})
    assert seen.status_code == 200 and seen.json()["total"] == 6
    assert {m["unit_code"] for m in seen.json()["items"]} == {"XNEW", "C1-VP"}


def test_a_merge_moves_machine_alerts_and_closes_the_merged_units_own(province: Province) -> None:
    for agent in province.agents:
        province.report(agent)
    province.scan()
    with province.db.session() as s:
        machine_alerts = s.scalar(select(func.count()).select_from(Alert).where(
            Alert.unit_id == get_unit(s, "C2").id, Alert.machine_id.is_not(None)))
        unit_alerts = list(s.scalars(select(Alert.rule_id).where(Alert.subject == "unit:C2",
                                                                 Alert.status == "open")))
    assert machine_alerts and unit_alerts  # e.g. no antivirus on a machine, no offline PC in the commune
    with province.db.session() as s:
        merge_units(s, ["C2"], "C3", MERGE_DAY, province.clock.now, "admin")
    with province.db.session() as s:
        c2, c3 = get_unit(s, "C2").id, get_unit(s, "C3").id
        assert s.scalar(select(func.count()).select_from(Alert).where(
            Alert.unit_id == c3, Alert.machine_id.is_not(None))) >= machine_alerts
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.unit_id == c2,
                                                                       Alert.machine_id.is_not(None))) == 0
        assert set(s.scalars(select(Alert.status).where(Alert.subject == "unit:C2"))) == {"resolved"}


@pytest.mark.parametrize(("sources", "into", "error"), [
    (["C1"], "C1", InvalidInput),       # into itself
    (["C1"], "C1-VP", InvalidInput),    # into its own sub-unit
    (["NOPE"], "C2", CanhgacError),     # unknown
    ([], "C2", InvalidInput),
])
def test_a_merge_that_cannot_be_is_refused_and_changes_nothing(province: Province, sources: list[str], into: str,
                                                               error: type[Exception]) -> None:
    with pytest.raises(error), province.db.session() as s:
        merge_units(s, sources, into, MERGE_DAY, province.clock.now, "admin")
    with province.db.session() as s:
        assert all(u.live for u in list_units(s, include_ended=True))


def test_a_merged_away_unit_takes_no_more_changes(province: Province) -> None:
    with province.db.session() as s:
        merge_units(s, ["C3"], "C2", MERGE_DAY, province.clock.now, "admin")
    for change in (lambda s: rename_unit(s, "C3", "X", province.clock.now, "admin"),
                   lambda s: move_unit(s, "C1", "C3", province.clock.now, "admin"),
                   lambda s: merge_units(s, ["C1"], "C3", MERGE_DAY, province.clock.now, "admin")):
        with pytest.raises(InvalidInput, match="ended"), province.db.session() as s:
            change(s)


def test_a_move_rewrites_every_stored_path_of_the_subtree(province: Province) -> None:
    for agent in province.agents:
        province.report(agent)
    with province.db.session() as s:
        move_unit(s, "C1", "P", province.clock.now, "admin")
    with province.db.session() as s:
        c1, office, p = get_unit(s, "C1"), get_unit(s, "C1-VP"), get_unit(s, "P")
        assert c1.path == f"{p.path}{c1.id}/" and office.path == f"{c1.path}{office.id}/"
        rows = dict(s.execute(select(Machine.unit_id, MachineReadiness.unit_path)
                              .join(MachineReadiness, MachineReadiness.machine_id == Machine.id)).all())
        assert rows[c1.id] == c1.path and rows[office.id] == office.path
    # The province viewer and the commune's own people still see what they saw.
    assert province.figures("C1")["computers_per_official"] == (3, STAFF["C1"] + STAFF["C1-VP"])
    assert {c.name for c in path_columns()} == {"path", "unit_path"}


@pytest.mark.parametrize(("code", "parent", "match"), [("C1", "C1-VP", "itself"), ("P", "C1", "itself")])
def test_a_unit_cannot_move_under_itself(province: Province, code: str, parent: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match), province.db.session() as s:
        move_unit(s, code, parent, province.clock.now, "admin")


def test_set_changes_kind_staff_and_official_code_with_audit(province: Province) -> None:
    with province.db.session() as s:
        unit = set_unit(s, "C2", province.clock.now, "admin", staff=9, kind="ward", admin_code="26734")
        assert (unit.kind, unit.staff_count, unit.admin_code) == ("ward", 9, "26734")
        with pytest.raises(Conflict):
            set_unit(s, "C3", province.clock.now, "admin", admin_code="26734")
    with province.db.session() as s:
        assert s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "unit_changed")) == \
            "staff 6 -> 9; kind commune -> ward; admin code -> 26734"


def test_a_unit_that_still_holds_machines_or_units_cannot_retire(province: Province) -> None:
    with pytest.raises(Conflict, match="still holds"), province.db.session() as s:
        retire_unit(s, "D", MERGE_DAY, province.clock.now, "admin")
    with pytest.raises(Conflict, match="machine"), province.db.session() as s:
        retire_unit(s, "C2", MERGE_DAY, province.clock.now, "admin")


def test_every_table_tied_to_a_unit_is_found_and_has_a_merge_rule() -> None:
    names = {table.name for table in unit_tables()}
    assert {"machines", "users", "alerts", "licences", "lan_subnets", "lan_devices", "network_links",
            "machine_readiness", "machine_products", "readiness_snapshots", "enrollment_tokens",
            "snmp_devices", "audit_log"} <= names
    assert set(HANDLERS) <= names and KEPT & names == {"audit_log"} | (KEPT & names)
    keys = {table.name: unique_keys_with_unit(table) for table in unit_tables()}
    assert keys["network_links"] == [["unit_id", "kind"]]  # a unit's one link of each kind


# --- the official list and the command line -------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("code,name,kind,parent\nP,Tỉnh A,tỉnh,\nX1,Xã Một,xã,P\n",
     [("P", "Tỉnh A", "province", None, None), ("X1", "Xã Một", "commune", "P", None)]),
    ("\ufeffmã;tên;loại;cấp trên;mã hành chính\nW1;Phường Hai;phường;P;26740\nZ;Côn Đảo;đặc khu;P;\n",
     [("W1", "Phường Hai", "ward", "P", "26740"), ("Z", "Côn Đảo", "special_zone", "P", None)]),
    ("D1,Huyện Cũ,huyện,P\n\n", [("D1", "Huyện Cũ", "district", "P", None)]),
])
def test_the_official_list_is_read_in_both_spellings(text: str, expected: list[tuple[object, ...]]) -> None:
    from collector.store.unit_import import parse_units_csv

    assert [(li.code, li.name, li.kind, li.parent_code, li.admin_code) for li in parse_units_csv(text)] == expected


def test_a_list_with_bad_lines_names_every_one() -> None:
    from collector.store.unit_import import parse_units_csv

    with pytest.raises(InvalidInput) as refused:
        parse_units_csv("P,Tỉnh,tỉnh,\nX,Xã,làng,P\nY,,xã,P\n")
    assert "line 2" in refused.value.detail and "line 3" in refused.value.detail


def test_the_command_line_reorganises_and_imports(tmp_path: object) -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from canhgac.cli import main

    folder = Path(str(tmp_path))
    env = {"CANHGAC_DB": f"sqlite:///{folder / 'cli.db'}"}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["units", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert runner.invoke(main, ["db", "init"], env=env).exit_code == 0
    listing = folder / "ds.csv"
    listing.write_text("mã,tên,loại,cấp trên\nP,Tỉnh Thử,tỉnh,\nD,Huyện Cũ,huyện,P\nA,Xã A,xã,D\nB,Xã B,xã,D\n"
                       "C,Xã C,xã,D\n", encoding="utf-8")
    assert "5 added" in run("import", str(listing))
    assert "0 added, 0 changed, 5 unchanged" in run("import", str(listing))
    run("set", "A", "--staff", "4", "--admin-code", "26734")
    run("set", "B", "--staff", "6")
    run("add", "N", "--name", "Xã Mới", "--kind", "commune", "--parent", "P")
    assert "staff now 10" in run("merge", "A", "B", "--into", "N", "--on", "2025-07-01")
    run("move", "C", "--parent", "P")
    run("rename", "C", "--name", "Phường C")
    assert "retired: D (01/07/2025)" in run("retire", "D", "--on", "2025-07-01")
    import json

    units = {u["code"]: u for u in json.loads(run("list", "--all", "--json"))}
    assert units["A"]["merged_into"] == "N" and units["A"]["ended_on"] == "2025-07-01"
    assert units["D"]["ended_on"] == "2025-07-01" and units["C"]["parent"] == "P"
    assert units["C"]["name"] == "Phường C" and units["N"]["staff"] == 10
    assert "merged into N 01/07/2025" in run("list", "--all")
    assert "A " not in run("list")
    refused = runner.invoke(main, ["units", "merge", "C", "--into", "A"], env=env)
    assert refused.exit_code == 1 and "ended" in refused.output and "Traceback" not in refused.output


def test_a_merge_reaches_every_table_tied_to_a_unit(db_url: str) -> None:
    """Every table of the schema filled (a table added by another area too), unit 1 merged into
    unit 2: no row is left with unit 1 but the audit log's and the merged unit's own trend."""
    from tests.db_filler import fill_every_table

    db = open_database(db_url)
    try:
        with db.engine.begin() as connection:
            fill_every_table(connection)
        with db.session() as s:
            source, survivor = (s.scalar(select(Unit.code).where(Unit.id == i)) for i in (1, 2))
            result = merge_units(s, [source], survivor, MERGE_DAY, T0, "admin")
        assert result.left == {}
        with db.session() as s:
            left = {table.name: s.scalar(select(func.count()).select_from(table).where(table.c.unit_id == 1))
                    for table in unit_tables()}
        assert {name for name, count in left.items() if count} == {"readiness_snapshots"} | (KEPT & set(left))
        assert all(result.moved[name] for name in left if name not in KEPT | {"readiness_snapshots"})
    finally:
        db.dispose()
