"""The demo's network, as Tân Hòa's officer sets it up: the LAN a sweep saw (the office's PCs, a
printer and the router declared known, one device nobody knows), and the router of the dedicated
data line configured for SNMP with the line on its interface. The router is a real snmpd on
loopback when the demo could start one (server.demo_snmpd), polled like any device; without it,
two stored polls whose description says they are a stored sample, not a poll."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from agent.wire.schema import Role
from collector.db import Database
from collector.models.links import LinkKind
from collector.network.arp import Seen
from collector.network.snmp import PollResult, SnmpInterface, V2c
from collector.store.lan import declare_known, record_sweep
from collector.store.snmp import add_snmp_device, record_poll, set_link
from server.demo_fleet import DemoMachine
from server.demo_snmpd import COMMUNITY, SYS_NAME

LAN_UNIT = "DT-TANHOA-VP"
LINE_UNIT = "DT-TANHOA"
SUBNET = "10.11.0.0/24"
KNOWN = [("10.11.0.1", "00:0c:42:5e:10:01", "Router của xã (đường truyền chuyên dùng) / the commune's router"),
         ("10.11.0.200", "00:1b:a9:33:47:c8", "Máy in mạng tầng 1 / network printer, ground floor")]
UNKNOWN = ("10.11.0.77", "f4:f5:d8:6a:21:9e")
"""A device on the office LAN that nobody declared: the unknown-device alert's case."""
STORED_SAMPLE = "dữ liệu mẫu, không phải kết quả thăm dò: không có snmpd trên máy chạy demo " \
                "/ stored sample, not a poll: no snmpd where the demo runs"


def seed_lan(session: Session, machines: list[DemoMachine], now: datetime) -> None:
    """A sweep of the office's subnet at ``now``: its PCs (never the offline PC), the known
    router and printer, and the unknown device."""
    for _ip, mac, note in KNOWN:
        declare_known(session, mac, note, now)
    seen = [Seen(ip=m.ip, mac=m.mac) for m in machines if m.unit == LAN_UNIT and m.role is Role.NORMAL]
    seen += [Seen(ip=ip, mac=mac) for ip, mac, _ in KNOWN] + [Seen(ip=UNKNOWN[0], mac=UNKNOWN[1])]
    record_sweep(session, seen, subnet=SUBNET, started_at=now, duration_s=2.4, unit_code=LAN_UNIT)


def seed_router(session: Session, snmp_address: str | None, now: datetime) -> int:
    """The router on the dedicated line (the real snmpd at ``snmp_address``, or a stored sample's
    address when None); the device's id. No target for the collector to check: it reaches out to
    nothing beyond loopback."""
    host, port = (snmp_address or "127.0.0.1:1").rsplit(":", 1)
    name = SYS_NAME if snmp_address else f"{SYS_NAME} (dữ liệu mẫu / stored sample)"
    device = add_snmp_device(session, LINE_UNIT, name, host, int(port), V2c(COMMUNITY), now)
    set_link(session, LINE_UNIT, LinkKind.DEDICATED_LINE, device.id, "lo" if snmp_address else "ge-0/0/1", [])
    return device.id


def poll_real_router(db: Database, polls: int = 2, gap_s: float = 1.0) -> list[bool]:
    """Poll the configured router ``polls`` times (two: the page shows traffic between them)."""
    import time

    from collector.network.scan import poll_devices

    results = []
    for index in range(polls):
        if index:
            time.sleep(gap_s)
        results += [part.ok for part in poll_devices(db)]
    return results


def store_sample_polls(session: Session, device_id: int, host: str, port: int, end: datetime) -> None:
    """Two polls an hour apart, marked in their description as a stored sample."""
    for hours_before, octets in ((1, 8_200_000_000), (0, 8_950_000_000)):
        at = end - timedelta(hours=hours_before)
        record_poll(session, device_id, PollResult(
            host=host, port=port, polled_at=at, elapsed_ms=4.0, sys_name=SYS_NAME, sys_descr=STORED_SAMPLE,
            sys_location="Phong may, UBND xa Tan Hoa", uptime_ticks=(30 * 24 - hours_before) * 360_000,
            interfaces=[SnmpInterface(index=2, name="ge-0/0/1", descr="Đường truyền số liệu chuyên dùng",
                                      alias="TSLCD VNPT", admin_status=1, oper_status=1, speed_bps=100_000_000,
                                      in_octets=octets, out_octets=octets // 3, counter_bits=64)]))
