"""The alert lifecycle as a pure function: ``transition(previous, outcome, severity, now)``.

An alert is identified by rule + subject. It opens once, counts repeats, can be acknowledged by a
person, resolves by itself when the condition clears, and re-opens if it returns. A higher
severity escalates it (and re-opens an acknowledged alert: someone accepted the lesser risk, not
this one); a lower one is recorded without noise. UNKNOWN changes nothing: missing data neither
resolves nor repeats an alert. Storing the state and notifying happen elsewhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from rules.model import Outcome, Severity


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Transition(enum.StrEnum):
    NONE = "none"
    OPENED = "opened"
    REPEATED = "repeated"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"


NOTIFY_ON = frozenset({Transition.OPENED, Transition.REOPENED, Transition.ESCALATED, Transition.RESOLVED})
"""Transitions that reach people; repeats and de-escalations do not."""


@dataclass(frozen=True)
class AlertState:
    status: AlertStatus
    severity: Severity
    count: int
    first_seen: datetime
    last_seen: datetime
    opened_at: datetime
    resolved_at: datetime | None = None
    acked_at: datetime | None = None
    acked_by: str | None = None
    ack_comment: str | None = None


class AckError(ValueError):
    """The alert cannot be acknowledged (it is resolved)."""


def transition(previous: AlertState | None, outcome: Outcome | None, severity: Severity,
               now: datetime) -> tuple[AlertState | None, Transition]:
    """The next state of an alert given this evaluation. ``outcome`` None means the rule passed or
    no longer applies; FIRING and UNKNOWN come from a finding."""
    if outcome is Outcome.UNKNOWN:
        return previous, Transition.NONE
    firing = outcome is Outcome.FIRING
    if previous is None:
        if not firing:
            return None, Transition.NONE
        return AlertState(AlertStatus.OPEN, severity, 1, now, now, now), Transition.OPENED
    if previous.status is AlertStatus.RESOLVED:
        if not firing:
            return previous, Transition.NONE
        return (AlertState(AlertStatus.OPEN, severity, previous.count + 1, previous.first_seen, now, now),
                Transition.REOPENED)
    if not firing:
        return replace(previous, status=AlertStatus.RESOLVED, resolved_at=now), Transition.RESOLVED
    counted = replace(previous, count=previous.count + 1, last_seen=now, severity=severity)
    if severity.rank > previous.severity.rank:
        return replace(counted, status=AlertStatus.OPEN, acked_at=None, acked_by=None, ack_comment=None), \
            Transition.ESCALATED
    if severity.rank < previous.severity.rank:
        return counted, Transition.DEESCALATED
    return counted, Transition.REPEATED


def acknowledge(previous: AlertState, who: str, comment: str, now: datetime) -> tuple[AlertState, Transition]:
    """A person takes the alert on. Acknowledging twice updates who, when and the comment."""
    if previous.status is AlertStatus.RESOLVED:
        raise AckError("this alert is already resolved")
    return (replace(previous, status=AlertStatus.ACKNOWLEDGED, acked_at=now, acked_by=who, ack_comment=comment),
            Transition.ACKNOWLEDGED)
