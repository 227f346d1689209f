"""The incremental scan (collector.judging.machine_sweep): a machine is judged again only when its
inputs changed or the clock may have changed a verdict, and what it leaves equals a full re-judge.
Reports arrive through the real ingest; the clock is frozen. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from agent.wire.schema import encode_report
from collector.judging.scan import scan_all
from collector.models.alerts import Alert
from collector.store.scan_marks import forget_marks
from rules.clock_facts import next_change
from rules.engine import compile_rules
from rules.loader import load_builtin
from tests.api_world import World
from tests.factories import make_report, signed

MACHINES = 5


def _send(world: World, creds: dict[str, str], sequence: int, uid: str) -> None:
    body = encode_report(make_report(creds["agent_id"], sequence, machine_uid=uid,
                                     collected_at=world.clock.now - timedelta(seconds=5)))
    response = world.client.post("/api/v1/reports", content=body, headers=signed(creds["agent_id"], creds["key"], body,
                                                                                 world.clock.now))
    assert response.status_code == 201, response.text


def _alerts(world: World) -> set[tuple[str, str, str, str]]:
    with world.db.session() as session:
        return {(a.subject, a.rule_id, a.status, a.severity) for a in session.scalars(select(Alert))}


def _readiness(world: World) -> set[tuple[object, ...]]:
    from collector.models.readiness import MachineReadiness

    columns = [c for c in MachineReadiness.__table__.columns if c.name != "updated_at"]
    with world.db.session() as session:
        return {tuple(row) for row in session.execute(select(*columns))}


def _scan(world: World) -> int:
    summary = scan_all(world.db, world.clock.now, world.rules, network=False)
    assert summary.machines == MACHINES
    return summary.judged


def test_only_changed_or_due_machines_are_judged_and_the_result_equals_a_full_scan(world: World) -> None:
    agents = []
    for index in range(MACHINES):
        if index:
            world.clock.advance(hours=10)  # machine 0 was last seen 40 h before the first scan, machine 4 just now
        uid = f"uid-{index}"
        creds = world.enroll(machine_uid=uid, hostname=f"pc-{index}")
        _send(world, creds, 1, uid)
        agents.append((creds, uid))
    assert _scan(world) == MACHINES  # nothing was judged by a scan before
    world.clock.advance(minutes=15)
    assert _scan(world) == 0  # nothing changed, no clock fact crossed a threshold
    _send(world, agents[4][0], 2, agents[4][1])
    world.clock.advance(minutes=15)
    assert _scan(world) == 1  # the machine that reported
    assert not any(rule == "agent.silent" for _, rule, status, _ in _alerts(world) if status == "open")
    world.clock.advance(hours=9)  # machine 0: 49.5 h silent (> 48), machine 1: 39.5 h
    judged = _scan(world)
    assert 1 <= judged < MACHINES
    silent = {subject for subject, rule, status, _ in _alerts(world) if rule == "agent.silent" and status == "open"}
    assert len(silent) == 1
    incremental, rows = _alerts(world), _readiness(world)
    with world.db.session() as session:
        forget_marks(session)
    assert _scan(world) == MACHINES
    assert _alerts(world) == incremental
    assert _readiness(world) == rows


NOW = datetime(2026, 11, 22, 8, 0).astimezone()


def test_the_next_change_is_when_an_age_can_first_reach_a_threshold() -> None:
    ruleset, errors = compile_rules(load_builtin().rules)
    assert errors == []
    silent = [c for c in ruleset.rules if c.rule.id == "agent.silent"]  # agent.silent_hours > 48
    # Without the fact's next step it may step at once: 10 -> 49 in 38 steps after the first.
    assert next_change(silent, {"agent.silent_hours": 10}, NOW) == NOW + timedelta(hours=38)
    assert next_change(silent, {"agent.silent_hours": 48}, NOW) == NOW
    # Seen 10 h 25 min ago: 11 h in 35 minutes, 49 h (> 48) 38 hours after that.
    steps = {"agent.silent_hours": NOW + timedelta(minutes=35)}
    assert next_change(silent, {"agent.silent_hours": 10}, NOW, steps) == NOW + timedelta(hours=38, minutes=35)
    assert next_change(silent, {"agent.silent_hours": 47}, NOW, steps) == NOW + timedelta(hours=1, minutes=35)
    assert next_change(silent, {"agent.silent_hours": 200}, NOW) is None  # past every threshold: never again
    assert next_change(silent, {"agent.silent_hours": None}, NOW) is None
    expiring = [c for c in ruleset.rules if c.rule.id == "cert.signing_expiring"]  # days_left <= 45, shrinking
    assert next_change(expiring, {"cert.signing_days_left": 100}, NOW) == NOW + timedelta(days=54)
    assert next_change(expiring, {"cert.signing_days_left": 10}, NOW) is None


def test_a_clock_fact_used_other_than_in_a_comparison_is_due_at_every_scan() -> None:
    from rules.loader import load_text

    loaded = load_text("""
