"""`canhgac serve` runs its own scheduler: a real server process with a scan every couple of
seconds finds a silent agent, and its notifier posts the new alert to a real webhook on
loopback (SQLite and PostgreSQL). Configured through the [collector] table of a TOML file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.wire.schema import encode_report
from collector.db import open_database
from collector.models.alerts import Alert
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.units import add_unit
from tests.factories import make_report
from tests.fixtures.webhook import webhook_receiver
from tests.system.conftest import free_port, start_serve, stop_process

pytestmark = pytest.mark.system


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], str]]:
    with webhook_receiver() as receiver:
        yield receiver


def seed_silent_machine(db_url: str) -> None:
    now = datetime.now(UTC)
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", now)
        session.flush()
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "XA"))
        report = make_report("agent-silent", 1, machine_uid="uid-silent", hostname="pc-im-lang",
                             collected_at=now - timedelta(days=3))
        session.add(Machine(machine_uid="uid-silent", unit_id=unit_id, hostname="pc-im-lang", role="normal",
                            os_name="Windows 11", created_at=now - timedelta(days=30),
                            last_seen_at=now - timedelta(days=3), state_sequence=1,
                            state_json=encode_report(report).decode()))
    db.dispose()


def wait_for(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    return None


def test_serve_scans_on_its_schedule_and_notifies_the_webhook(db_url: str, tmp_path: Path,
                                                             webhook: tuple[list[dict[str, Any]], str]) -> None:
    received, url = webhook
    seed_silent_machine(db_url)
    config = tmp_path / "canhgac.toml"
    config.write_text(f'[collector]\nscan_interval_minutes = 0.02\nnotify_interval_s = 0.5\n'
                      f'webhook_urls = ["{url}"]\n', encoding="utf-8")
    port = free_port()
    log_path = tmp_path / "serve.log"
    process = start_serve(db_url, port, log_path, "--config", str(config))
    try:
        payload = wait_for(lambda: next((p for p in received if any(a["rule_id"] == "agent.silent"
                                                                    for a in p["alerts"])), None), 30)
        assert payload is not None, log_path.read_text()
        assert payload["unit"]["code"] == "XA" and "Đơn vị / Unit" in payload["text"]
        db = open_database(db_url)
        with db.session() as session:
            silent = session.scalar(select(Alert).where(Alert.rule_id == "agent.silent"))
        db.dispose()
        assert silent is not None and silent.status == "open"
        time.sleep(1.5)  # later scans repeat the finding: no second notice for it
        assert sum(1 for p in received for a in p["alerts"] if a["rule_id"] == "agent.silent") == 1
    finally:
        stop_process(process, timeout=20)
    assert "scheduled scan" in log_path.read_text()
