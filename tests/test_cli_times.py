"""A person reads times in Vietnam's time (UTC+7) on the command line too; JSON keeps ISO 8601
with its offset (issue 17 part 3). The commands read the frozen clock, not today's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from agent.wire import clock
from agent.wire.schema import EnrollRequest
from canhgac.cli import main
from collector.db import open_database
from collector.models.machines import Machine
from collector.store.enrollment import create_enrollment_token, enroll

NOW = datetime(2026, 3, 10, 20, 30, tzinfo=UTC)  # 11/03/2026 03:30 in Vietnam: the day changes too


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    db = {"CANHGAC_DB": f"sqlite:///{tmp_path / 'canhgac.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init"], env=db).exit_code == 0
    added = runner.invoke(main, ["units", "add", "XA", "--name", "UBND xã A", "--kind", "commune"], env=db)
    assert added.exit_code == 0
    return db


def test_tokens_create_and_list_say_vietnam_time(env: dict[str, str]) -> None:
    runner = CliRunner()
    created = runner.invoke(main, ["tokens", "create", "--unit", "XA", "--expires", "1d"], env=env)
    assert created.exit_code == 0, created.output
    assert "12/03/2026 03:30 (UTC+7)" in created.output and "UTC," not in created.output
    listed = runner.invoke(main, ["tokens", "list"], env=env)
    assert "expires 12/03/2026 03:30 (UTC+7)" in listed.output
    as_json = json.loads(runner.invoke(main, ["tokens", "list", "--json"], env=env).output)
    assert datetime.fromisoformat(as_json[0]["expires_at"]) == datetime(2026, 3, 11, 20, 30, tzinfo=UTC)
    assert as_json[0]["expires_at"].endswith("+00:00")  # ISO 8601 with its offset


def test_machines_list_says_vietnam_time(env: dict[str, str]) -> None:
    db = open_database(env["CANHGAC_DB"])
    try:
        with db.session() as session:
            token = create_enrollment_token(session, "XA", timedelta(days=1), NOW)[0]
            enroll(session, EnrollRequest(token=token, machine_uid="uid-1", hostname="xa-pc01"), NOW)
            session.execute(update(Machine).values(last_seen_at=NOW))
    finally:
        db.dispose()
    listed = CliRunner().invoke(main, ["machines", "list"], env=env)
    line = next(row for row in listed.output.splitlines() if "xa-pc01" in row)
    assert "11/03/2026 03:30" in line, listed.output
    as_json = json.loads(CliRunner().invoke(main, ["machines", "list", "--json"], env=env).output.split("\n]")[0] + "]")
    assert datetime.fromisoformat(as_json[0]["last_seen_at"].replace("Z", "+00:00")) == NOW
