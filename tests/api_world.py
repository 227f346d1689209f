"""The `world` fixture: a real app on a real database (SQLite and PostgreSQL) with units and people."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from collector.config import CollectorConfig
from collector.db import Database, open_database
from collector.judging.rules import LoadedRules
from collector.store.enrollment import create_enrollment_token
from collector.store.people import add_user, issue_api_token
from collector.store.units import add_unit
from server.app import create_app
from tests.factories import T0, FrozenClock


@dataclass
class World:
    client: TestClient
    db: Database
    clock: FrozenClock
    tokens: dict[str, str]  # enrollment tokens by unit code
    people: dict[str, str]  # API tokens by user name

    def enroll(self, unit: str = "XA", machine_uid: str = "uid-1", hostname: str = "pc-01") -> dict[str, str]:
        response = self.client.post("/api/v1/enroll", json={
            "token": self.tokens[unit], "machine_uid": machine_uid, "hostname": hostname})
        assert response.status_code == 201, response.text
        return response.json()

    @property
    def rules(self) -> LoadedRules:
        """The rule set the app judges with (its state's)."""
        rules: LoadedRules = self.client.app.state.collector.rules
        return rules

    def as_person(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.people[name]}"}

    def count(self, table: str) -> int:
        from sqlalchemy import text

        with self.db.session() as session:
            return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def seed(db: Database) -> tuple[dict[str, str], dict[str, str]]:
    with db.session() as s:
        add_unit(s, "PV", "Tỉnh Thử Nghiệm", "province", T0, staff_count=0)
        add_unit(s, "XA", "UBND xã A", "commune", T0, "PV", 16)
        add_unit(s, "XA-VP", "Văn phòng xã A", "office", T0, "XA", 5)
        add_unit(s, "XB", "UBND xã B", "commune", T0, "PV", 12)
        tokens = {code: create_enrollment_token(s, code, timedelta(days=7), T0)[0] for code in ("XA", "XA-VP", "XB")}
        add_user(s, "viewer_a", "viewer", T0, "XA")
        add_user(s, "officer_b", "officer", T0, "XB")
        add_user(s, "admin", "admin", T0)
        add_user(s, "province", "viewer", T0, "PV")
        people = {name: issue_api_token(s, name, timedelta(days=30), T0)
                  for name in ("viewer_a", "officer_b", "admin", "province")}
    return tokens, people


@pytest.fixture
def world(db_url: str, db_at_head: None, tmp_path: Path) -> Iterator[World]:
    """The app on ``db_url`` (a copy of a database at the newest revision: ``db_at_head``); its data
    directory (the agent-keys secret of a PostgreSQL database) is the test's own."""
    db = open_database(db_url, data_dir=tmp_path)
    clock = FrozenClock()
    tokens, people = seed(db)
    app = create_app(CollectorConfig(db_url=db_url, data_dir=tmp_path, max_body_bytes=64 * 1024), db, clock)
    with TestClient(app) as client:
        yield World(client, db, clock, tokens, people)
    db.dispose()
