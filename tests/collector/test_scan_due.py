"""What makes the incremental scan judge a machine again when its report did not change
(collector.judging.machine_sweep.due_machines, collector.store.scan_marks): each input the mark
keeps, changed alone, makes exactly that machine due, once. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from collector.judging.scan import ScanSummary, scan_all
from collector.models.lan import LanDevice
from collector.models.machines import Machine
from collector.models.rejections import IngestRejection
from collector.models.units import Unit
from collector.store.rejections import count_rejection
from tests.api_world import World
from tests.collector.test_incremental_scan import _send


def _scan(world: World) -> ScanSummary:
    return scan_all(world.db, world.clock.now, world.rules, network=False)


def _two_machines(world: World, unit: str = "XA") -> list[dict[str, str]]:
    """Two machines that reported, judged by a first scan; 15 minutes later."""
    machines = []
    for uid in ("uid-0", "uid-1"):
        machines.append(world.enroll(unit=unit, machine_uid=uid, hostname=f"pc-{uid}"))
        _send(world, machines[-1], 1, uid)
    assert _scan(world).judged == 2
    world.clock.advance(minutes=15)
    assert _scan(world).judged == 0
    return machines


def test_a_machine_enrolled_again_is_judged_again(world: World) -> None:
    _two_machines(world)
    world.enroll(machine_uid="uid-1", hostname="pc-uid-1")  # a new agent, a new key, no report yet
    assert _scan(world).judged == 1
    assert _scan(world).judged == 0


def test_a_machine_moved_to_another_unit_is_judged_again(world: World) -> None:
    machines = _two_machines(world)
    with world.db.session() as session:
        other = session.scalar(select(Unit.id).where(Unit.code == "XB"))
        session.execute(update(Machine).where(Machine.id == int(machines[0]["machine_id"])).values(unit_id=other))
    assert _scan(world).judged == 1
    assert _scan(world).judged == 0


def test_the_machines_of_a_unit_moved_in_the_tree_are_judged_again(world: World) -> None:
    _two_machines(world, unit="XA-VP")
    with world.db.session() as session:
        office, commune = (session.scalar(select(Unit).where(Unit.code == code)) for code in ("XA-VP", "XB"))
        assert office is not None and commune is not None
        office.parent_id, office.path = commune.id, f"{commune.path}{office.id}/"
    assert _scan(world).judged == 2  # their unit's chain, and so its overrides and targets, changed
    assert _scan(world).judged == 0


def test_refused_reports_make_a_machine_due_when_they_come_and_when_they_go(world: World) -> None:
    machines = _two_machines(world)
    count_rejection(world.db, machines[0]["agent_id"], int(machines[0]["machine_id"]), "bad_signature",
                    world.clock.now)
    assert _scan(world).judged == 1
    assert _scan(world).judged == 0
    with world.db.session() as session:
        session.execute(delete(IngestRejection))  # as the window passing them would
    assert _scan(world).judged == 1
    assert _scan(world).judged == 0


def test_a_mac_seen_on_the_lan_after_the_last_report_makes_the_machine_due(world: World) -> None:
    machines = _two_machines(world)
    with world.db.session() as session:
        unit = session.scalar(select(Unit.id).where(Unit.code == "XA"))
        session.add(LanDevice(mac="aa:bb:cc:dd:ee:01", ip="10.0.0.9", unit_id=unit, machine_id=None,
                              first_seen_at=world.clock.now, last_seen_at=world.clock.now, seen_by="sweep"))
    assert _scan(world).judged == 2  # the first LAN seen: "MAC seen" is known of every machine now
    world.clock.advance(minutes=15)
    with world.db.session() as session:
        session.add(LanDevice(mac="aa:bb:cc:dd:ee:02", ip="10.0.0.10", unit_id=unit,
                              machine_id=int(machines[1]["machine_id"]), first_seen_at=world.clock.now,
                              last_seen_at=world.clock.now, seen_by="sweep"))
    assert _scan(world).judged == 1
    assert _scan(world).judged == 0


def test_a_machine_whose_report_does_not_decode_is_not_counted_and_tried_at_every_scan(world: World) -> None:
    machines = _two_machines(world)
    broken = int(machines[0]["machine_id"])
    with world.db.session() as session:
        session.execute(update(Machine).where(Machine.id == broken)
                        .values(state_json="{not json", state_sequence=Machine.state_sequence + 1))
    for _ in range(2):
        summary = _scan(world)
        assert (summary.judged, summary.machines, summary.undecodable) == (1, 1, [broken])
    with world.db.session() as session:  # a readable state again
        other = session.scalar(select(Machine.state_json).where(Machine.id == int(machines[1]["machine_id"])))
        session.execute(update(Machine).where(Machine.id == broken)
                        .values(state_json=other, state_sequence=Machine.state_sequence + 1))
    summary = _scan(world)
    assert (summary.judged, summary.machines, summary.undecodable) == (1, 2, [])
