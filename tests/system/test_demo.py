"""`canhgac demo --seed-only` fills a database through the real enroll and report path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from collector.db import open_database
from collector.models.machines import Machine
from collector.models.reports import StoredReport
from collector.models.units import Unit
from collector.store.readiness_report import readiness_table
from collector.store.scope import EVERYTHING
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
    finally:
        db.dispose()
    again = canhgac("demo", "--seed-only", "--db", db_url)
    assert again.returncode == 0 and "already" in again.stderr
