"""`canhgac scan all` on real hosts: a saved subnet of network namespaces on a bridge and a real
snmpd, scanned from the scanner's namespace; the offline PC's MAC answering and a device nobody
enrolled or declared raise their alerts. Needs root (network namespaces).

SQLite only: the scan runs inside the scanner's network namespace, which cannot reach the
host's PostgreSQL on 127.0.0.1 (the SNMP and rules paths run on PostgreSQL in
tests/collector/test_scan_integration.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.wire.schema import Role
from collector.db import open_database
from collector.models.alerts import Alert
from collector.network.snmp import V2c
from collector.store.snmp import add_snmp_device
from collector.store.units import add_unit
from tests.fixtures.lan.netns import LanLab, lan_lab, namespaces_available
from tests.fixtures.snmp import agent as snmpd_fixture
from tests.system.test_lan_sweep import add_machine

pytestmark = pytest.mark.system

SUBNET = "10.213.7.0/24"
HOSTS = 6
_NO_NAMESPACES = namespaces_available()


@pytest.fixture
def lab() -> Iterator[LanLab]:
    if _NO_NAMESPACES:
        pytest.skip(f"scan all on real hosts not tested here: {_NO_NAMESPACES}")
    if snmpd_fixture.snmpd_binary() is None:
        pytest.skip("snmpd not installed (Debian package snmpd)")
    with lan_lab(HOSTS, SUBNET) as built:
        yield built


@pytest.fixture
def snmpd_in_scanner(lab: LanLab, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[snmpd_fixture.SnmpdAgent]:
    """The fixture's snmpd, started inside the scanner's namespace (``ip netns exec`` execs it, so
    the PID it stops is snmpd's own)."""
    wrapper = tmp_path / "snmpd-in-scanner"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {lab.scanner} {snmpd_fixture.snmpd_binary()} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(snmpd_fixture, "snmpd_binary", lambda: str(wrapper))
    with snmpd_fixture.running_snmpd(tmp_path / "snmpd") as agent:
        yield agent


def in_scanner(lab: LanLab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(lab.in_scanner(sys.executable, "-m", "canhgac", *args), capture_output=True, text=True,
                          timeout=90, check=False)


def alert_subjects(db_url: str, rule_id: str) -> set[str]:
    db = open_database(db_url)
    with db.session() as session:
        subjects = set(session.scalars(select(Alert.subject).where(Alert.rule_id == rule_id,
                                                                   Alert.status == "open")))
    db.dispose()
    return subjects


def test_scan_all_sweeps_the_saved_subnet_polls_snmp_and_raises_lan_alerts(
        lab: LanLab, snmpd_in_scanner: snmpd_fixture.SnmpdAgent, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'scan.db'}"
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", datetime.now(UTC))
        add_snmp_device(session, "XA", "sw-xa", "127.0.0.1", snmpd_in_scanner.port, V2c(snmpd_fixture.COMMUNITY),
                        datetime.now(UTC))
    db.dispose()
    ips = lab.host_ips()
    router_ip, normal_ip, offline_ip = ips[0], ips[1], ips[2]
    add_machine(db_url, "uid-pc", "pc-02", lab.macs[normal_ip], Role.NORMAL)
    add_machine(db_url, "uid-offline", "may-soan-thao-mat", lab.macs[offline_ip], Role.OFFLINE)

    saved = in_scanner(lab, "scan", "lan", "--subnet", SUBNET, "--iface", "eth0", "--unit", "XA", "--save",
                       "--known", lab.macs[router_ip], "--note", "router", "--db", db_url, "--json")
    assert saved.returncode == 0, saved.stderr
    scanned = in_scanner(lab, "scan", "all", "--db", db_url, "--json")
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    summary = json.loads(scanned.stdout)
    parts = {(p["part"], p["target"]): p for p in summary["network"]}
    assert parts[("lan", SUBNET)]["ok"] and parts[("lan", SUBNET)]["detail"].startswith(f"{HOSTS} found")
    assert parts[("snmp", snmpd_in_scanner.address)]["ok"]
    assert alert_subjects(db_url, "lan.unknown_device") == {"unit:XA"}  # hosts 4..6: no agent, not declared
    offline = alert_subjects(db_url, "offline.mac_on_lan")
    assert len(offline) == 1 and offline.pop().startswith("machine:")


def test_a_failed_sweep_is_reported_and_the_rest_still_runs(tmp_path: Path) -> None:
    """A saved subnet whose interface does not exist: the sweep part fails, the rules still run.
    No traffic: scapy refuses the unknown interface before sending anything."""
    from collector.judging.rules import load_rules
    from collector.judging.scan import scan_all
    from collector.store.lan import save_subnet

    db_url = f"sqlite:///{tmp_path / 'fail.db'}"
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", datetime.now(UTC))
        save_subnet(session, "10.213.9.0/29", "XA", "cg-no-such-if0", 22, datetime.now(UTC))
    summary = scan_all(db, datetime.now(UTC) + timedelta(seconds=1), load_rules(None))
    db.dispose()
    [lan] = [p for p in summary.network if p.part == "lan"]
    assert not lan.ok and "cg-no-such-if0" in lan.detail
    assert summary.units == 1
