"""`canhgac db backup` while a real `canhgac serve` stores reports from several agents at once, then
`canhgac db restore` into empty databases: every report acknowledged before the backup began is in
it, nothing that was never acknowledged is, and a backup after the load holds every one. Also
`db check` on a sound, a damaged and an outdated database."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from collector.db import create_db_engine, open_database
from collector.migrate import head_revisions
from collector.models.reports import StoredReport
from collector.store.enrollment import create_enrollment_token
from collector.store.units import add_unit
from tests.conftest import PG_ENV, _pg_schema_url
from tests.factories import report_body, signed
from tests.system.conftest import canhgac, free_port, start_serve, stop_process

AGENTS = 4
REPORTS_EACH = 40
LOAD_DEADLINE_S = 90


class Senders:
    """Agents sending reports one after the other, each keeping what the collector acknowledged."""

    def __init__(self, url: str, agents: list[dict[str, str]]) -> None:
        self.url, self.agents = url, agents
        self.acked: list[tuple[str, int, float]] = []  # agent, sequence, when (monotonic)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._send_all, args=(a,), daemon=True) for a in agents]

    def _send_all(self, agent: dict[str, str]) -> None:
        deadline = time.monotonic() + LOAD_DEADLINE_S
        for sequence in range(1, REPORTS_EACH + 1):
            now = datetime.now(UTC)
            body = report_body(agent["agent_id"], sequence, machine_uid=agent["uid"], collected_at=now)
            while time.monotonic() < deadline:
                try:
                    response = requests.post(f"{self.url}/api/v1/reports", data=body, timeout=10,
                                             headers=signed(agent["agent_id"], agent["key"], body, now))
                except requests.RequestException:
                    continue
                if response.status_code in (200, 201):
                    with self.lock:
                        self.acked.append((agent["agent_id"], sequence, time.monotonic()))
                    break
                assert response.status_code >= 500, response.text  # busy: the same report again

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def _stored(db_url: str) -> set[tuple[str, int]]:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            return {(a, s) for a, s in connection.execute(select(StoredReport.agent_id, StoredReport.sequence))}
    finally:
        engine.dispose()


def _enroll(url: str, token: str) -> list[dict[str, str]]:
    agents = []
    for i in range(AGENTS):
        answer = requests.post(f"{url}/api/v1/enroll", json={"token": token, "machine_uid": f"uid-{i}",
                                                            "hostname": f"pc-{i}"}, timeout=10).json()
        agents.append({**answer, "uid": f"uid-{i}"})
    return agents


@pytest.mark.system
def test_a_backup_during_ingest_holds_every_acknowledged_report(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'canhgac.db'}"
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", datetime.now(UTC))
        token = create_enrollment_token(session, "XA", timedelta(days=1), datetime.now(UTC))[0]
    db.dispose()
    port = free_port()
    process = start_serve(db_url, port, tmp_path / "serve.log", "--scan-interval-minutes", "0")
    try:
        url = f"http://127.0.0.1:{port}"
        senders = Senders(url, _enroll(url, token))
        for thread in senders.threads:
            thread.start()
        deadline = time.monotonic() + LOAD_DEADLINE_S
        while senders.count() < AGENTS * REPORTS_EACH // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        began = time.monotonic()
        during = canhgac("db", "backup", "--out", str(tmp_path / "during.db"), "--db", db_url)
        assert during.returncode == 0, during.stderr
        for thread in senders.threads:
            thread.join(LOAD_DEADLINE_S)
        after = canhgac("db", "backup", "--out", str(tmp_path / "after.db"), "--db", db_url)
        assert after.returncode == 0, after.stderr
    finally:
        stop_process(process)
    acked = {(a, s) for a, s, _ in senders.acked}
    acked_before = {(a, s) for a, s, at in senders.acked if at < began}
    assert len(acked) == AGENTS * REPORTS_EACH and len(acked_before) < len(acked)  # the backup ran mid-load

    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    result = canhgac("db", "restore", str(tmp_path / "during.db"), "--db", restored)
    assert result.returncode == 0, result.stderr
    in_backup = _stored(restored)
    assert acked_before <= in_backup <= acked
    assert canhgac("db", "check", "--db", restored).returncode == 0

    targets = [f"sqlite:///{tmp_path / 'restored-after.db'}"]
    pg_schemas = []
    if os.environ.get(PG_ENV):
        pg_schemas.append(_pg_schema_url(os.environ[PG_ENV]))
        targets.append(next(pg_schemas[0]))
    try:
        for target in targets:
            result = canhgac("db", "restore", str(tmp_path / "after.db"), "--db", target)
            assert result.returncode == 0, result.stderr
            assert _stored(target) == acked, target
    finally:
        for schema in pg_schemas:
            next(schema, None)


def test_db_check_finds_damage_and_an_outdated_schema(tmp_path: Path) -> None:
    sound = f"sqlite:///{tmp_path / 'sound.db'}"
    assert canhgac("db", "init", "--db", sound).returncode == 0
    checked = canhgac("db", "check", "--db", sound)
    assert checked.returncode == 0 and "OK" in checked.stdout

    damaged = tmp_path / "damaged.db"
    damaged.write_bytes((tmp_path / "sound.db").read_bytes())
    raw = bytearray(damaged.read_bytes())
    page = 4096
    raw[page * 3:page * 3 + 200] = b"\xff" * 200  # inside a b-tree page: the check must see it
    damaged.write_bytes(bytes(raw))
    found = canhgac("db", "check", "--db", f"sqlite:///{damaged}")
    assert found.returncode == 1 and "PROBLEM" in found.stderr and "Traceback" not in found.stderr

    outdated = tmp_path / "outdated.db"
    outdated.write_bytes((tmp_path / "sound.db").read_bytes())
    with sqlite3.connect(outdated) as connection:
        # One branch a revision behind: its newest revision's row put back to the revision before it.
        newest = max(head_revisions())
        connection.execute("UPDATE alembic_version SET version_num = ? WHERE version_num = ?",
                           (_down_revision(newest), newest))
    found = canhgac("db", "check", "--db", f"sqlite:///{outdated}")
    assert found.returncode == 1 and "db init" in found.stderr


def _down_revision(revision: str) -> str:
    from alembic.script import ScriptDirectory

    from collector.migrate import MIGRATIONS_DIR
    from tests.collector.test_migrations import alembic_config_for_scripts

    down = ScriptDirectory.from_config(alembic_config_for_scripts(MIGRATIONS_DIR)).get_revision(revision).down_revision
    return down if isinstance(down, str) else sorted(down)[0]


def test_a_restore_refuses_a_full_database_and_a_newer_backup(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.db'}"
    assert canhgac("db", "init", "--db", source).returncode == 0
    assert canhgac("db", "backup", "--out", str(tmp_path / "a.bak"), "--db", source).returncode == 0
    refused = canhgac("db", "restore", str(tmp_path / "a.bak"), "--db", source)
    assert refused.returncode == 1 and "not empty" in refused.stderr
    with sqlite3.connect(tmp_path / "a.bak") as connection:
        connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    refused = canhgac("db", "restore", str(tmp_path / "a.bak"), "--db", f"sqlite:///{tmp_path / 'b.db'}")
    assert refused.returncode == 1 and "newer canhgac" in refused.stderr
    again = canhgac("db", "backup", "--out", str(tmp_path / "a.bak"), "--db", source)
    assert again.returncode == 1 and "exists" in again.stderr
