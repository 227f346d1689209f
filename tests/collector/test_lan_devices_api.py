"""Network storage and GET /api/v1/devices on SQLite and PostgreSQL: sweeps recorded (new,
no agent, offline PC seen), MACs linked to machines, SNMP polls and links, people's scope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from agent.wire.schema import Interface, Network, Reachability, Role, encode_report
from collector.models.links import LinkKind
from collector.models.machines import Machine
from collector.network.arp import Seen
from collector.network.snmp import PollResult, SnmpInterface, V2c
from collector.network.snmp_delta import ChangeKind
from collector.store.lan import record_sweep
from collector.store.snmp import add_snmp_device, record_poll, set_link
from tests.api_world import World
from tests.factories import T0, make_report, signed

OFFLINE_MAC, PC_MAC, PRINTER_MAC = "00:14:22:00:00:07", "00:14:22:00:00:03", "00:1b:54:00:00:09"


def give_state(world: World, machine_id: int, mac: str, role: Role = Role.NORMAL) -> None:
    report = make_report("a", 1)
    report.network = Network(interfaces=[Interface(name="Ethernet", mac=mac.upper(), is_up=True)])
    report.role = role
    with world.db.session() as session:
        session.execute(update(Machine).where(Machine.id == machine_id).values(
            state_json=encode_report(report).decode(), role=str(role)))


def sweep(world: World, seen: list[Seen], unit: str | None = "XA", minutes: int = 0):  # type: ignore[no-untyped-def]
    with world.db.session() as session:
        return record_sweep(session, seen, subnet="10.213.0.0/24", started_at=T0 + timedelta(minutes=minutes),
                            duration_s=1.5, unit_code=unit)


def test_a_sweep_counts_new_devices_unknown_devices_and_the_offline_pc(world: World) -> None:
    offline = world.enroll("XA", "uid-off", "may-mat")
    pc = world.enroll("XA", "uid-pc", "pc-03")
    give_state(world, offline["machine_id"], OFFLINE_MAC, Role.OFFLINE)
    give_state(world, pc["machine_id"], PC_MAC)
    seen = [Seen("10.213.0.7", OFFLINE_MAC), Seen("10.213.0.3", PC_MAC), Seen("10.213.0.9", PRINTER_MAC)]

    first = sweep(world, seen)
    assert (first.found, first.new, first.no_agent) == (3, 3, 1)
    assert [(d.mac, d.hostname, d.role) for d in first.offline_seen] == [(OFFLINE_MAC, "may-mat", "offline")]
    assert {d.mac: d.vendor for d in first.devices}[PRINTER_MAC].startswith("Cisco")

    second = sweep(world, [*seen, Seen("10.213.0.50", "02:00:00:00:00:50")], minutes=15)
    assert (second.found, second.new, second.no_agent) == (4, 1, 2)
    assert world.count("lan_devices") == 4 and world.count("lan_sweeps") == 2


def test_devices_are_listed_within_the_callers_subtree(world: World) -> None:
    pc = world.enroll("XA", "uid-pc", "pc-03")
    give_state(world, pc["machine_id"], PC_MAC)
    sweep(world, [Seen("10.213.0.3", PC_MAC)], unit="XA")
    sweep(world, [Seen("10.214.0.9", PRINTER_MAC)], unit="XB")
    sweep(world, [Seen("10.215.0.1", "02:00:00:00:00:01")], unit=None)

    def macs(person: str) -> set[str]:
        response = world.client.get("/api/v1/devices", headers=world.as_person(person))
        assert response.status_code == 200, response.text
        return {device["mac"] for device in response.json()["lan"]}

    assert macs("viewer_a") == {PC_MAC}
    assert macs("officer_b") == {PRINTER_MAC}
    assert macs("province") == {PC_MAC, PRINTER_MAC}
    assert macs("admin") == {PC_MAC, PRINTER_MAC, "02:00:00:00:00:01"}
    lan = world.client.get("/api/v1/devices", headers=world.as_person("viewer_a")).json()["lan"]
    assert lan[0]["hostname"] == "pc-03" and lan[0]["machine_id"] == pc["machine_id"]
    assert world.client.get("/api/v1/devices").status_code == 401


def router_poll(minutes: int, oper: int, octets: int, uptime: int) -> PollResult:
    wan = SnmpInterface(index=2, name="wan-tsl", admin_status=1, oper_status=oper, speed_bps=10_000_000,
                        in_octets=octets, out_octets=0, counter_bits=64)
    return PollResult(host="10.0.0.1", port=161, polled_at=T0 + timedelta(minutes=minutes), elapsed_ms=3,
                      sys_name="router-xb", uptime_ticks=uptime, interfaces=[wan])


def send_reaching_the_line(world: World, agent: dict[str, str]) -> None:
    """A signed report through the real path whose check of the dedicated line succeeded."""
    report = make_report(agent["agent_id"], 1, machine_uid="uid-b1", hostname="pc-b1")
    report.network = Network(reachability=[Reachability(target="10.0.0.10:443", kind="dedicated_line",
                                                        method="tcp", reachable=True)])
    body = encode_report(report)
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    assert response.status_code == 201, response.text


def test_snmp_devices_polls_and_the_dedicated_line_state(world: World) -> None:
    agent = world.enroll("XB", "uid-b1", "pc-b1")
    send_reaching_the_line(world, agent)
    with world.db.session() as session:
        device = add_snmp_device(session, "XB", "router-xb", "10.0.0.1", 161, V2c("s3cret-community"), T0)
        set_link(session, "XB", LinkKind.DEDICATED_LINE, device.id, "wan-tsl", ["10.0.0.10:443"])
        record_poll(session, device.id, router_poll(-20, 1, 0, 100_000))
        # 60 s later 75 MB more: 10 Mb/s on a 10 Mb/s line
        busy = record_poll(session, device.id, router_poll(-19, 1, 75_000_000, 106_000))
        down = record_poll(session, device.id, router_poll(-1, 2, 75_000_000, 214_000))
    assert busy.usage[0].utilisation is not None and busy.usage[0].utilisation > 0.9
    assert [c.kind for c in down.changes] == [ChangeKind.INTERFACE_DOWN]

    world.clock.now = T0
    response = world.client.get("/api/v1/devices", headers=world.as_person("officer_b"))
    assert response.status_code == 200
    body = response.json()
    assert "s3cret" not in response.text
    [snmp] = body["snmp"]
    assert (snmp["name"], snmp["version"], snmp["sys_name"]) == ("router-xb", "v2c", "router-xb")
    [link] = body["links"]
    assert (link["kind"], link["interface"], link["state"]["status"]) == ("dedicated_line", "wan-tsl", "down")
    assert link["state"]["agents_reaching"] == 1 and link["reachable"] is False
    other = world.client.get("/api/v1/devices", headers=world.as_person("viewer_a")).json()
    assert other["snmp"] == [] and other["links"] == []
