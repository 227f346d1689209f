"""Alerts from real reports through the real app (SQLite and PostgreSQL): opened once, counted,
resolved when the condition clears, re-opened; the scan judges silence and units."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from sqlalchemy import select

from agent.wire.schema import Antivirus, AntivirusProduct, encode_report
from collector.judging.scan import scan_all
from collector.models.alerts import Alert, AlertEvent
from collector.store.alerts import pending_notices
from tests.api_world import World
from tests.factories import make_report, signed


def send(world: World, creds: dict[str, str], sequence: int, antivirus: Antivirus | None) -> None:
    report = make_report(creds["agent_id"], sequence, collected_at=world.clock.now - timedelta(seconds=5))
    report.antivirus = antivirus
    body = encode_report(report)
    response = world.client.post("/api/v1/reports", content=body,
                                 headers=signed(creds["agent_id"], creds["key"], body, world.clock.now))
    assert response.status_code == 201, response.text


def alert(world: World, rule_id: str) -> Alert | None:
    with world.db.session() as session:
        return session.scalar(select(Alert).where(Alert.rule_id == rule_id))


def events(world: World, alert_id: int) -> list[str]:
    with world.db.session() as session:
        return list(session.scalars(select(AlertEvent.transition).where(AlertEvent.alert_id == alert_id)
                                    .order_by(AlertEvent.id)))


DEFENDER = Antivirus(products=[AntivirusProduct(name="Windows Defender", enabled=True, realtime_on=True,
                                                signatures_age_days=0.5)])


def test_a_finding_opens_once_counts_repeats_resolves_and_reopens(world: World) -> None:
    creds = world.enroll()
    send(world, creds, 1, Antivirus())
    opened = alert(world, "av.absent")
    assert opened is not None and (opened.status, opened.count, opened.severity) == ("open", 1, "high")
    assert opened.subject == f"machine:{creds['machine_id']}" and "antivirus" in opened.title
    world.clock.advance(minutes=15)
    send(world, creds, 2, Antivirus())
    assert alert(world, "av.absent").count == 2  # type: ignore[union-attr]
    world.clock.advance(minutes=15)
    send(world, creds, 3, DEFENDER)
    assert alert(world, "av.absent").status == "resolved"  # type: ignore[union-attr]
    world.clock.advance(minutes=15)
    send(world, creds, 4, Antivirus())
    reopened = alert(world, "av.absent")
    assert reopened is not None and reopened.status == "open" and reopened.id == opened.id
    assert events(world, opened.id) == ["opened", "resolved", "reopened"]


def test_missing_sections_open_nothing(world: World) -> None:
    creds = world.enroll()
    send(world, creds, 1, None)
    assert alert(world, "av.absent") is None and alert(world, "backup.quarterly") is None


def test_notifications_wait_for_open_and_resolve_but_not_repeats(world: World) -> None:
    creds = world.enroll()
    send(world, creds, 1, Antivirus())
    send(world, creds, 2, Antivirus())
    send(world, creds, 3, DEFENDER)
    with world.db.session() as session:
        notices = [(n.alert.rule_id, n.transition) for n in pending_notices(session)]
    assert ("av.absent", "opened") in notices and ("av.absent", "resolved") in notices
    assert sum(1 for rule, _ in notices if rule == "av.absent") == 2


def test_the_scan_finds_silent_agents_and_units_without_an_offline_pc(world: World) -> None:
    creds = world.enroll()
    send(world, creds, 1, DEFENDER)
    world.clock.advance(days=3)
    summary = scan_all(world.db, world.clock.now, world.rules)
    assert summary.machines == 1 and summary.units == 4
    silent = alert(world, "agent.silent")
    assert silent is not None and silent.status == "open"
    with world.db.session() as session:
        subjects = set(session.scalars(select(Alert.subject).where(Alert.rule_id == "unit.no_offline_pc")))
    assert subjects == {"unit:XA", "unit:XB"}
    world.clock.advance(minutes=1)
    send(world, creds, 2, DEFENDER)
    assert alert(world, "agent.silent").status == "resolved"  # type: ignore[union-attr]


def test_a_broken_rule_never_costs_a_report(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import collector.judging.report

    def explode(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("rules broke")

    monkeypatch.setattr(collector.judging.report, "evaluate", explode)
    creds = world.enroll()
    send(world, creds, 1, Antivirus())
    assert world.count("reports") == 1 and world.count("alerts") == 0


def test_an_offline_pc_is_judged_against_its_previous_state_not_a_late_older_report(world: World) -> None:
    """"Since the last report" is since the machine's state before this report: an older report
    that arrives late (history only) does not move that moment back, so a connection that the
    state after it already covered does not open the incident again."""
    from agent.wire.schema import Network, NetworkProfile, Role

    creds = world.enroll()
    cafe = NetworkProfile(name="Quán cà phê", kind="wifi", last_connected=world.clock.now - timedelta(days=4))

    def offline(sequence: int, days_ago: float, profiles: list[NetworkProfile]) -> None:
        report = make_report(creds["agent_id"], sequence, collected_at=world.clock.now - timedelta(days=days_ago))
        report.role, report.network = Role.OFFLINE, Network(profiles=profiles)
        body = encode_report(report)
        response = world.client.post("/api/v1/reports", content=body,
                                     headers=signed(creds["agent_id"], creds["key"], body, world.clock.now))
        assert response.status_code == 201, response.text
        world.clock.advance(minutes=1)  # each received after the one before

    offline(3, 2, [cafe])  # the first report: nothing before it to compare with
    offline(2, 6, [])  # older, arriving late: history only
    offline(4, 0, [cafe])  # the connection of 4 days ago was before report 3 already
    assert alert(world, "offline.network_evidence") is None
    offline(5, -1, [msgspec.structs.replace(cafe, last_connected=world.clock.now + timedelta(hours=12))])  # after 4
    assert alert(world, "offline.network_evidence").status == "open"  # type: ignore[union-attr]
