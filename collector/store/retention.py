"""Thinning stored reports (collector.retention's rules) in bounded batches: each transaction
handles a few hundred machines' reports of the range being thinned and commits, so a write lock is
never held long while agents report; a run stops at its time budget and the next one resumes from
the recorded progress (``retention_progress``). Sets and sections no report names any more go too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from collector.db import Database
from collector.models.machines import Machine
from collector.models.reports import RetentionProgress, StoredReport
from collector.retention import RetentionPolicy, ThinStep, day_start, doomed, vietnam_day
from collector.store.report_sections import forget_unused

MACHINES_PER_BATCH = 200
DELETE_CHUNK = 1000
WINDOW_DAYS = 7


@dataclass
class PruneSummary:
    reports_deleted: int = 0
    sets_deleted: int = 0
    sections_deleted: int = 0
    batches: int = 0
    finished: bool = True
    """False when the time budget ended the run (the next run goes on where it stopped)."""
    thinned_until: dict[str, date | None] = field(default_factory=dict)


def prune_reports(db: Database, now: datetime, policy: RetentionPolicy, max_seconds: float = 20.0,
                  machines_per_batch: int = MACHINES_PER_BATCH) -> PruneSummary:
    """Thin daily, then weekly, up to what ``policy`` allows at ``now``, within ``max_seconds``."""
    summary = PruneSummary()
    deadline = time.monotonic() + max_seconds
    for step in (ThinStep.DAILY, ThinStep.WEEKLY):
        if not _thin_step(db, step, policy.thin_until(step, now), deadline, machines_per_batch, summary):
            summary.finished = False
            break
    with db.session() as session:
        summary.thinned_until = {p.step: p.done_until for p in session.scalars(select(RetentionProgress))}
    return summary


def _thin_step(db: Database, step: ThinStep, until: date, deadline: float, per_batch: int,
               summary: PruneSummary) -> bool:
    """True when ``step`` is thinned up to ``until`` (window after window); False when the time ran
    out first."""
    while True:
        with db.session() as session:
            progress = _progress(session, step, until)
            if progress is None:
                return True
            done = _thin_batch(session, step, progress, per_batch, summary)
            if done:
                progress.done_until, progress.working_until, progress.machine_done = progress.working_until, None, 0
        summary.batches += 1
        if time.monotonic() > deadline:
            return False


def _progress(session: Session, step: ThinStep, until: date) -> RetentionProgress | None:
    """The step's progress row with a run in progress (started here when due); None when up to date.
    A run thins at most WINDOW_DAYS of reports, so that a batch never reads more than a few days of
    its machines' reports (a database upgraded with years of whole reports is thinned window by window)."""
    progress = session.get(RetentionProgress, str(step))
    if progress is None:
        progress = RetentionProgress(step=str(step), done_until=None, working_until=None, machine_done=0)
        session.add(progress)
    if progress.working_until is None:
        if progress.done_until is not None and progress.done_until >= until:
            return None
        lower = progress.done_until or _first_day(session)
        if lower is None:
            return None
        if step is ThinStep.WEEKLY:
            lower -= timedelta(days=lower.weekday())  # whole weeks in each window
        progress.working_until, progress.machine_done = min(until, lower + timedelta(days=WINDOW_DAYS)), 0
    return progress


def _first_day(session: Session) -> date | None:
    first = session.scalar(select(func.min(StoredReport.received_at)))
    return None if first is None else vietnam_day(first)


def _thin_batch(session: Session, step: ThinStep, progress: RetentionProgress, per_batch: int,
                summary: PruneSummary) -> bool:
    """Thin the next machines of the run; True when no machine was left."""
    machines = list(session.execute(select(Machine.id, Machine.current_agent_id, Machine.state_sequence)
                                    .where(Machine.id > progress.machine_done).order_by(Machine.id).limit(per_batch)))
    if not machines:
        return True
    query = select(StoredReport.id, StoredReport.machine_id, StoredReport.received_at, StoredReport.section_set_id,
                   StoredReport.agent_id, StoredReport.sequence).where(
        StoredReport.machine_id.in_([m.id for m in machines]),
        StoredReport.received_at < day_start(progress.working_until))
    if progress.done_until is not None:
        query = query.where(StoredReport.received_at >= day_start(progress.done_until))
    rows = list(session.execute(query))
    current = {(m.current_agent_id, m.state_sequence) for m in machines}
    keep = frozenset(r.id for r in rows if (r.agent_id, r.sequence) in current)
    ids = doomed(step, ((r.id, r.machine_id, r.received_at) for r in rows), keep)
    gone = set(ids)
    sets = {r.section_set_id for r in rows if r.section_set_id is not None and r.id in gone}
    for start in range(0, len(ids), DELETE_CHUNK):
        session.execute(delete(StoredReport).where(StoredReport.id.in_(ids[start:start + DELETE_CHUNK])))
    gone_sets, gone_sections = forget_unused(session, sets)
    summary.reports_deleted += len(ids)
    summary.sets_deleted += gone_sets
    summary.sections_deleted += gone_sections
    progress.machine_done = machines[-1].id
    return False


