"""An operator's rule pack given to `canhgac serve --rules-dir` is the rule set of every path:
the reports it ingests and the scans it schedules judge with the same rules, so an alert of that
pack opens once and stays open (it flipped open at each scan and resolved at each report when
only the scan read the folder). A real server process on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from collector.db import open_database
from collector.models.alerts import Alert, AlertEvent
from collector.store.enrollment import create_enrollment_token
from collector.store.units import add_unit
from tests.factories import report_body, signed
from tests.system.conftest import free_port, start_serve, stop_process

pytestmark = pytest.mark.system

PACK = """
pack: local
rules:
  - id: local.small_ram
    title: {vi: "Máy ít bộ nhớ", en: "Machine with little memory"}
    remediation: {vi: "Nâng cấp RAM", en: "Add memory"}
    severity: low
    scope: machine
    parameters: {min_mib: 16384}
    condition: "hw.ram_mib < params.min_mib"
    sources: [{text: "practice"}]
    examples: {fires: [{hw.ram_mib: 8192}], silent: [{hw.ram_mib: 32768}]}
"""


def seed_token(db_url: str) -> str:
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", datetime.now(UTC), staff_count=3)
        token, _ = create_enrollment_token(session, "XA", timedelta(days=1), datetime.now(UTC))
    db.dispose()
    return token


def the_alert(db_url: str) -> tuple[Alert | None, list[str]]:
    db = open_database(db_url)
    with db.session() as session:
        alert = session.scalar(select(Alert).where(Alert.rule_id == "local.small_ram"))
        events = [] if alert is None else list(session.scalars(
            select(AlertEvent.transition).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)))
    db.dispose()
    return alert, events


def send(url: str, enrolled: dict[str, Any], sequence: int) -> None:
    now = datetime.now(UTC)
    body = report_body(enrolled["agent_id"], sequence, collected_at=now - timedelta(seconds=1))
    response = requests.post(f"{url}/api/v1/reports", data=body, timeout=10,
                             headers=signed(enrolled["agent_id"], enrolled["key"], body, now))
    assert response.status_code == 201, response.text


def test_a_pack_of_the_rules_dir_judges_reports_and_scans_alike(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "local.yaml").write_text(PACK, encoding="utf-8")
    token = seed_token(db_url)
    port, log = free_port(), tmp_path / "serve.log"
    process = start_serve(db_url, port, log, "--rules-dir", str(tmp_path / "pack"), "--scan-interval-minutes", "0.01")
    url = f"http://127.0.0.1:{port}"
    try:
        enrolled = requests.post(f"{url}/api/v1/enroll", timeout=10, json={
            "token": token, "machine_uid": "uid-1", "hostname": "pc-01"}).json()
        send(url, enrolled, 1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (the_alert(db_url)[0] is None or "scan" not in log.read_text()):
            time.sleep(0.2)  # until a scheduled scan has run after the report
        send(url, enrolled, 2)
        time.sleep(1.5)  # and another scan
        send(url, enrolled, 3)
        alert, events = the_alert(db_url)
        assert alert is not None, log.read_text()
        assert (alert.status, events) == ("open", ["opened"]), log.read_text()
    finally:
        stop_process(process)
