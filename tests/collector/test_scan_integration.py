"""The scan reads what the collector observed itself (SQLite and PostgreSQL): refused reports per
agent (tampering), LAN devices (unknown device, the offline PC's MAC), links (dedicated line),
and real SNMP polls; imported files are judged as not arrived over the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.wire.schema import encode_report
from collector.intake.importer import import_files
from collector.judging.scan import scan_all
from collector.models.alerts import Alert
from collector.models.lan import KnownLanDevice
from collector.models.links import LinkKind
from collector.models.rejections import IngestRejection
from collector.models.snmp import SnmpPoll
from collector.network.arp import Seen
from collector.network.snmp import V2c
from collector.store.lan import record_seen
from collector.store.snmp import add_snmp_device, set_link
from collector.store.units import get_unit
from tests.api_world import World
from tests.collector.test_import import OfflinePC, files
from tests.factories import make_report, report_body, signed
from tests.fixtures.snmp.agent import COMMUNITY, SnmpdAgent, free_udp_port, running_snmpd, snmpd_binary
from tests.ports import free_port


def send(world: World, creds: dict[str, str], sequence: int, *, key: str | None = None, skew_s: float = 0,
         body: bytes | None = None) -> int:
    body = body or encode_report(make_report(creds["agent_id"], sequence,
                                             collected_at=world.clock.now - timedelta(seconds=5)))
    headers = signed(creds["agent_id"], key or creds["key"], body, world.clock.now + timedelta(seconds=skew_s))
    return world.client.post("/api/v1/reports", content=body, headers=headers).status_code


def alert_status(world: World, rule_id: str, subject: str | None = None) -> str | None:
    query = select(Alert.status).where(Alert.rule_id == rule_id)
    if subject:
        query = query.where(Alert.subject == subject)
    with world.db.session() as session:
        return session.scalar(query)


def rejections(world: World) -> int:
    with world.db.session() as session:
        return int(session.scalar(select(func.coalesce(func.sum(IngestRejection.count), 0))) or 0)


def test_refused_reports_of_a_known_agent_are_counted_and_raise_tampering(world: World) -> None:
    creds = world.enroll()
    assert send(world, creds, 1) == 201
    wrong_key = "00" * 32
    assert send(world, creds, 2, key=wrong_key) == 401  # bad signature
    assert send(world, creds, 2, skew_s=3600) == 401  # timestamp out of window
    assert send(world, creds, 1, body=report_body(creds["agent_id"], 1, hostname="other")) == 409  # replay, other body
    assert rejections(world) == 3
    scan_all(world.db, world.clock.now, world.rules)
    assert alert_status(world, "agent.tampering") == "open"


def test_two_refusals_stay_silent_and_an_unknown_agent_records_nothing(world: World) -> None:
    creds = world.enroll()
    assert send(world, creds, 1) == 201
    assert send(world, creds, 2, key="11" * 32) == 401
    assert send(world, creds, 2, key="22" * 32) == 401
    stranger = {"agent_id": "f" * 32, "key": "33" * 32}
    for sequence in range(1, 6):
        assert send(world, stranger, sequence) == 401  # unknown agent: refused, never counted
    assert rejections(world) == 2 and world.count("ingest_rejections") == 1  # one row per agent, reason and hour
    scan_all(world.db, world.clock.now, world.rules)
    assert alert_status(world, "agent.tampering") is None


def test_an_imported_report_is_judged_as_not_via_the_network(world: World, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import collector.intake.ingest

    seen: list[bool | None] = []
    real = collector.intake.ingest.judge_reports
    monkeypatch.setattr(collector.intake.ingest, "judge_reports",
                        lambda session, reports, rules: (seen.extend(r.via_network for r in reports),
                                                         real(session, reports, rules))[1])
    pc = OfflinePC(world.tokens["XA"])
    import_files(world.db, files(tmp_path, enroll=pc.enrollment(), report=pc.report(1)), world.clock(), world.rules)
    assert seen == [False]
    assert alert_status(world, "offline.report_over_network") is None


def lan_sighting(world: World, unit: str, *macs: str, minutes: float = 60) -> None:
    with world.db.session() as session:
        unit_id = get_unit(session, unit).id
        record_seen(session, [Seen(ip=f"10.9.0.{i + 2}", mac=mac) for i, mac in enumerate(macs)],
                    world.clock.now + timedelta(minutes=minutes), unit_id)


def test_unknown_devices_and_the_offline_pcs_mac_on_the_lan_raise_alerts(world: World, tmp_path: Path) -> None:
    pc = OfflinePC(world.tokens["XA"])  # its report lists MAC 00:11:22:33:44:55
    import_files(world.db, files(tmp_path, enroll=pc.enrollment(), report=pc.report(1)), world.clock(), world.rules)
    scan_all(world.db, world.clock.now, world.rules)
    assert alert_status(world, "offline.mac_on_lan") is None and alert_status(world, "lan.unknown_device") is None

    lan_sighting(world, "XA", "00:11:22:33:44:55", "00:14:22:00:00:09", "00:1b:54:00:00:01")
    with world.db.session() as session:
        session.add(KnownLanDevice(mac="00:1b:54:00:00:01", note="router", declared_at=world.clock.now))
    world.clock.advance(hours=2)
    scan_all(world.db, world.clock.now, world.rules)
    assert alert_status(world, "offline.mac_on_lan") == "open"
    assert alert_status(world, "lan.unknown_device", "unit:XA") == "open"
    assert alert_status(world, "lan.unknown_device", "unit:XB") is None

    with world.db.session() as session:
        session.add(KnownLanDevice(mac="00:14:22:00:00:09", note="printer", declared_at=world.clock.now))
    scan_all(world.db, world.clock.now, world.rules)
    assert alert_status(world, "lan.unknown_device", "unit:XA") == "resolved"


@pytest.fixture
def loopback_listener() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def closed_port() -> str:
    return f"127.0.0.1:{free_port()}"


def test_the_dedicated_line_state_comes_from_the_configured_link(world: World, loopback_listener: str) -> None:
    for unit, uid in (("XA", "uid-a"), ("XB", "uid-b")):
        creds = world.enroll(unit, machine_uid=uid, hostname=uid)
        assert send(world, creds, 1) == 201
    with world.db.session() as session:
        set_link(session, "XA", LinkKind.DEDICATED_LINE, None, "", [loopback_listener])
        set_link(session, "XB", LinkKind.DEDICATED_LINE, None, "", [closed_port()])
    summary = scan_all(world.db, world.clock.now, world.rules)
    links = {part.target: part.detail.split(":")[0] for part in summary.network if part.part == "links"}
    assert links == {"XA/dedicated_line": "up", "XB/dedicated_line": "down"}
    assert alert_status(world, "net.dedicated_line_unreachable", "unit:XB") == "open"
    assert alert_status(world, "net.dedicated_line_unreachable", "unit:XA") is None


@pytest.fixture
def snmpd(tmp_path: Path) -> Iterator[SnmpdAgent]:
    if snmpd_binary() is None:
        pytest.skip("snmpd not installed (Debian package snmpd)")
    with running_snmpd(tmp_path / "snmpd") as agent:
        yield agent


def test_the_scan_polls_configured_devices_and_a_dead_one_stops_nothing(world: World, snmpd: SnmpdAgent) -> None:
    dead_port = free_udp_port()  # nothing listens there
    with world.db.session() as session:
        add_snmp_device(session, "XA", "sw-a", "127.0.0.1", snmpd.port, V2c(COMMUNITY), world.clock.now)
        add_snmp_device(session, "XB", "dead", "127.0.0.1", dead_port, V2c(COMMUNITY), world.clock.now)
    summary = scan_all(world.db, world.clock.now, world.rules)
    snmp = {part.target: (part.ok, part.detail) for part in summary.network if part.part == "snmp"}
    assert snmp[snmpd.address] == (True, "ok")
    assert snmp[f"127.0.0.1:{dead_port}"][0] is False and "no_answer" in snmp[f"127.0.0.1:{dead_port}"][1]
    with world.db.session() as session:
        assert session.scalar(select(func.count(SnmpPoll.id))) == 2
    assert summary.units == 4  # the rules ran after the network parts
