"""Issue 14.1: an enrollment token of one unit must not take over a machine of another unit.

A machine_uid is no secret (/etc/machine-id, MachineGuid; it travels in clear in offline
enrollment files), so a token may enroll a new machine or re-enroll one of its own unit's
subtree; a machine of another unit is refused and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api_world import World
from tests.factories import report_body, signed


def send(world: World, agent: dict[str, str], sequence: int, **identity: str) -> int:
    body = report_body(agent["agent_id"], sequence, **identity)
    return world.client.post("/api/v1/reports", content=body,
                             headers=signed(agent["agent_id"], agent["key"], body)).status_code


def test_a_token_of_another_unit_cannot_take_over_a_machine(world: World) -> None:
    victim = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    assert send(world, victim, 1, hostname="ketoan-b") == 201
    response = world.client.post("/api/v1/enroll", json={"token": world.tokens["XA"], "machine_uid": "uid-b",
                                                         "hostname": "x"})
    assert (response.status_code, response.json()["error"]) == (409, "machine_in_other_unit")
    assert world.count("agents") == 1  # nothing changed: no agent added, none revoked
    assert send(world, victim, 2, hostname="ketoan-b") == 201  # B's real agent still reports
    machine = world.client.get(f"/api/v1/machines/{victim['machine_id']}", headers=world.as_person("officer_b"))
    assert (machine.json()["unit_code"], machine.json()["hostname"]) == ("XB", "ketoan-b")
    # A's people still cannot read B's machine.
    seen = world.client.get(f"/api/v1/machines/{victim['machine_id']}", headers=world.as_person("viewer_a"))
    assert seen.status_code == 404


def test_a_token_re_enrolls_a_machine_of_its_own_subtree_and_keeps_its_unit(world: World) -> None:
    office = world.enroll("XA-VP", machine_uid="uid-vp", hostname="vp-01")
    again = world.enroll("XA", machine_uid="uid-vp", hostname="vp-01")  # the commune's token, the office's PC
    assert (again["machine_id"], again["unit_code"]) == (office["machine_id"], "XA-VP")
    assert send(world, office, 1) == 401  # the old key no longer signs
    assert send(world, again, 1) == 201


def test_a_province_token_cannot_be_used_from_a_commune_to_take_an_office_machine(world: World) -> None:
    world.enroll("XA-VP", machine_uid="uid-vp", hostname="vp-01")
    response = world.client.post("/api/v1/enroll", json={"token": world.tokens["XB"], "machine_uid": "uid-vp",
                                                         "hostname": "vp-01"})
    assert response.status_code == 409 and world.count("agents") == 1


def reenrolled_alert(world: World, person: str, machine_id: str) -> dict[str, object] | None:
    items = world.client.get("/api/v1/alerts", headers=world.as_person(person)).json()["items"]
    return next((a for a in items if a["rule_id"] == "agent.reenrolled" and a["machine_id"] == machine_id), None)


def test_re_enrolling_a_known_machine_raises_an_alert_the_officer_sees(world: World) -> None:
    first = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    assert send(world, first, 1) == 201
    assert reenrolled_alert(world, "officer_b", first["machine_id"]) is None  # a first enrollment is no news
    again = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    alert = reenrolled_alert(world, "officer_b", again["machine_id"])
    assert alert is not None and alert["status"] == "open" and alert["severity"] == "medium"
    assert "đăng ký lại, có khóa mới" in str(alert["detail"])  # the evidence, in words
    assert reenrolled_alert(world, "viewer_a", again["machine_id"]) is None  # another commune does not see it


def test_the_scan_keeps_the_re_enrollment_alert_for_a_week_then_resolves_it(world: World) -> None:
    from collector.judging.scan import scan_all

    world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    again = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    assert send(world, again, 1) == 201  # ingest does not know the enrollment facts: the alert stays
    world.clock.advance(days=6)
    scan_all(world.db, world.clock.now, world.rules, network=False)
    assert reenrolled_alert(world, "admin", again["machine_id"])["status"] == "open"  # type: ignore[index]
    world.clock.advance(days=2)
    scan_all(world.db, world.clock.now, world.rules, network=False)
    assert reenrolled_alert(world, "admin", again["machine_id"])["status"] == "resolved"  # type: ignore[index]


def test_the_refused_takeover_is_in_the_audit_log_of_the_machines_unit(world: World) -> None:
    from collector.store.audit import list_audit
    from collector.store.scope import Scope
    from collector.store.units import get_unit

    victim = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    world.client.post("/api/v1/enroll", json={"token": world.tokens["XA"], "machine_uid": "uid-b", "hostname": "x"})
    with world.db.session() as session:
        in_b = [e for e in list_audit(session, Scope(get_unit(session, "XB").path)) if e.subject.startswith("machine")]
        in_a = [e for e in list_audit(session, Scope(get_unit(session, "XA").path)) if e.subject.startswith("machine")]
    assert [(e.action, e.subject) for e in in_b] == [("enrollment_refused", f"machine:{victim['machine_id']}"),
                                                    ("machine_enrolled", f"machine:{victim['machine_id']}")]
    assert "unit XA" in in_b[0].detail and "testclient" in in_b[0].detail
    assert in_a == []


def test_an_offline_enrollment_file_cannot_take_over_another_units_machine(world: World, tmp_path: Path) -> None:
    from collector.intake.importer import Verdict, import_files
    from tests.collector.test_import import OfflinePC, files

    victim = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    thief = OfflinePC(world.tokens["XA"], machine_uid="uid-b", hostname="x")
    results = import_files(world.db, files(tmp_path, enroll=thief.enrollment(), r1=thief.report(1)), world.clock(),
                           world.rules)
    assert [(r.verdict, r.code) for r in results] == [(Verdict.REFUSED, "machine_in_other_unit"),
                                                      (Verdict.FOREIGN, "unknown_agent")]
    assert world.count("agents") == 1 and send(world, victim, 1) == 201


def test_re_enrolling_by_file_raises_the_alert_too(world: World, tmp_path: Path) -> None:
    from collector.intake.importer import import_files
    from tests.collector.test_import import OfflinePC, files

    first, second = OfflinePC(world.tokens["XA"]), OfflinePC(world.tokens["XA"])
    import_files(world.db, files(tmp_path, a=first.enrollment()), world.clock(), world.rules)
    import_files(world.db, files(tmp_path, b=second.enrollment()), world.clock(), world.rules)
    items = world.client.get("/api/v1/alerts", headers=world.as_person("viewer_a")).json()["items"]
    assert [a["rule_id"] for a in items] == ["agent.reenrolled"]


def test_a_failure_of_the_enrollment_rules_does_not_cost_the_enrollment(world: World,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import collector.judging.enrollment as judging

    def broken(*_args: object) -> int:
        raise RuntimeError("a rule broke")

    monkeypatch.setattr(judging, "judge_enrollment", broken)
    world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    again = world.enroll("XB", machine_uid="uid-b", hostname="ketoan-b")
    assert send(world, again, 1) == 201 and world.count("agents") == 2
