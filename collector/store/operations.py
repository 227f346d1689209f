"""What the collector's operators watch (``GET /metrics``): a few cheap counts, each one indexed
query or a count over one table, read at each scrape."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.wire.schema import Role
from collector.models.alerts import Alert
from collector.models.machines import Machine
from rules.lifecycle import AlertStatus
from rules.model import Severity


def open_alerts_by_severity(session: Session) -> dict[str, int]:
    """Alerts not resolved, per severity; every severity is present (0 when none)."""
    found = dict(session.execute(select(Alert.severity, func.count()).where(Alert.status != AlertStatus.RESOLVED)
                                 .group_by(Alert.severity)).all())
    return {str(severity): int(found.get(str(severity), 0)) for severity in Severity}


def silent_machines(session: Session, now: datetime, hours: int) -> int:
    """Machines of the normal role whose newest report is older than ``hours`` (or that never
    reported); the offline PC reports by USB, rarely, and is left out."""
    since = now - timedelta(hours=hours)
    return int(session.scalar(select(func.count()).select_from(Machine).where(
        Machine.role == Role.NORMAL, (Machine.last_seen_at < since) | Machine.last_seen_at.is_(None))) or 0)


def machine_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Machine)) or 0)
