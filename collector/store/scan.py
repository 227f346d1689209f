"""The scheduled scan's own rows: job leases (one run per database and interval, however many
processes serve it; the scan marks, what each machine was last judged on, are
collector.store.scan_marks'); and the per-machine lock that orders the judging of one machine
between processes."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.db import Database
from collector.models.machines import Machine
from collector.models.scan import JobLease

TURN = 0.9
"""A lease lasts this share of the job's interval: the next run of the same scheduler, a little
early by the wall clock, still finds it expired."""

STALE_AFTER_MIN = timedelta(hours=1)
"""A lease whose run never finished (its process died) is taken over after twice the job's
interval, and never sooner than this."""

def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim_lease(db: Database, job: str, every: timedelta, now: datetime, holder: str | None = None) -> bool:
    """Take ``job``'s turn: True for exactly one caller per interval per database (its lease runs
    ``TURN`` of ``every`` from ``now``), False while another holds it or it ran within the interval. A run
    that never finished blocks a new one until it is stale (twice ``every``, at least an hour)."""
    holder = holder or this_process()
    with db.session() as session:
        _insert_ignoring_conflict(session, {"job": job, "holder": "", "started_at": now - every,
                                            "expires_at": now - every, "finished_at": now - every})
    stale = now - max(2 * every, STALE_AFTER_MIN)
    with db.session() as session:
        claimed = session.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.expires_at <= now,
                   JobLease.finished_at.is_not(None) | (JobLease.started_at <= stale))
            .values(holder=holder, started_at=now, expires_at=now + every * TURN, finished_at=None)).rowcount
    return claimed == 1


def finish_lease(db: Database, job: str, now: datetime, holder: str | None = None) -> None:
    """The run of ``job`` by ``holder`` ended (its turn still lasts until the lease expires)."""
    with db.session() as session:
        session.execute(update(JobLease).where(JobLease.job == job, JobLease.holder == (holder or this_process()))
                        .values(finished_at=now))


def _insert_ignoring_conflict(session: Session, values: Mapping[str, object]) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(JobLease).values(dict(values)).on_conflict_do_nothing(index_elements=["job"]))


@dataclass(frozen=True)
class CurrentState:
    """A machine's current report (JSON) and what says which one it is."""

    state_json: str
    state_sequence: int
    last_seen_at: datetime | None


STATES_READ = 1000
"""Machines one query reads (an IN list well below every backend's parameter limit)."""


def lock_current_states(session: Session, machine_ids: Sequence[int]) -> dict[int, CurrentState]:
    """Lock these machines (PostgreSQL's row locks, SELECT ... FOR UPDATE, in id order, ``STATES_READ``
    at a time: the order a batch of reports stores them in; SQLite's one writer needs none) and read
    their current reports: a report stored after this waits for the transaction, and one
    stored before it shows in its sequence and last-seen time. Machines without a report are absent."""
    ids = sorted(machine_ids)
    lock = session.get_bind().dialect.name == "postgresql"
    found: dict[int, CurrentState] = {}
    for start in range(0, len(ids), STATES_READ):
        query = (select(Machine.id, Machine.state_json, Machine.state_sequence, Machine.last_seen_at)
                 .where(Machine.id.in_(ids[start:start + STATES_READ]), Machine.state_json.is_not(None))
                 .order_by(Machine.id))
        for row in session.execute(query.with_for_update() if lock else query):
            found[row.id] = CurrentState(row.state_json, row.state_sequence, row.last_seen_at)
    return found
