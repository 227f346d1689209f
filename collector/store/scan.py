"""The scheduled scan's own rows: job leases (one run per database and interval, however many
processes serve it) and scan marks (what each subject was last judged on, for the incremental
scan); and the per-machine lock that orders the judging of one machine between processes."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.db import Database
from collector.models.machines import Machine
from collector.models.scan import JobLease, ScanMark

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


def lock_machine(session: Session, machine_id: int) -> None:
    """Hold the machine's row until the transaction ends, so that two processes judging the same
    machine (two reports at two workers, a report and the scan) take turns and each reads the
    other's alerts: PostgreSQL's row lock (SELECT ... FOR UPDATE). SQLite has one writer at a
    time already (its write lock is the database's), so nothing is needed there."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Machine.id).where(Machine.id == machine_id).with_for_update())


def lock_if_unchanged(session: Session, machine_id: int, state_sequence: int, last_seen_at: datetime | None) -> bool:
    """Lock the machine (``lock_machine``) and say whether its state is still the one the scan read:
    False when a report arrived meanwhile (its own judging, on fresher facts, stands)."""
    lock_machine(session, machine_id)
    row = session.execute(select(Machine.state_sequence, Machine.last_seen_at).where(Machine.id == machine_id)).first()
    return row is not None and row.state_sequence == state_sequence and row.last_seen_at == last_seen_at


@dataclass(frozen=True)
class Mark:
    inputs: str
    due_at: datetime | None
    offline: bool = False
    line: bool | None = None


def scan_marks(session: Session) -> dict[str, Mark]:
    """Every subject's mark of the last scan, by subject key."""
    return {row.subject: Mark(row.inputs, row.due_at, row.offline, row.line) for row in session.execute(
        select(ScanMark.subject, ScanMark.inputs, ScanMark.due_at, ScanMark.offline, ScanMark.line))}


def save_marks(session: Session, marks: Iterable[tuple[str, Mark]], now: datetime) -> int:
    """Replace the marks of these subjects (the ones just judged); returns how many."""
    rows = [{"subject": subject, "inputs": mark.inputs, "due_at": mark.due_at, "judged_at": now,
             "offline": mark.offline, "line": mark.line} for subject, mark in marks]
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        session.execute(delete(ScanMark).where(ScanMark.subject.in_([r["subject"] for r in chunk])))
        session.execute(ScanMark.__table__.insert(), chunk)
    return len(rows)


def states_of(session: Session, machine_ids: list[int]) -> dict[int, str]:
    """The current report (JSON) of each of these machines, read 1,000 at a time."""
    found: dict[int, str] = {}
    for start in range(0, len(machine_ids), 1000):
        chunk = machine_ids[start:start + 1000]
        found.update((row[0], row[1]) for row in session.execute(
            select(Machine.id, Machine.state_json).where(Machine.id.in_(chunk))))
    return found


def forget_marks(session: Session) -> None:
    """The next scan judges every subject (rules or their inputs changed in a way not digested)."""
    session.execute(delete(ScanMark))
