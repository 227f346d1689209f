"""Thinning old reports: the rules (pure, table-driven) and the bounded batches on SQLite and
PostgreSQL: every report of the last keep_all_days, the newest of each older day, then of each week;
a run cut short goes on where it stopped; sections no report names any more go too; what is kept
still joins back to the signed body."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from agent.wire.schema import EnrollRequest, Program, Software, decode_report, encode_report
from collector.db import Database, open_database
from collector.models.reports import ReportSection, StoredReport
from collector.retention import RetentionPolicy, ThinStep, bucket, doomed, vietnam_day
from collector.store.enrollment import create_enrollment_token, enroll
from collector.store.report_sections import stored_body
from collector.store.reports import find_agent, store_report
from collector.store.retention import prune_reports
from collector.store.units import add_unit
from tests.factories import make_report

NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam
H = timedelta(hours=1)


@pytest.mark.parametrize(("step", "rows", "keep", "expected"), [
    # The newest of each Vietnam day (17:00 UTC is midnight in Vietnam: 16:59 and 17:01 are two days).
    (ThinStep.DAILY, [(1, 1, NOW), (2, 1, NOW + H), (3, 1, NOW + 2 * H)], frozenset(), [1, 2]),
    (ThinStep.DAILY, [(1, 1, NOW.replace(hour=16, minute=59)), (2, 1, NOW.replace(hour=17, minute=1))],
     frozenset(), []),
    (ThinStep.DAILY, [(1, 1, NOW), (2, 2, NOW - H)], frozenset(), []),  # one per machine
    (ThinStep.DAILY, [(1, 1, NOW), (2, 1, NOW + H)], frozenset({1}), []),  # the current report stays
    # Weeks from Monday: 2026-11-30 is a Monday, 2026-11-29 a Sunday.
    (ThinStep.WEEKLY, [(1, 1, datetime(2026, 11, 30, 1, tzinfo=UTC)), (2, 1, datetime(2026, 12, 5, 1, tzinfo=UTC)),
                       (3, 1, datetime(2026, 11, 29, 1, tzinfo=UTC))], frozenset(), [1]),
])
def test_thinning_keeps_the_newest_of_each_bucket(step: ThinStep, rows: list[tuple[int, int, datetime]],
                                                  keep: frozenset[int], expected: list[int]) -> None:
    assert doomed(step, rows, keep) == expected


def test_the_policy_thins_whole_days_and_whole_weeks() -> None:
    policy = RetentionPolicy(keep_all_days=30, keep_daily_days=400)
    assert policy.thin_until(ThinStep.DAILY, NOW) == date(2026, 11, 1)
    weekly = policy.thin_until(ThinStep.WEEKLY, NOW)
    assert weekly.weekday() == 0 and date(2025, 10, 27) <= weekly <= date(2025, 10, 27) + timedelta(days=6)
    assert bucket(ThinStep.WEEKLY, NOW) == date(2026, 11, 30) and vietnam_day(NOW) == date(2026, 12, 1)
    with pytest.raises(ValueError):
        RetentionPolicy(keep_all_days=30, keep_daily_days=10)


PER_DAY = 4
DAYS = 45
CHANGE_DAYS = 2


@pytest.fixture
def history(db_url: str, db_at_head: None) -> Iterator[tuple[Database, dict[str, bytes]]]:
    """Two machines, four reports a day for 45 days; the program list changes every 2 days."""
    db = open_database(db_url)
    bodies: dict[str, bytes] = {}
    with db.session() as s:
        add_unit(s, "XA", "UBND xã A", "commune", NOW)
        token = create_enrollment_token(s, "XA", timedelta(days=1), NOW)[0]
        agents = [enroll(s, EnrollRequest(token=token, machine_uid=f"uid-{i}", hostname=f"pc-{i}"), NOW)
                  for i in range(2)]
    start = NOW - timedelta(days=DAYS)
    for agent in agents:
        with db.session() as s:
            credentials = find_agent(s, agent.agent_id)
            assert credentials is not None
            for n in range(DAYS * PER_DAY):
                at = start + timedelta(hours=24 / PER_DAY * n)
                report = make_report(agent.agent_id, n + 1, collected_at=at)
                report.software = Software(programs=[Program(name="Zalo", version=f"{n // (CHANGE_DAYS * PER_DAY)}.0")])
                body = encode_report(report)
                bodies[hashlib.sha256(body).hexdigest()] = body
                store_report(s, credentials, report, body, at)
    yield db, bodies
    db.dispose()


def _received(db: Database) -> list[datetime]:
    with db.session() as s:
        return list(s.scalars(select(StoredReport.received_at).order_by(StoredReport.received_at)))


def test_pruning_keeps_recent_reports_whole_and_older_ones_daily(history: tuple[Database, dict[str, bytes]]) -> None:
    db, bodies = history
    with db.session() as s:
        sections_before = s.scalar(select(func.count()).select_from(ReportSection))
    assert sections_before == -(-DAYS // CHANGE_DAYS)  # one program list per 2 days, shared by both machines
    summary = prune_reports(db, NOW, RetentionPolicy(keep_all_days=30, keep_daily_days=400))
    assert summary.finished
    cutoff = datetime.combine(RetentionPolicy().thin_until(ThinStep.DAILY, NOW), datetime.min.time()) \
        .replace(tzinfo=UTC) - timedelta(hours=7)
    received = _received(db)
    recent = [at for at in received if at >= cutoff]
    old = [at for at in received if at < cutoff]
    assert len(recent) == 2 * sum(1 for n in range(DAYS * PER_DAY)
                                  if NOW - timedelta(days=DAYS) + timedelta(hours=6 * n) >= cutoff)
    assert len(old) == 2 * len({vietnam_day(at) for at in old})  # one a day per machine
    assert summary.reports_deleted == 2 * DAYS * PER_DAY - len(received)
    with db.session() as s:
        kept = list(s.execute(select(StoredReport.id, StoredReport.body_sha256)))
        for report_id, digest in kept:  # what is kept still joins back to the signed body
            body = stored_body(s, report_id)
            assert hashlib.sha256(body).hexdigest() == digest and bodies[digest] == body
    assert prune_reports(db, NOW, RetentionPolicy()).reports_deleted == 0  # up to date: nothing more


def test_weekly_thinning_and_sections_no_report_names(history: tuple[Database, dict[str, bytes]]) -> None:
    db, _bodies = history
    prune_reports(db, NOW, RetentionPolicy(keep_all_days=3, keep_daily_days=14))
    received = _received(db)
    weekly_until = RetentionPolicy(keep_all_days=3, keep_daily_days=14).thin_until(ThinStep.WEEKLY, NOW)
    older = [at for at in received if vietnam_day(at) < weekly_until]
    assert len(older) == 2 * len({bucket(ThinStep.WEEKLY, at) for at in older})
    with db.session() as s:
        sections = s.scalar(select(func.count()).select_from(ReportSection))
        kept_lists = {decode_report(stored_body(s, i)).software.programs[0].version  # type: ignore[union-attr]
                      for i in s.scalars(select(StoredReport.id))}
    # Exactly the lists some kept report names: those of the days thinned away are gone.
    assert sections == len(kept_lists) < -(-DAYS // CHANGE_DAYS)


def test_a_run_cut_short_goes_on_where_it_stopped(history: tuple[Database, dict[str, bytes]]) -> None:
    db, _bodies = history
    first = prune_reports(db, NOW, RetentionPolicy(), max_seconds=1e-9, machines_per_batch=1)
    assert not first.finished and first.batches == 1 and first.reports_deleted > 0
    rest = prune_reports(db, NOW, RetentionPolicy(), machines_per_batch=1)
    assert rest.finished
    deleted = first.reports_deleted + rest.reports_deleted
    assert deleted == 2 * DAYS * PER_DAY - len(_received(db))
    assert len({vietnam_day(at) for at in _received(db)}) == DAYS + 1
