"""On PostgreSQL the scan plans its statements for their values and the tables as they are
(collector.db.plan_for_the_values): the scan writes alerts by the tens of thousands and reads them
back 500 subjects a query (collector.store.alerts._stored_alerts). psycopg prepares a statement run
five times and PostgreSQL keeps a generic plan when five plans for the values cost no less; made
while the table was empty, that plan was a sequential scan comparing every row with the 500
parameters in turn, and stayed as the table grew: 0.44 s a query at 57,000 alerts, 14 of the 28 s
that the first scan of 50,000 machines took. Ingest keeps its prepared plans."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from collector.db import Database, open_database, plan_for_the_values
from collector.judging.rules import load_rules
from collector.judging.scan import scan_all
from collector.models.alerts import Alert
from collector.store.alerts import SUBJECTS_READ, _stored_alerts
from collector.store.units import add_unit
from tests.conftest import PG_ENV, _pg_schema_url
from tests.sql_seen import statements_sent

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
GROWN = 20_000
READS = 16
"""Enough runs for psycopg to prepare the read (after 5) and PostgreSQL to keep a generic plan (after 5 more)."""
KEYS = [f"machine:{n}" for n in range(0, 2 * SUBJECTS_READ, 2)]
READ_OF_ALERTS = "SELECT alerts.id, alerts.subject, alerts.rule_id, %"


def _postgresql(db_url: str) -> Database:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite plans each statement as it prepares it, from the table as it is: no plan to keep")
    return open_database(db_url)


def _plan_of_the_read_once_grown(db: Database, planned_for_values: bool) -> str:
    """The plan the read of 500 subjects' alerts runs once the table, analysed empty, holds 20,000."""
    with db.session() as session:
        unit_id = add_unit(session, "XA", "UBND xã A", "commune", T0).id
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE alerts"))

    def read(session: Session) -> int:
        if planned_for_values:
            plan_for_the_values(session)
        return len(_stored_alerts(session, KEYS, None))

    with db.session() as session:
        assert [read(session) for _ in range(READS)] == [0] * READS
    with db.engine.begin() as connection:
        connection.execute(insert(Alert), [
            {"rule_id": "backup.quarterly", "subject": f"machine:{n}", "unit_id": unit_id, "status": "open",
             "severity": "medium", "title": "t", "first_seen_at": T0, "last_seen_at": T0, "opened_at": T0}
            for n in range(GROWN)])
    with db.session() as session:
        assert read(session) == SUBJECTS_READ
        connection = session.connection()
        name, parameters = connection.execute(text(
            "SELECT name, cardinality(parameter_types) FROM pg_prepared_statements WHERE statement LIKE :read"),
            {"read": READ_OF_ALERTS}).one()
        assert parameters == SUBJECTS_READ
        values = ", ".join(f"'{key}'" for key in KEYS)
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN EXECUTE {name}({values})"))


def test_a_read_planned_for_its_values_compares_the_grown_table_with_the_subjects_not_with_500_parameters(
        db_url: str) -> None:
    db = _postgresql(db_url)
    try:
        plan = _plan_of_the_read_once_grown(db, planned_for_values=True)
    finally:
        db.dispose()
    assert "$1" not in plan, plan
    assert "machine:998" in plan, plan


def test_without_it_the_plan_made_on_the_empty_table_is_kept_as_it_grows(db_url: str) -> None:
    """The trap itself, so that the test above is known to be able to fail. Up to three tries, each
    in a fresh database: once in a CI run of 2,108 tests (2026-12-03; never alone) the read was
    planned again on the grown table, most likely because the server dropped every cached plan
    (a shared-invalidation reset: the other test processes' migrations queued more catalogue
    changes than it keeps while this one inserted). Three tries in a row without the generic plan
    would mean the trap is gone."""
    def plan_in(url: str) -> str:
        db = _postgresql(url)
        try:
            return _plan_of_the_read_once_grown(db, planned_for_values=False)
        finally:
            db.dispose()

    def generic(plan: str) -> bool:
        return "Seq Scan on alerts" in plan and "$500" in plan

    plans = [plan_in(db_url)]
    while not generic(plans[-1]) and len(plans) < 3:
        with contextmanager(_pg_schema_url)(os.environ[PG_ENV]) as fresh:
            plans.append(plan_in(fresh))
    assert generic(plans[-1]), "the generic plan was not kept in three tries:\n" + "\n".join(p[:300] for p in plans)


def test_the_scan_plans_for_the_values_in_its_transaction_only(db_url: str) -> None:
    db = _postgresql(db_url)
    try:
        with db.session() as session:
            add_unit(session, "XA", "UBND xã A", "commune", T0)
            mode_outside = session.execute(text("SHOW plan_cache_mode")).scalar()
        with statements_sent(db) as sent:
            scan_all(db, T0, load_rules(None), network=False)
        assert sent[0][0] == "SET LOCAL plan_cache_mode = force_custom_plan"
        with db.session() as session:
            assert session.execute(text("SHOW plan_cache_mode")).scalar() == mode_outside != "force_custom_plan"
    finally:
        db.dispose()


def test_inserts_of_many_rows_keep_the_usual_plans_in_a_transaction_planned_for_the_values(db_url: str) -> None:
    """Before, each row of the scan's executemany inserts was planned anew: at 30,000 machines its
    first run took 19.4 s against 13.1 s (readiness rows, alerts and their events 2.4 times their
    cost). An INSERT's plan reads no table: nothing to plan for the values."""
    db = _postgresql(db_url)
    try:
        with db.session() as session:
            unit_id = add_unit(session, "XA", "UBND xã A", "commune", T0).id
        with db.session() as session:
            plan_for_the_values(session)
            session.execute(insert(Alert.__table__), [
                {"rule_id": "backup.quarterly", "subject": f"machine:{n}", "unit_id": unit_id, "status": "open",
                 "severity": "medium", "title": "t", "first_seen_at": T0, "last_seen_at": T0, "opened_at": T0}
                for n in range(40)])
            generic, custom = session.execute(text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE :insert"),
                {"insert": "INSERT INTO alerts %"}).one()
            mode = session.execute(text("SHOW plan_cache_mode")).scalar()
            assert len(_stored_alerts(session, KEYS, None)) == 20  # the reads: still planned for their values
            read_mode = session.execute(text("SHOW plan_cache_mode")).scalar()
    finally:
        db.dispose()
    assert generic > custom  # after five plans for the values, the generic one
    assert mode == read_mode == "force_custom_plan"  # and the reads after it planned for theirs again
