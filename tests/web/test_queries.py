"""The dashboard's overview reads: open alerts by severity and the latest open alerts of a
subtree, on a real SQLite database (migrated, so with the indexes they rely on)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from collector.db import Database, open_database
from collector.models.alerts import Alert
from collector.models.units import Unit
from collector.store.alerts import SEVERITIES, alert_counts, recent_alerts
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import add_unit

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'web.db'}")
    with database.session() as session:
        add_unit(session, "P", "Tỉnh", "province", NOW)
        for code in ("C1", "C2"):
            add_unit(session, code, f"Xã {code}", "commune", NOW, parent_code="P")
        units = {u: add_unit(session, f"O{u}", f"Văn phòng {u}", "office", NOW, parent_code=u).id for u in ("C1", "C2")}
        severities = (*SEVERITIES, "odd")  # a severity outside the list sorts last
        statuses = ("open", "open", "acknowledged", "resolved")
        session.execute(insert(Alert), [
            {"rule_id": f"r{i}", "subject": f"unit:{i}", "unit_id": units["C1" if i % 3 else "C2"], "machine_id": None,
             "status": statuses[i % 4], "severity": severities[(i * 7) % 6], "title": "t", "detail": "", "count": 1,
             "first_seen_at": NOW, "last_seen_at": NOW - timedelta(minutes=(i * 37) % 11), "opened_at": NOW}
            for i in range(90)])
    yield database
    database.dispose()


def _expected(db: Database, path: str, limit: int) -> list[int]:
    """The order the overview promises, worked out in Python: severity rank, newest, highest id."""
    with db.session() as session:
        rows = session.execute(select(Alert, Unit.path).join(Unit, Alert.unit_id == Unit.id)).all()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    mine = [a for a, unit_path in rows if a.status == "open" and unit_path.startswith(path)]
    mine.sort(key=lambda a: (rank.get(a.severity, len(SEVERITIES)), -a.last_seen_at.timestamp(), -a.id))
    return [a.id for a in mine[:limit]]


@pytest.mark.parametrize("limit", [1, 8, 40, 200])
@pytest.mark.parametrize("code", ["P", "C1", "C2"])
def test_latest_open_alerts_are_the_most_severe_then_newest_with_or_without_counts(db: Database, code: str,
                                                                                   limit: int) -> None:
    path = {"P": "/1/", "C1": "/1/2/", "C2": "/1/3/"}[code]
    with db.session() as session:
        counts = alert_counts(session, EVERYTHING, path)
        plain = [a.id for a in recent_alerts(session, EVERYTHING, path, limit=limit)]
        counted = [a.id for a in recent_alerts(session, EVERYTHING, path, limit=limit,
                                                       open_counts=counts["open"])]
    assert plain == counted == _expected(db, path, limit)
    assert len(plain) == min(limit, sum(counts["open"].values()))


def test_alert_counts_keep_to_the_subtree_and_the_scope(db: Database) -> None:
    with db.session() as session:
        everything = alert_counts(session, EVERYTHING, "/1/")
        c1 = alert_counts(session, EVERYTHING, "/1/2/")
        c2_scope = alert_counts(session, Scope("/1/3/"), "/1/")
        c2 = alert_counts(session, EVERYTHING, "/1/3/")
        no_path = alert_counts(session, Scope("/1/3/"))
    for status in ("open", "acknowledged"):
        for severity in (*SEVERITIES, "odd"):
            assert everything[status].get(severity, 0) == c1[status].get(severity, 0) + c2[status].get(severity, 0)
    assert c2_scope == c2 == no_path
    assert sum(everything["open"].values()) == 46 and sum(everything["acknowledged"].values()) == 22


@pytest.mark.parametrize(("scope", "unit", "text"), [(EVERYTHING, None, ""), (EVERYTHING, "C2", ""),
                                                     (Scope("/1/2/"), None, "pc_1"), (EVERYTHING, None, "PC1")])
def test_machine_pages_follow_hostname_order_within_the_scope_and_filters(db: Database, scope: Scope,
                                                                          unit: str | None, text: str) -> None:
    from collector.models.machines import Machine
    from collector.store.machine_list import MachineFilter, find_machines
    from collector.store.paging import PAGE_SIZE

    with db.session() as session:
        offices = dict(session.execute(select(Unit.id, Unit.path).where(Unit.kind == "office")).all())
        session.execute(insert(Machine), [
            {"machine_uid": f"m{i}", "unit_id": sorted(offices)[i % 2], "hostname": f"pc_{(i * 31) % 97}",
             "role": "normal", "os_name": "Windows 11", "created_at": NOW, "state_sequence": 0} for i in range(130)])
    with db.session() as session:
        machines = session.execute(select(Machine.id, Machine.hostname, Unit.path)
                                   .join(Unit, Machine.unit_id == Unit.id)).all()
        under = {None: "/", "C2": "/1/3/"}[unit]
        expected = sorted((host, i) for i, host, path in machines if path.startswith(under)
                          and path.startswith(scope.unit_path or "/") and text.lower() in host.lower())
        wanted = MachineFilter(unit=unit, text=text)
        pages = [find_machines(session, scope, wanted, NOW, "0.0.0", page) for page in (1, 2, 3)]
    shown = [(line.machine.hostname, line.machine.id) for p in pages for line in p.items]
    assert shown == expected[:3 * PAGE_SIZE] and pages[0].total == len(expected)
