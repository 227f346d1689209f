"""Alerts: findings applied through the pure lifecycle (rules.lifecycle), history, acknowledging,
reading within a person's scope, and the notification outbox (events sent once)."""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy import Row, Select, case, func, select, update
from sqlalchemy.orm import Session

from collector.errors import Conflict, NotFound
from collector.models.alerts import Alert, AlertEvent
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.incidents import acknowledge_incident, record_incident
from collector.store.paging import PAGE_SIZE, Paged, offset_of, paged
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit
from rules.evidence import evidence_words
from rules.lifecycle import NOTIFY_ON, AckError, AlertState, AlertStatus, Transition, acknowledge, transition
from rules.model import Finding, Outcome, Rule, Severity


@dataclass(frozen=True)
class Subject:
    key: str  # "machine:42" or "unit:XA"
    unit_id: int
    machine_id: int | None = None


def _state(alert: Alert) -> AlertState:
    return AlertState(status=AlertStatus(alert.status), severity=_severity(alert.severity), count=alert.count,
                      first_seen=alert.first_seen_at, last_seen=alert.last_seen_at, opened_at=alert.opened_at,
                      resolved_at=alert.resolved_at, acked_at=alert.acked_at, acked_by=alert.acked_by,
                      ack_comment=alert.ack_comment, evidence=tuple(json.loads(alert.evidence or "[]")),
                      acked_evidence=None if alert.acked_evidence is None else tuple(json.loads(alert.acked_evidence)))


def _store_state(alert: Alert, state: AlertState) -> None:
    alert.status, alert.severity, alert.count = str(state.status), str(state.severity), state.count
    alert.first_seen_at, alert.last_seen_at, alert.opened_at = state.first_seen, state.last_seen, state.opened_at
    alert.resolved_at, alert.acked_at = state.resolved_at, state.acked_at
    alert.acked_by, alert.ack_comment = state.acked_by, state.ack_comment
    alert.evidence = json.dumps(list(state.evidence), ensure_ascii=False)
    alert.acked_evidence = None if state.acked_evidence is None else json.dumps(list(state.acked_evidence),
                                                                                  ensure_ascii=False)


def _record(session: Session, alert: Alert, change: Transition, now: datetime, actor: str | None = None,
            comment: str | None = None) -> None:
    if change in (Transition.NONE, Transition.REPEATED):
        return
    session.add(AlertEvent(alert_id=alert.id, at=now, transition=str(change), status=alert.status,
                           severity=alert.severity, actor=actor, comment=comment, notify=change in NOTIFY_ON))


def apply_findings(session: Session, subject: Subject, findings: Sequence[Finding], rules: Mapping[str, Rule],
                   now: datetime, only: Collection[str] | None = None) -> list[tuple[str, Transition]]:
    """Move every alert of ``subject`` one step: findings fire (or keep unknown); an alert of the
    subject with no finding resolves. ``only``: the rules judged (the others' alerts are left as they
    are). Returns the (rule id, transition) pairs that changed something."""
    query = select(Alert).where(Alert.subject == subject.key)
    if only is not None:
        query = query.where(Alert.rule_id.in_(list(only)))
        findings = [f for f in findings if f.rule_id in only]
    existing = {a.rule_id: a for a in session.scalars(query)}
    by_rule = {f.rule_id: f for f in findings}
    changed: list[tuple[Alert, Transition]] = []
    for rule_id in by_rule.keys() | existing.keys():
        finding = by_rule.get(rule_id)
        alert = existing.get(rule_id)
        severity = finding.severity if finding else _severity(alert.severity) if alert else Severity.INFO
        state, change = transition(_state(alert) if alert else None, finding.outcome if finding else None,
                                   severity, now, finding.evidence if finding else ())
        if change is Transition.NONE or state is None:
            continue
        if alert is None:
            alert = Alert(rule_id=rule_id, subject=subject.key, unit_id=subject.unit_id, machine_id=subject.machine_id)
            session.add(alert)
        _store_state(alert, state)
        if finding is not None and finding.outcome is Outcome.FIRING:
            _describe(alert, finding, rules.get(rule_id))
        alert.unit_id = subject.unit_id
        changed.append((alert, change))
    if changed:
        session.flush()  # once: new alerts get their ids for the history below
    for alert, change in changed:
        _record(session, alert, change, now)
        record_incident(session, alert, change, rules.get(alert.rule_id), now)
    return [(alert.rule_id, change) for alert, change in changed]


