"""The ARP sweep on real hosts: 20 network namespaces on a bridge, swept from a scanner namespace.

Every host must be found; the offline PC's MAC must be flagged; MACs reported by enrolled
machines link to them; a second sweep finds nothing new. Needs root (network namespaces).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.wire.schema import Interface, Network, Role, encode_report
from collector.db import open_database
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.units import add_unit
from tests.factories import T0, make_report
from tests.fixtures.lan.netns import DEFAULT_SUBNET, LanLab, lan_lab, namespaces_available

pytestmark = pytest.mark.system

HOSTS = 20
_NO_NAMESPACES = namespaces_available()


@pytest.fixture(scope="module")
def lab() -> Iterator[LanLab]:
    if _NO_NAMESPACES:
        pytest.skip(f"LAN sweep on real hosts not tested here: {_NO_NAMESPACES}")
    with lan_lab(HOSTS) as built:
        yield built


def add_machine(db_url: str, uid: str, hostname: str, mac: str, role: Role) -> None:
    """A machine whose last report came 3 days ago by the real clock, which the `canhgac scan`
    processes of these tests read too (a MAC seen since then is news)."""
    now = datetime.now(UTC)
    report = make_report("agent-" + uid, 1, machine_uid=uid, hostname=hostname, collected_at=now - timedelta(days=3))
    report.network = Network(interfaces=[Interface(name="Ethernet", mac=mac.upper().replace(":", "-"),
                                                   is_up=True)])
    report.role = role
    db = open_database(db_url)
    with db.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "XA"))
        session.add(Machine(machine_uid=uid, unit_id=unit_id, hostname=hostname, role=str(role), os_name="Windows",
                            created_at=now - timedelta(days=30), last_seen_at=now - timedelta(days=3), state_sequence=1,
                            state_json=encode_report(report).decode()))
    db.dispose()


def sweep(lab: LanLab, db_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = lab.in_scanner(sys.executable, "-m", "canhgac", "scan", "lan", "--subnet", DEFAULT_SUBNET,
                             "--iface", "eth0", "--db", db_url, *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_sweep_finds_every_host_and_flags_the_offline_pc(lab: LanLab, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'lan.db'}"
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", T0)
    db.dispose()
    ips = lab.host_ips()
    offline_ip, agent_ip = ips[6], ips[2]
    add_machine(db_url, "uid-offline", "may-soan-thao-mat", lab.macs[offline_ip], Role.OFFLINE)
    add_machine(db_url, "uid-pc03", "pc-03", lab.macs[agent_ip], Role.NORMAL)

    first = sweep(lab, db_url, "--unit", "XA", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    found = {device["ip"]: device["mac"] for device in summary["devices"]}
    assert found == lab.macs  # every host, each with its own MAC, and nothing else
    assert summary["found"] == HOSTS and summary["new"] == HOSTS
    assert summary["no_agent"] == HOSTS - 2
    assert [(d["ip"], d["mac"], d["hostname"]) for d in summary["offline_seen"]] == [
        (offline_ip, lab.macs[offline_ip], "may-soan-thao-mat")]
    vendors = {device["ip"]: device["vendor"] for device in summary["devices"]}
    assert vendors[ips[0]].startswith("Cisco") and vendors[ips[1]].startswith("Dell")

    second = sweep(lab, db_url, "--unit", "XA")
    assert second.returncode == 0, second.stderr
    assert "Mới từ lần quét trước / New since last:     0" in second.stdout
    assert "ALERT" in second.stderr and lab.macs[offline_ip] in second.stderr


def test_a_subnet_larger_than_the_bound_is_refused_before_sending(lab: LanLab, tmp_path: Path) -> None:
    result = subprocess.run(lab.in_scanner(sys.executable, "-m", "canhgac", "scan", "lan", "--subnet",
                                           "10.213.0.0/16", "--iface", "eth0", "--db",
                                           f"sqlite:///{tmp_path / 'x.db'}"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "more than a /22" in result.stderr and "--force" in result.stderr


def test_the_namespaces_are_removed_afterwards() -> None:
    if _NO_NAMESPACES:
        pytest.skip(f"LAN sweep on real hosts not tested here: {_NO_NAMESPACES}")
    lab_ref: list[LanLab] = []
    with pytest.raises(RuntimeError), lan_lab(2) as built:
        lab_ref.append(built)
        raise RuntimeError("a failing test")
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert f"cg{lab_ref[0].tag}" not in listed