pack: t
rules:
  - id: t.weeks
    title: {vi: "T", en: "T"}
    remediation: {vi: "S", en: "F"}
    severity: low
    scope: machine
    condition: "backup.age_days / 7 > 2"
    sources: [{text: "test"}]
""", "t.yaml")
    ruleset, errors = compile_rules(loaded.rules)
    assert errors == [] and loaded.errors == []
    assert next_change(ruleset.rules, {"backup.age_days": 3}, NOW) == NOW


def test_every_fact_that_moves_with_the_clock_is_declared() -> None:
    import random

    from rules.clock_facts import CLOCK_FACTS, DATED_FACTS
    from rules.facts import MachineContext, machine_facts
    from server.demo_fleet import demo_machines, demo_report

    moved: set[str] = set()
    for machine in demo_machines():
        report = demo_report(machine, "a", 1, NOW, random.Random(1))
        meta = MachineContext(last_seen_at=NOW, key_enrolled_at=NOW - timedelta(days=3))
        base = machine_facts(report, meta, NOW)
        for days in (1, 10, 40, 100, 400, 2000):
            later = machine_facts(report, meta, NOW + timedelta(days=days))
            moved |= {name for name in later if later[name] != base[name]}
    assert moved <= set(CLOCK_FACTS) | set(DATED_FACTS)


def _inputs(world: World, **params: object) -> tuple[object, object]:
    """The scan's VerdictInputs over ``world`` (its rules; the units' indicators with ``params``
    for os_activated) and a machine's own inputs."""
    import dataclasses

    from collector.judging.machine_inputs import MachineInputs, VerdictInputs
    from collector.judging.scan import _Seen
    from collector.store.lan import LanFacts
    from collector.store.unit_context import UnitContexts
    from rules.indicators import IndicatorSet

    indicators = world.rules.indicators
    changed = [dataclasses.replace(i, parameters={**i.parameters, **params}) if i.id == "os_activated" else i
               for i in indicators.indicators]
    units = IndicatorSet(tuple(changed), indicators.in_use_days, indicators.unit_kinds, indicators.overrides)
    with world.db.session() as session:
        seen = _Seen(LanFacts(), {}, {}, {}, UnitContexts(session, units, NOW))
    # Times as the database gives them back (collector.models.base.UTCDateTime): in UTC.
    return VerdictInputs(world.rules, [], NOW, seen), MachineInputs(NOW.astimezone(UTC), [], None, 0, None, None)


def test_the_digests_change_with_every_input_and_only_with_them(world: World) -> None:
    """The unit's digest with the path and the unit's context, the machine's own with each of its
    observations; its row's unit, sequence, last-seen time and agents are compared in SQL (below)."""
    from rules.licences import LicenceCover

    inputs, own = _inputs(world)
    base = inputs.unit_digest("/1/2/")  # type: ignore[attr-defined]
    assert inputs.unit_digest("/1/2/") == base and inputs.own_digest(own) == ""  # type: ignore[attr-defined]
    kms, _ = _inputs(world, kms_hosts=["kms.tinh.gov.vn"])  # the unit's shared part: its KMS hosts
    assert len({base, inputs.unit_digest("/1/3/"), kms.unit_digest("/1/2/")}) == 3  # type: ignore[attr-defined]
    others = {"licences": [LicenceCover("BKAV Pro", "*bkav*", 10, NOW.date(), None, 3)],
              "mac_seen_on_lan": True, "rejected_reports": 2}
    digests = {inputs.own_digest(own._replace(**{name: value})) for name, value in others.items()}  # type: ignore
    assert len(digests) == len(others) and "" not in digests
    no_seat = [LicenceCover("BKAV Pro", "*bkav*", 10, NOW.date(), None, None)]  # the unit's entry, no rank
    assert inputs.own_digest(own._replace(licences=no_seat, mac_seen_on_lan=False)) == ""  # type: ignore


def test_the_digests_are_the_same_in_another_process(world: World) -> None:
    import os
    import subprocess
    import sys

    from rules.licences import LicenceCover

    inputs, own = _inputs(world)
    script = ("import sys; from datetime import date; from collector.judging.machine_inputs import "
              "MachineInputs, VerdictInputs; from rules.licences import LicenceCover; "
              "print(VerdictInputs.own_digest(MachineInputs(None, [LicenceCover('BKAV Pro', '*bkav*', 10, "
              f"date({NOW.year}, {NOW.month}, {NOW.day}), None, 3)], True, 2, None, None)))")
    own = own._replace(licences=[LicenceCover("BKAV Pro", "*bkav*", 10, NOW.date(), None, 3)],  # type: ignore
                       mac_seen_on_lan=True, rejected_reports=2)
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert answer.stdout.strip() == inputs.own_digest(own)  # type: ignore[attr-defined]