def _describe(alert: Alert, finding: Finding, rule: Rule | None) -> None:
    """Title (of the level fired), evidence in words and remediation, as people read them."""
    alert.title = rule.title_for(finding.severity).both() if rule else finding.rule_id
    words = evidence_words(finding.read)
    alert.detail = words.both() if words.vi else finding.reason
    alert.remediation = rule.remediation.both() if rule else ""


class AlertRow(msgspec.Struct, kw_only=True):
    """An alert as lists and the API show it."""

    id: int
    rule_id: str
    subject: str
    """"machine:<id>" or "unit:<code>"."""
    unit_code: str
    machine_id: int | None
    status: AlertStatus
    severity: Severity
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
    unit_name: str = ""
    hostname: str | None = None
    """The machine's hostname (None for a unit's alert)."""
    remediation: str = ""
    """Vietnamese / English: what to do."""
    evidence: list[str] = []
    """The items of evidence of the last firing (detections, products switched off...)."""


def _row(alert: Alert, unit_code: str, unit_name: str = "", hostname: str | None = None) -> AlertRow:
    return AlertRow(id=alert.id, rule_id=alert.rule_id, subject=alert.subject, unit_code=unit_code,
                    unit_name=unit_name, hostname=hostname, machine_id=alert.machine_id,
                    status=AlertStatus(alert.status), severity=_severity(alert.severity), title=alert.title,
                    detail=alert.detail, count=alert.count, first_seen_at=alert.first_seen_at,
                    last_seen_at=alert.last_seen_at, opened_at=alert.opened_at, resolved_at=alert.resolved_at,
                    acked_at=alert.acked_at, acked_by=alert.acked_by, ack_comment=alert.ack_comment,
                    remediation=alert.remediation or "", evidence=json.loads(alert.evidence or "[]"))


def _alert_in_scope(session: Session, scope: Scope, alert_id: int) -> tuple[Alert, Unit, str | None]:
    found = session.execute(select(Alert, Unit, Machine.hostname).join(Unit, Alert.unit_id == Unit.id)
                            .outerjoin(Machine, Alert.machine_id == Machine.id)
                            .where(Alert.id == alert_id, scope.units_clause())).first()
    if found is None:
        raise NotFound(f"no alert {alert_id}", code="alert_not_found")
    return found[0], found[1], found[2]


def get_alert(session: Session, scope: Scope, alert_id: int) -> AlertRow:
    """One alert in scope; NotFound outside it, exactly as when it does not exist."""
    alert, unit, hostname = _alert_in_scope(session, scope, alert_id)
    return _row(alert, unit.code, unit.name, hostname)


def ack_alert(session: Session, scope: Scope, alert_id: int, who: str, comment: str, now: datetime) -> AlertRow:
    """Acknowledge an alert in scope (NotFound outside, exactly as absent; Conflict when resolved)."""
    alert, unit, hostname = _alert_in_scope(session, scope, alert_id)
    try:
        state, change = acknowledge(_state(alert), who, comment, now)
    except AckError as exc:
        raise Conflict(str(exc), code="alert_resolved") from None
    _store_state(alert, state)
    _record(session, alert, change, now, actor=who, comment=comment)
    acknowledge_incident(session, alert.id, who, now)
    session.flush()
    record_audit(session, who, AuditAction.ALERT_ACKNOWLEDGED, now, f"alert:{alert.id}", alert.unit_id,
                 f"{alert.rule_id} on {alert.subject}: {comment}")
    return _row(alert, unit.code, unit.name, hostname)


