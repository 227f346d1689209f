"""Refused reports of known agents (bad signature, out-of-window timestamp, replay with other
content), counted per agent, reason and hour for the tampering rule (``agent.rejected_reports``).

Written off the good path: only when ingest already refuses, in its own short transaction. One
row per (agent, reason, hour) whatever the rate, so a flood grows a counter, not the table; an
unknown agent id is never recorded (the caller only counts agents it found).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from collector.db import Database
from collector.models.rejections import IngestRejection

log = logging.getLogger("canhgac.ingest")

COUNTED_REASONS = frozenset({"bad_signature", "timestamp_out_of_window", "sequence_conflict"})
WINDOW = timedelta(hours=24)
"""``agent.rejected_reports`` counts refusals of the last WINDOW (whole hours)."""
KEEP = timedelta(days=30)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def count_rejection(db: Database, agent_id: str, machine_id: int, reason: str, now: datetime) -> None:
    """Add one refusal of ``agent_id``; never raises (a failure to count is logged: the refusal
    the agent gets must stay the one ingest decided)."""
    if reason not in COUNTED_REASONS:
        return
    values = {"agent_id": agent_id, "machine_id": machine_id, "reason": reason, "hour": _hour(now), "count": 1}
    try:
        with db.session() as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            statement = dialect.insert(IngestRejection).values(values)
            session.execute(statement.on_conflict_do_update(
                index_elements=["agent_id", "reason", "hour"],
                set_={"count": IngestRejection.count + 1}))
    except SQLAlchemyError:
        log.exception("could not count a refused report of agent %s (%s)", agent_id, reason)


def rejections_by_machine(session: Session, now: datetime, window: timedelta = WINDOW) -> dict[int, int]:
    """Refused reports per machine (all its agents) in the hours of the last ``window``."""
    rows = session.execute(select(IngestRejection.machine_id, func.sum(IngestRejection.count))
                           .where(IngestRejection.hour >= _hour(now - window))
                           .group_by(IngestRejection.machine_id))
    return {machine_id: int(total) for machine_id, total in rows}


def prune_rejections(session: Session, now: datetime, keep: timedelta = KEEP) -> int:
    """Forget counts older than ``keep``; returns the rows removed."""
    result = session.execute(delete(IngestRejection).where(IngestRejection.hour < _hour(now - keep)))
    return int(getattr(result, "rowcount", 0) or 0)
