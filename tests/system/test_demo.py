"""`canhgac demo --seed-only` fills a database through the real enroll and report path."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.db import open_database
from collector.models.alerts import Alert
from collector.models.lan import LanDevice
from collector.models.machines import Machine
from collector.models.officials import Official
from collector.models.reports import StoredReport
from collector.models.snmp import SnmpPoll
from collector.models.units import Unit
from collector.store.licences import licence_lines
from collector.store.readiness_report import readiness_table
from collector.store.scope import EVERYTHING
from server.demo_network import STORED_SAMPLE
from server.demo_snmpd import snmpd_binary
from tests.collector.test_readiness import EXPECTED
from tests.readiness_fleet import DEMO_RULES
from tests.system.conftest import canhgac

pytestmark = pytest.mark.system


def test_demo_seeds_tan_hoa_and_two_neighbours(db_url: str) -> None:
    result = canhgac("demo", "--seed-only", "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert "cgt_" in result.stdout
    db = open_database(db_url)
    try:
        with db.session() as session:
            office = session.scalar(select(Unit).where(Unit.code == "DT-TANHOA-VP"))
            assert office is not None and office.staff_count == 16
            pcs = session.scalars(select(Machine).where(Machine.unit_id == office.id)).all()
            assert len(pcs) == 16 and all(pc.state_json for pc in pcs)
            assert [pc.hostname for pc in pcs if pc.role == "offline"] == ["tanhoa-pc16"]
            assert session.scalar(select(func.count()).select_from(Machine)) == 38  # and the Windows 7 PC
            assert session.scalar(select(func.count()).select_from(StoredReport)) == 74
            # the demo over HTTP gives the figures the in-process demo asserts (tests/collector/test_readiness.py)
            for code, expected in EXPECTED.items():
                table = readiness_table(session, EVERYTHING, code, datetime.now(UTC), DEMO_RULES.indicators)
                assert {k: (table.unit.figures[k].n, table.unit.figures[k].d) for k in expected} == expected, code
            assert_every_page_has_content(session)
    finally:
        db.dispose()
    again = canhgac("demo", "--seed-only", "--db", db_url)
    assert again.returncode == 0 and "already" in again.stderr


def assert_every_page_has_content(session: Session) -> None:
    """Issue 17 part 5: the network page (the dedicated line's router polled, the LAN with an
    unknown device), licences (one over its seats), certificates (one expiring), and software,
    hardening and certificate sections on the machines."""
    states = [json.loads(pc.state_json) for pc in session.scalars(select(Machine)) if pc.state_json]
    assert len(states) == 37
    assert all(state["software"]["programs"] and state["hardening"]["firewall_enabled"] for state in states)
    assert sum(1 for state in states if state.get("certificates")) == 14
    open_alerts = {(a.rule_id, a.subject): a.severity for a in session.scalars(select(Alert))
                   if a.status == "open"}
    host = {f"machine:{pc.id}": pc.hostname for pc in session.scalars(select(Machine))}
    by_host = {(rule, host.get(subject, subject)): severity for (rule, subject), severity in open_alerts.items()}
    assert by_host[("fw.off", "tanlong-pc09")] == "high"
    assert by_host[("smb1.on", "tanphu-pc08")] == "medium"
    assert by_host[("updates.late", "tanphu-pc02")] == "high"
    assert by_host[("cert.signing_expiring", "tanhoa-pc05")] == "medium"
    assert by_host[("licence.seats_exceeded", "unit:DT-TANHOA-VP")] == "medium"
    assert by_host[("lan.unknown_device", "unit:DT-TANHOA-VP")] == "medium"
    office = next(line for line in licence_lines(session, EVERYTHING, datetime.now(UTC).date()).items
                  if line.licence.product.startswith("Microsoft Office"))
    assert (office.installs, office.licence.seats) == (15, 12)
    assert session.scalar(select(func.count()).select_from(LanDevice)) == 19  # 15 PCs, router, printer, ?, Win 7
    assert session.scalar(select(func.count()).select_from(Official)) == 15
    polls = session.scalars(select(SnmpPoll).order_by(SnmpPoll.polled_at)).all()
    assert len(polls) == 2 and all(poll.ok and poll.sys_name == "router-tanhoa" for poll in polls)
    if snmpd_binary() is not None:  # a real snmpd on loopback answered
        assert polls[-1].sys_descr.startswith("canhgac demo: Net-SNMP")
        assert "lo" in {i["name"] for i in json.loads(polls[-1].interfaces_json)}
    else:
        assert polls[-1].sys_descr == STORED_SAMPLE


@pytest.mark.skipif(snmpd_binary() is None, reason="snmpd not installed (Debian package snmpd)")
def test_the_demo_stops_its_snmpd_when_it_is_stopped(tmp_path: Path) -> None:
    """SIGTERM (kill, systemd) stops the demo like Ctrl-C: the snmpd it started goes with it."""
    process = subprocess.Popen([sys.executable, "-m", "canhgac", "demo", "--port", "0", "--db",
                                f"sqlite:///{tmp_path / 'demo.db'}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    pid = None
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 120
        for line in process.stderr:  # bounded: the demo prints "to stop" once it serves
            found = re.search(r"snmpd, pid (\d+)", line)
            pid = int(found.group(1)) if found else pid
            if "to stop" in line or time.monotonic() > deadline:
                break
        assert pid is not None and Path(f"/proc/{pid}").exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        gone = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and _state(pid) != "Z" and time.monotonic() < gone:
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists() or _state(pid) == "Z"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if pid is not None and Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
            os.kill(pid, signal.SIGTERM)  # the snmpd this test's demo started, left by a failure


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""