class AlertEventRow(msgspec.Struct, kw_only=True):
    """One change in an alert's history."""

    at: datetime
    transition: Transition
    status: AlertStatus
    severity: Severity
    actor: str | None
    comment: str | None


def alert_history(session: Session, alert_id: int) -> list[AlertEventRow]:
    """The alert's changes, oldest first (callers check scope first, through get_alert)."""
    events = session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id))
    return [AlertEventRow(at=e.at, transition=Transition(e.transition), status=AlertStatus(e.status),
                          severity=_severity(e.severity), actor=e.actor, comment=e.comment) for e in events]


def _severity(value: str) -> Severity:
    """A stored severity; one no longer known (a pack changed) reads as info."""
    try:
        return Severity(value)
    except ValueError:
        return Severity.INFO


@dataclass(frozen=True)
class PendingNotice:
    event_id: int
    transition: Transition
    at: datetime
    alert: AlertRow
    unit_name: str


def pending_notices(session: Session, limit: int = 500) -> list[PendingNotice]:
    """Events waiting to be sent (open, escalate, resolve), oldest first."""
    rows = session.execute(
        select(AlertEvent, Alert, Unit, Machine.hostname).join(Alert, AlertEvent.alert_id == Alert.id)
        .join(Unit, Alert.unit_id == Unit.id).outerjoin(Machine, Alert.machine_id == Machine.id)
        .where(AlertEvent.notify.is_(True), AlertEvent.notified_at.is_(None)).order_by(AlertEvent.id).limit(limit))
    return [PendingNotice(event.id, Transition(event.transition), event.at,
                          _row(alert, unit.code, unit.name, hostname), unit.name)
            for event, alert, unit, hostname in rows]


def mark_notified(session: Session, event_ids: Sequence[int], now: datetime) -> None:
    if event_ids:
        session.execute(update(AlertEvent).where(AlertEvent.id.in_(list(event_ids))).values(notified_at=now))


# --- the dashboard's reads ------------------------------------------------------------------

SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda severity: -severity.rank))
"""Most severe first, as lists sort them."""
STATUSES: tuple[AlertStatus, ...] = tuple(AlertStatus)


def _listed(scope: Scope) -> Select[Alert, str, str, str]:
    return (select(Alert, Unit.code, Unit.name, Machine.hostname).join(Unit, Alert.unit_id == Unit.id)
            .outerjoin(Machine, Alert.machine_id == Machine.id).where(scope.units_clause()))


def _rows(result: Iterable[Row[Alert, str, str, str]]) -> list[AlertRow]:
    return [_row(alert, code, name, hostname) for alert, code, name, hostname in result]


def machine_alerts(session: Session, machine_id: int) -> list[AlertRow]:
    """Every alert of a machine, open ones first, newest first (callers check scope first)."""
    return _rows(session.execute(_listed(EVERYTHING).where(Alert.machine_id == machine_id)
                                 .order_by(Alert.status, Alert.last_seen_at.desc())))


def alert_counts(session: Session, scope: Scope, unit_path: str | None = None) -> dict[str, dict[str, int]]:
    """Open and acknowledged alerts by severity: {"open": {"high": 8, ...}, "acknowledged": {...}}."""
    query = (select(Alert.status, Alert.severity, func.count())
             .where(Alert.status != AlertStatus.RESOLVED).group_by(Alert.status, Alert.severity))
    units = select(Unit.id).where(scope.units_clause())
    if unit_path:
        units = units.where(Unit.path.startswith(unit_path, autoescape=True))
    if scope.unit_path is not None or not _everything(session, unit_path):
        # By unit id: a commune's count seeks its own units' alerts (ix_alerts_unit_status). The
        # whole tree (a province's overview) needs no filter: a list of every unit id costs more.
        query = query.where(Alert.unit_id.in_(units.scalar_subquery()))
    counts: dict[str, dict[str, int]] = {AlertStatus.OPEN: {}, AlertStatus.ACKNOWLEDGED: {}}
    for status, severity, count in session.execute(query):
        counts.setdefault(status, {})[severity] = int(count)
    return counts


