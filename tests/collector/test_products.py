"""Installed product names per machine (collector.store.products): written as reports become a
machine's state, filled by revision 0007 for machines stored before it, and counted against the
licence register's seats in SQL."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import select

from agent.wire.schema import Antivirus, AntivirusProduct, Program, Software, encode_report
from collector.db import Database, create_db_engine
from collector.judging.scan import scan_all
from collector.migrate import upgrade_to, upgrade_to_head
from collector.models.alerts import Alert
from collector.models.machines import Machine
from collector.models.products import NAME_MAX, MachineProduct, ProductName
from collector.store.licences import add_licence, licence_terms
from collector.store.people import person_for_token
from collector.store.products import licence_installs, matching_names, path_range, product_names, subtree_within
from collector.store.scope import EVERYTHING, Scope
from tests.api_world import World
from tests.factories import T0, make_report, signed


def report_with(agent_id: str, sequence: int, programs: list[str], antivirus: list[str] = ()) -> bytes:
    report = make_report(agent_id, sequence)
    report.software = Software(programs=[Program(name=name) for name in programs])
    report.antivirus = Antivirus(products=[AntivirusProduct(name=name) for name in antivirus])
    return encode_report(report)


def send(world: World, agent: dict[str, str], body: bytes) -> None:
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    assert response.status_code == 201, response.text


def names_of(world: World, machine_id: int) -> set[str]:
    with world.db.session() as session:
        return set(session.scalars(select(ProductName.name).join(MachineProduct).where(
            MachineProduct.machine_id == machine_id)))


def installs(world: World, person: str) -> dict[str, int]:
    with world.db.session() as session:
        terms = licence_terms(session)
        scope = person_for_token(session, world.people[person], T0).scope
        counts = licence_installs(session, scope, terms)
        return {t.product: counts[t.id] for t in terms}


def test_report_names_are_trimmed_cut_and_without_blanks() -> None:
    report = make_report("a", 1)
    report.software = Software(programs=[Program(name="  7-Zip 23.01 (x64) "), Program(name=" "),
                                         Program(name="x" * 300)])
    report.antivirus = Antivirus(products=[AntivirusProduct(name="Kaspersky Endpoint Security")])
    assert product_names(report) == {"7-Zip 23.01 (x64)", "x" * NAME_MAX, "Kaspersky Endpoint Security"}
    assert product_names(make_report("a", 1)) == set()


def test_patterns_match_whole_names_without_case_as_the_rules_do() -> None:
    names = [(1, "kaspersky endpoint security 12"), (2, "kaspersky small office"), (3, "bkav pro"), (4, "zalo")]
    assert matching_names(names, "KASPERSKY*") == [1, 2]
    assert matching_names(names, "*pro") == [3]
    assert matching_names(names, "bkav") == []  # a whole-name match, not a substring
    assert matching_names(names, "[bz]*") == [3, 4]


def test_subtrees_meet_scopes_as_path_ranges() -> None:
    assert subtree_within("/1/7/", EVERYTHING) == "/1/7/"
    assert subtree_within("/1/7/", Scope("/1/")) == "/1/7/"  # an entry inside the person's scope
    assert subtree_within("/1/", Scope("/1/7/")) == "/1/7/"  # a province entry seen from a commune
    assert subtree_within("/1/8/", Scope("/1/7/")) is None
    low, high = path_range("/1/7/")
    assert [p for p in ("/1/7/", "/1/7/42/", "/1/70/", "/1/8/", "/1/6/9/") if low <= p < high] == ["/1/7/", "/1/7/42/"]


def test_a_machine_keeps_the_names_of_its_newest_report_only(world: World) -> None:
    agent = world.enroll("XA")
    machine = int(agent["machine_id"])
    send(world, agent, report_with(agent["agent_id"], 2, ["Zalo", "UltraViewer 6.6"], ["BKAV Pro"]))
    assert names_of(world, machine) == {"Zalo", "UltraViewer 6.6", "BKAV Pro"}
    send(world, agent, report_with(agent["agent_id"], 1, ["AnyDesk"]))  # older, arriving late: not the state
    assert names_of(world, machine) == {"Zalo", "UltraViewer 6.6", "BKAV Pro"}
    send(world, agent, report_with(agent["agent_id"], 3, ["Zalo", "Microsoft Office 2019"]))
    assert names_of(world, machine) == {"Zalo", "Microsoft Office 2019"}
    other = world.enroll("XA", machine_uid="uid-2", hostname="pc-02")
    send(world, other, report_with(other["agent_id"], 1, ["Zalo"]))
    with world.db.session() as session:  # one row per name, shared by machines
        assert len(session.scalars(select(ProductName.id).where(ProductName.name == "Zalo")).all()) == 1


def test_names_are_written_only_when_their_digest_changed(world: World) -> None:
    agent = world.enroll("XA")
    machine = int(agent["machine_id"])
    writes: list[str] = []

    def on_write(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "machine_products" in statement and not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    sa.event.listen(world.db.engine, "before_cursor_execute", on_write)
    send(world, agent, report_with(agent["agent_id"], 1, ["Zalo", "UltraViewer 6.6"], ["BKAV Pro"]))
    assert writes and names_of(world, machine) == {"Zalo", "UltraViewer 6.6", "BKAV Pro"}
    writes.clear()
    send(world, agent, report_with(agent["agent_id"], 2, ["UltraViewer 6.6", "Zalo"], ["BKAV Pro"]))  # same names
    assert writes == []
    with world.db.session() as session:  # a database migrated to 0019 has no digest yet: the next report writes
        session.execute(sa.update(Machine).where(Machine.id == machine).values(products_digest=None))
        session.execute(sa.delete(MachineProduct).where(MachineProduct.machine_id == machine))
    send(world, agent, report_with(agent["agent_id"], 3, ["Zalo", "UltraViewer 6.6"], ["BKAV Pro"]))
    assert writes and names_of(world, machine) == {"Zalo", "UltraViewer 6.6", "BKAV Pro"}
    writes.clear()
    send(world, agent, report_with(agent["agent_id"], 4, ["Zalo"], ["BKAV Pro"]))
    assert writes and names_of(world, machine) == {"Zalo", "BKAV Pro"}


def test_installs_count_machines_of_the_subtree_in_scope_naming_the_product(world: World) -> None:
    office = world.enroll("XA-VP", machine_uid="uid-vp", hostname="vp-01")
    send(world, office, report_with(office["agent_id"], 1, ["Microsoft Office Standard 2019"], ["Kaspersky Endpoint"]))
    commune = world.enroll("XA", machine_uid="uid-a", hostname="a-01")
    send(world, commune, report_with(commune["agent_id"], 1, ["Microsoft Office Professional Plus 2016"],
                                     ["Kaspersky Small Office Security", "Windows Defender"]))
    neighbour = world.enroll("XB", machine_uid="uid-b", hostname="b-01")
    send(world, neighbour, report_with(neighbour["agent_id"], 1, ["KASPERSKY Endpoint"]))
    with world.db.session() as session:
        add_licence(session, "Kaspersky (tỉnh)", "kaspersky*", 100, date(2027, 12, 31), "PV", T0)
        add_licence(session, "Kaspersky (xã A)", "Kaspersky*", 2, date(2027, 12, 31), "XA", T0)
        add_licence(session, "Office (văn phòng)", "Microsoft Office*", 1, date(2027, 12, 31), "XA-VP", T0)
        add_licence(session, "WinRAR", "WinRAR*", 5, date(2027, 12, 31), "PV", T0)
    assert installs(world, "admin") == {"Kaspersky (tỉnh)": 3, "Kaspersky (xã A)": 2, "Office (văn phòng)": 1,
                                        "WinRAR": 0}
    # A commune's viewer counts only the machines they may see, even under the province's entry.
    assert installs(world, "viewer_a") == {"Kaspersky (tỉnh)": 2, "Kaspersky (xã A)": 2, "Office (văn phòng)": 1,
                                           "WinRAR": 0}
    send(world, commune, report_with(commune["agent_id"], 2, []))  # uninstalled everything
    assert installs(world, "admin")["Kaspersky (xã A)"] == 1


def test_a_machine_moved_to_another_unit_counts_there_at_once(world: World) -> None:
    first = world.enroll("XA", machine_uid="uid-moving", hostname="pc-moving")
    send(world, first, report_with(first["agent_id"], 1, ["Foxit PDF Reader"]))
    with world.db.session() as session:
        add_licence(session, "Foxit (xã B)", "foxit*", 5, date(2027, 12, 31), "XB", T0)
    assert installs(world, "admin") == {"Foxit (xã B)": 0}
    moved = world.client.post(f"/api/v1/machines/{first['machine_id']}/move", json={"unit": "XB"},
                              headers=world.as_person("admin"))
    assert moved.status_code == 200 and moved.json()["unit_code"] == "XB"
    assert installs(world, "admin") == {"Foxit (xã B)": 1}  # no new report needed


def test_machines_stored_before_revision_0007_get_their_names_from_their_state(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade_to(engine, "0001")
    # Rows as revision 0001 knew them (the models describe the newest revision's columns).
    units = sa.table("units", *(sa.column(c) for c in ("id", "code", "name", "kind", "parent_id", "path",
                                                         "staff_count", "created_at")))
    machines = sa.table("machines", *(sa.column(c) for c in ("machine_uid", "hostname", "unit_id", "role",
                                                               "os_name", "created_at", "state_sequence",
                                                               "state_json")))
    states = [report_with(f"agent-{i}", 1, programs).decode() if programs is not None else None
              for i, programs in enumerate((["Zalo", "WinRAR 6.24"], [], None))] + ["{not json"]
    with engine.begin() as connection:
        connection.execute(sa.insert(units).values(id=1, code="PV", name="Tỉnh Thử Nghiệm", kind="province",
                                                   path="/1/", staff_count=0, created_at=T0))
        connection.execute(sa.insert(machines), [
            {"machine_uid": f"uid-{i}", "hostname": "pc-bad" if i == 3 else f"pc-{i}", "unit_id": 1, "role": "normal",
             "os_name": "", "created_at": T0, "state_sequence": 1 if state else 0, "state_json": state}
            for i, state in enumerate(states)])
    db = Database(engine)
    upgrade_to_head(engine)
    with db.session() as session:
        stored = session.execute(select(Machine.hostname, ProductName.name).join(
            MachineProduct, MachineProduct.machine_id == Machine.id).join(ProductName)).all()
    assert sorted(stored) == [("pc-0", "WinRAR 6.24"), ("pc-0", "Zalo")]
    db.dispose()


def test_the_scan_raises_seats_exceeded_from_the_same_counts(world: World) -> None:
    for i in range(3):
        agent = world.enroll("XA", machine_uid=f"uid-{i}", hostname=f"pc-{i}")
        send(world, agent, report_with(agent["agent_id"], 1, ["WinRAR 6.24 (64-bit)"] if i < 2 else ["7-Zip 23.01"]))
    with world.db.session() as session:
        add_licence(session, "WinRAR", "winrar*", 1, date(2027, 12, 31), "XA", T0)
        add_licence(session, "7-Zip", "7-zip*", 1, date(2027, 12, 31), "XA", T0)
    scan_all(world.db, world.clock.now, world.rules, network=False)
    with world.db.session() as session:
        alerts = session.execute(select(Alert.subject, Alert.detail).where(
            Alert.rule_id == "licence.seats_exceeded", Alert.status == "open")).all()
    assert [subject for subject, _ in alerts] == ["unit:XA"]
    assert "WinRAR" in alerts[0][1] and "7-Zip" not in alerts[0][1]


def test_terms_unit_chain_and_settings_read_for_judging_count_what_the_session_changed(world: World) -> None:
    """licence_terms, the unit chain and the settings are read with Core statements (2026-12-03):
    what the session changed and did not flush yet counts, as it did when they were ORM selects."""
    from collector.models.units import Unit
    from collector.store.licences import delete_licence, edit_licence
    from collector.store.units import get_unit, unit_codes_on_path

    with world.db.session() as session:
        kept = add_licence(session, "Kaspersky (xã A)", "Kaspersky*", 2, date(2027, 12, 31), "XA", T0)
        gone = add_licence(session, "WinRAR", "WinRAR*", 5, date(2027, 12, 31), "PV", T0)
    with world.db.session() as session:
        edit_licence(session, kept.id, "Kaspersky (xã A)", "Kaspersky*", 7, date(2028, 6, 30), None, T0)
        delete_licence(session, gone.id, T0)
        assert [(t.product, t.seats, t.expires_on) for t in licence_terms(session)] == [
            ("Kaspersky (xã A)", 7, date(2028, 6, 30))]
        unit = get_unit(session, "XA")
        renamed = session.get(Unit, unit.id)
        assert renamed is not None
        renamed.code = "XA-NEW"
        assert unit_codes_on_path(session, unit.path)[-1] == "XA-NEW"
        session.rollback()
    with world.db.session() as session:
        from collector.models.settings import UnitSettings
        from collector.store.settings import effective_settings, set_unit_settings

        set_unit_settings(session, "XA", {"interval_minutes": 30}, [], T0, "test")
        unit = get_unit(session, "XA")
        row = session.get(UnitSettings, unit.id)
        assert row is not None
        row.values_json = '{"interval_minutes": 45}'
        assert effective_settings(session, unit.path).values == {"interval_minutes": 45}