def test_a_report_stored_while_the_scan_judges_is_left_to_ingest_and_judged_at_the_next_scan(
        world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import collector.judging.machine_sweep as sweep
    from collector.store.scan import CurrentState

    creds = world.enroll(machine_uid="uid-0", hostname="pc-0")
    _send(world, creds, 1, "uid-0")
    world.clock.advance(days=3)  # silent by now: the scan would open agent.silent
    real = sweep.lock_current_states

    def newer(session, machine_ids):  # type: ignore[no-untyped-def]
        # as if the machine's next report was stored between the sweep's first read and the lock
        return {m: CurrentState(s.state_json, s.state_sequence + 1, world.clock.now)
                for m, s in real(session, machine_ids).items()}

    monkeypatch.setattr(sweep, "lock_current_states", newer)
    summary = scan_all(world.db, world.clock.now, world.rules, network=False)
    assert summary.judged == 1 and summary.machines == 1
    assert not any(rule == "agent.silent" for _, rule, _, _ in _alerts(world))  # ingest's judging stands
    monkeypatch.setattr(sweep, "lock_current_states", real)
    assert scan_all(world.db, world.clock.now, world.rules, network=False).judged == 1  # not marked as judged
    assert any(rule == "agent.silent" and status == "open" for _, rule, status, _ in _alerts(world))


def test_the_rows_of_machines_not_judged_stay_as_they_are_however_many_were_judged(
        world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before, a scan that judged more than FEW_CHANGED (5,000) machines recomputed every machine's
    readiness row: at 200,000 machines the clock alone makes that many due, and "nothing changed"
    cost like a full sweep. The threshold is lowered here to show it; the scan no longer has one."""
    import collector.judging.scan
    from collector.models.readiness import MachineReadiness

    monkeypatch.setattr(collector.judging.scan, "FEW_CHANGED", 2, raising=False)
    agents = []
    for index in range(MACHINES):
        uid = f"uid-{index}"
        agents.append((world.enroll(machine_uid=uid, hostname=f"pc-{index}"), uid))
        _send(world, agents[-1][0], 1, uid)
    first = world.clock.now
    assert _scan(world) == MACHINES
    world.clock.advance(minutes=15)
    for creds, uid in agents[1:]:
        _send(world, creds, 2, uid)
    assert _scan(world) == MACHINES - 1
    with world.db.session() as session:
        updated = dict(session.execute(select(MachineReadiness.machine_id, MachineReadiness.updated_at)).all())
    assert updated[int(agents[0][0]["machine_id"])] == first  # not judged, refreshed today: left as it was
    assert all(updated[int(creds["machine_id"])] == world.clock.now for creds, _ in agents[1:])


def _unit_alerts(world: World) -> dict[tuple[str, str], tuple[str, int, datetime]]:
    with world.db.session() as session:
        return {(a.subject, a.rule_id): (a.status, a.count, a.last_seen_at)
                for a in session.scalars(select(Alert).where(Alert.subject.startswith("unit:")))}


def test_a_unit_is_judged_again_when_its_facts_or_the_day_change_and_the_result_equals_a_full_scan(
        world: World) -> None:
    """Before, every scan judged every unit: each firing unit alert was counted once more and its
    last-seen time moved, 4,688 rows rewritten at every scan of 100,000 machines with nothing new."""
    creds = world.enroll("XA", machine_uid="uid-a", hostname="pc-a")
    _send(world, creds, 1, "uid-a")
    first = scan_all(world.db, world.clock.now, world.rules, network=False)
    assert first.units == first.units_judged == 4  # PV, XA, XA-VP, XB: no marks yet
    before = _unit_alerts(world)
    assert any(status == "open" for status, _, _ in before.values())  # 1 machine for 16 officials
    world.clock.advance(minutes=15)
    again = scan_all(world.db, world.clock.now, world.rules, network=False)
    assert (again.units, again.units_judged) == (4, 0)
    assert _unit_alerts(world) == before  # not counted again, last seen as it was
    world.clock.advance(minutes=15)
    other = world.enroll("XB", machine_uid="uid-b", hostname="pc-b")
    _send(world, other, 1, "uid-b")
    assert scan_all(world.db, world.clock.now, world.rules, network=False).units_judged == 2  # XB and PV
    world.clock.advance(days=1)
    assert scan_all(world.db, world.clock.now, world.rules, network=False).units_judged == 4  # a new day
    incremental = _alerts(world)
    with world.db.session() as session:
        forget_marks(session)
    assert scan_all(world.db, world.clock.now, world.rules, network=False).units_judged == 4
    assert _alerts(world) == incremental
