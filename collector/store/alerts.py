"""Alerts: findings applied through the pure lifecycle (rules.lifecycle), history, acknowledging,
reading within a person's scope, and the notification outbox (events sent once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from collector.errors import Conflict, NotFound
from collector.models.alerts import Alert, AlertEvent
from collector.models.units import Unit
from collector.store.scope import Scope
from collector.store.units import get_unit
from rules.lifecycle import NOTIFY_ON, AckError, AlertState, AlertStatus, Transition, acknowledge, transition
from rules.model import Finding, Outcome, Rule, Severity


@dataclass(frozen=True)
class Subject:
    key: str  # "machine:42" or "unit:XA"
    unit_id: int
    machine_id: int | None = None


def _state(alert: Alert) -> AlertState:
    return AlertState(status=AlertStatus(alert.status), severity=Severity(alert.severity), count=alert.count,
                      first_seen=alert.first_seen_at, last_seen=alert.last_seen_at, opened_at=alert.opened_at,
                      resolved_at=alert.resolved_at, acked_at=alert.acked_at, acked_by=alert.acked_by,
                      ack_comment=alert.ack_comment)


def _store_state(alert: Alert, state: AlertState) -> None:
    alert.status, alert.severity, alert.count = str(state.status), str(state.severity), state.count
    alert.first_seen_at, alert.last_seen_at, alert.opened_at = state.first_seen, state.last_seen, state.opened_at
    alert.resolved_at, alert.acked_at = state.resolved_at, state.acked_at
    alert.acked_by, alert.ack_comment = state.acked_by, state.ack_comment


def _record(session: Session, alert: Alert, change: Transition, now: datetime, actor: str | None = None,
            comment: str | None = None) -> None:
    if change in (Transition.NONE, Transition.REPEATED):
        return
    session.add(AlertEvent(alert_id=alert.id, at=now, transition=str(change), status=alert.status,
                           severity=alert.severity, actor=actor, comment=comment, notify=change in NOTIFY_ON))


def apply_findings(session: Session, subject: Subject, findings: Sequence[Finding], rules: Mapping[str, Rule],
                   now: datetime) -> list[tuple[str, Transition]]:
    """Move every alert of ``subject`` one step: findings fire (or keep unknown); an alert of the
    subject with no finding resolves. Returns the (rule id, transition) pairs that changed something."""
    existing = {a.rule_id: a for a in session.scalars(select(Alert).where(Alert.subject == subject.key))}
    by_rule = {f.rule_id: f for f in findings}
    changed: list[tuple[Alert, Transition]] = []
    for rule_id in by_rule.keys() | existing.keys():
        finding = by_rule.get(rule_id)
        alert = existing.get(rule_id)
        severity = finding.severity if finding else Severity(alert.severity) if alert else Severity.INFO
        state, change = transition(_state(alert) if alert else None, finding.outcome if finding else None,
                                   severity, now)
        if change is Transition.NONE or state is None:
            continue
        if alert is None:
            alert = Alert(rule_id=rule_id, subject=subject.key, unit_id=subject.unit_id, machine_id=subject.machine_id)
            session.add(alert)
        _store_state(alert, state)
        if finding is not None and finding.outcome is Outcome.FIRING:
            rule = rules.get(rule_id)
            alert.title = rule.title.both() if rule else rule_id
            alert.detail = finding.reason
        alert.unit_id = subject.unit_id
        changed.append((alert, change))
    if changed:
        session.flush()  # once: new alerts get their ids for the history below
    for alert, change in changed:
        _record(session, alert, change, now)
    return [(alert.rule_id, change) for alert, change in changed]


class AlertRow(msgspec.Struct, kw_only=True):
    """An alert as lists and the API show it."""

    id: int
    rule_id: str
    subject: str
    """"machine:<id>" or "unit:<code>"."""
    unit_code: str
    machine_id: int | None
    status: str
    severity: str
    title: str
    """Vietnamese / English."""
    detail: str
    count: int
    first_seen_at: datetime
    last_seen_at: datetime
    opened_at: datetime
    resolved_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    ack_comment: str | None


def _row(alert: Alert, unit_code: str) -> AlertRow:
    return AlertRow(id=alert.id, rule_id=alert.rule_id, subject=alert.subject, unit_code=unit_code,
                    machine_id=alert.machine_id, status=alert.status, severity=alert.severity, title=alert.title,
                    detail=alert.detail, count=alert.count, first_seen_at=alert.first_seen_at,
                    last_seen_at=alert.last_seen_at, opened_at=alert.opened_at, resolved_at=alert.resolved_at,
                    acked_at=alert.acked_at, acked_by=alert.acked_by, ack_comment=alert.ack_comment)


def list_alerts(session: Session, scope: Scope, status: str | None = None, unit_code: str | None = None,
                limit: int = 100, offset: int = 0) -> tuple[list[AlertRow], int]:
    """Alerts in scope (and in ``unit_code``'s subtree), newest change first; plus the total."""
    query = select(Alert, Unit.code).join(Unit, Alert.unit_id == Unit.id).where(scope.units_clause())
    if status is not None:
        query = query.where(Alert.status == status)
    if unit_code is not None:
        unit = get_unit(session, unit_code, scope)
        query = query.where(Unit.path.startswith(unit.path, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.execute(query.order_by(Alert.last_seen_at.desc(), Alert.id.desc()).limit(limit).offset(offset))
    return [_row(alert, code) for alert, code in page], total


def get_alert(session: Session, scope: Scope, alert_id: int) -> tuple[Alert, str]:
    found = session.execute(select(Alert, Unit.code).join(Unit, Alert.unit_id == Unit.id)
                            .where(Alert.id == alert_id, scope.units_clause())).first()
    if found is None:
        raise NotFound(f"no alert {alert_id}", code="alert_not_found")
    return found[0], found[1]


def ack_alert(session: Session, scope: Scope, alert_id: int, who: str, comment: str, now: datetime) -> AlertRow:
    """Acknowledge an alert in scope (NotFound outside, exactly as absent; Conflict when resolved)."""
    alert, unit_code = get_alert(session, scope, alert_id)
    try:
        state, change = acknowledge(_state(alert), who, comment, now)
    except AckError as exc:
        raise Conflict(str(exc), code="alert_resolved") from None
    _store_state(alert, state)
    _record(session, alert, change, now, actor=who, comment=comment)
    session.flush()
    return _row(alert, unit_code)


def alert_history(session: Session, alert_id: int) -> list[AlertEvent]:
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)))


@dataclass(frozen=True)
class PendingNotice:
    event_id: int
    transition: str
    at: datetime
    alert: AlertRow
    unit_name: str


def pending_notices(session: Session, limit: int = 500) -> list[PendingNotice]:
    """Events waiting to be sent (open, escalate, resolve), oldest first."""
    rows = session.execute(
        select(AlertEvent, Alert, Unit).join(Alert, AlertEvent.alert_id == Alert.id)
        .join(Unit, Alert.unit_id == Unit.id)
        .where(AlertEvent.notify.is_(True), AlertEvent.notified_at.is_(None)).order_by(AlertEvent.id).limit(limit))
    return [PendingNotice(event.id, event.transition, event.at, _row(alert, unit.code), unit.name)
            for event, alert, unit in rows]


def mark_notified(session: Session, event_ids: Sequence[int], now: datetime) -> None:
    if event_ids:
        session.execute(update(AlertEvent).where(AlertEvent.id.in_(list(event_ids))).values(notified_at=now))
