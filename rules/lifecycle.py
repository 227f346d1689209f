"""The alert lifecycle as a pure function: ``transition(previous, outcome, severity, now)``.

An alert is identified by rule + subject. It opens once, counts repeats, can be acknowledged by a
person, resolves by itself when the condition clears, and re-opens if it returns. A higher
severity (a rule's level) escalates it (and re-opens an acknowledged alert: someone accepted the
lesser risk, not this one); a lower one de-escalates it, recorded without noise. An acknowledgement
covers the evidence the officer saw: a new item of evidence (another threat, path or time;
another product switched off) opens the alert again with a NEW_EVIDENCE event. UNKNOWN changes
nothing: missing data neither resolves nor repeats an alert. Storing and notifying happen elsewhere.
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
    NEW_EVIDENCE = "new_evidence"


NOTIFY_ON = frozenset({Transition.OPENED, Transition.REOPENED, Transition.ESCALATED, Transition.RESOLVED,
                       Transition.NEW_EVIDENCE})
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
    evidence: tuple[str, ...] = ()
    """The evidence items of the last firing."""
    acked_evidence: tuple[str, ...] | None = None
    """What the acknowledgement covered (None: not acknowledged)."""


class AckError(ValueError):
    """The alert cannot be acknowledged (it is resolved)."""


def transition(previous: AlertState | None, outcome: Outcome | None, severity: Severity,
               now: datetime, evidence: tuple[str, ...] = ()) -> tuple[AlertState | None, Transition]:
    """The next state of an alert given this evaluation. ``outcome`` None means the rule passed or
    no longer applies; FIRING and UNKNOWN come from a finding, with its evidence items."""
    if outcome is Outcome.UNKNOWN:
        return previous, Transition.NONE
    firing = outcome is Outcome.FIRING
    if previous is None:
        if not firing:
            return None, Transition.NONE
        return AlertState(AlertStatus.OPEN, severity, 1, now, now, now, evidence=evidence), Transition.OPENED
    if previous.status is AlertStatus.RESOLVED:
        if not firing:
            return previous, Transition.NONE
        return (AlertState(AlertStatus.OPEN, severity, previous.count + 1, previous.first_seen, now, now,
                           evidence=evidence), Transition.REOPENED)
    if not firing:
        return replace(previous, status=AlertStatus.RESOLVED, resolved_at=now), Transition.RESOLVED
    counted = replace(previous, count=previous.count + 1, last_seen=now, severity=severity, evidence=evidence)
    reopened = replace(counted, status=AlertStatus.OPEN, acked_at=None, acked_by=None, ack_comment=None,
                       acked_evidence=None)
    if severity.rank > previous.severity.rank:
        return reopened, Transition.ESCALATED
    if previous.status is AlertStatus.ACKNOWLEDGED and new_evidence(previous.acked_evidence, evidence):
        return reopened, Transition.NEW_EVIDENCE
    if severity.rank < previous.severity.rank:
        return counted, Transition.DEESCALATED
    return counted, Transition.REPEATED


def new_evidence(covered: tuple[str, ...] | None, evidence: tuple[str, ...]) -> bool:
    """An item the acknowledgement did not cover (items that went away are not new evidence)."""
    return bool(set(evidence) - set(covered or ()))


def acknowledge(previous: AlertState, who: str, comment: str, now: datetime) -> tuple[AlertState, Transition]:
    """A person takes the alert on. Acknowledging twice updates who, when and the comment."""
    if previous.status is AlertStatus.RESOLVED:
        raise AckError("this alert is already resolved")
    return (replace(previous, status=AlertStatus.ACKNOWLEDGED, acked_at=now, acked_by=who, ack_comment=comment,
                    acked_evidence=previous.evidence), Transition.ACKNOWLEDGED)