def _everything(session: Session, unit_path: str | None) -> bool:
    """Whether the subtree at ``unit_path`` (None: no subtree asked) holds every unit."""
    if unit_path is None:
        return True
    outside = select(Unit.id).where(~Unit.path.startswith(unit_path, autoescape=True)).limit(1)
    return session.scalar(outside) is None


class AlertOrder(enum.StrEnum):
    NEWEST = "newest"
    """Newest change first (the API)."""
    SEVERITY = "severity"
    """Most severe first, then newest change (the dashboard)."""


def list_alerts(session: Session, scope: Scope, status: AlertStatus | None = None, unit_code: str | None = None,
                limit: int = 100, offset: int = 0, severity: Severity | None = None,
                order: AlertOrder = AlertOrder.NEWEST) -> tuple[list[AlertRow], int]:
    """Alerts in scope (and in ``unit_code``'s subtree), in ``order``; plus the total."""
    query = _listed(scope)
    if status:
        query = query.where(Alert.status == status)
    if severity:
        query = query.where(Alert.severity == severity)
    if unit_code:
        query = query.where(Unit.path.startswith(get_unit(session, unit_code, scope).path, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Alert.id).subquery())) or 0
    newest = (Alert.last_seen_at.desc(), Alert.id.desc())
    if order is AlertOrder.SEVERITY:
        rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=Alert.severity, else_=len(SEVERITIES))
        query = query.order_by(rank, *newest)
    else:
        query = query.order_by(*newest)
    return _rows(session.execute(query.limit(limit).offset(offset))), total


def alerts_page(session: Session, scope: Scope, status: AlertStatus | None, severity: Severity | None,
                unit: str | None, page: int) -> Paged[AlertRow]:
    """A page of alerts, most severe then newest first."""
    rows, total = list_alerts(session, scope, status, unit, PAGE_SIZE, offset_of(page), severity, AlertOrder.SEVERITY)
    return paged(rows, total, page)


def recent_alerts(session: Session, scope: Scope, unit_path: str, limit: int = 8,
                  open_counts: Mapping[str, int] | None = None) -> list[AlertRow]:
    """The most severe, then newest, open alerts of a subtree (no count: the overview shows those).
    ``open_counts`` (the subtree's open alerts by severity, from :func:`alert_counts`) skips the
    severities it has none of.

    One severity at a time, each newest first from ix_alerts_status_severity_seen and stopping at
    ``limit``: sorting every open alert of a province by a severity rank cannot use an index."""
    found: list[AlertRow] = []
    for severity in (*SEVERITIES, None):
        wanted = limit - len(found)
        if wanted <= 0:
            break
        if open_counts is not None:
            wanted = min(wanted, _uncounted(open_counts) if severity is None else open_counts.get(severity, 0))
        if wanted > 0:
            found += _open_alerts(session, scope, unit_path, severity, wanted)
    return found


def _uncounted(open_counts: Mapping[str, int]) -> int:
    return sum(n for severity, n in open_counts.items() if severity not in SEVERITIES)


def _open_alerts(session: Session, scope: Scope, unit_path: str, severity: Severity | None,
                 limit: int) -> list[AlertRow]:
    """Newest first, the open alerts of ``severity`` (None: of a severity outside SEVERITIES)."""
    return _rows(session.execute(_listed(scope).where(
        Alert.status == AlertStatus.OPEN,
        Alert.severity.not_in(SEVERITIES) if severity is None else Alert.severity == severity,
        Unit.path.startswith(unit_path, autoescape=True))
        .order_by(Alert.last_seen_at.desc(), Alert.id.desc()).limit(limit)))
