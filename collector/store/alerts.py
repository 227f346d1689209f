"""Alerts: findings applied through the pure lifecycle (rules.lifecycle), history, acknowledging,
reading within a person's scope, and the notification outbox (events sent once)."""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Row, Select, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

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


def _state(alert: Alert | Row[Any]) -> AlertState:
    """The lifecycle state of a stored alert (an ORM object or a row of its columns)."""
    return AlertState(status=AlertStatus(alert.status), severity=_severity(alert.severity), count=alert.count,
                      first_seen=alert.first_seen_at, last_seen=alert.last_seen_at, opened_at=alert.opened_at,
                      resolved_at=alert.resolved_at, acked_at=alert.acked_at, acked_by=alert.acked_by,
                      ack_comment=alert.ack_comment, evidence=tuple(json.loads(alert.evidence or "[]")),
                      acked_evidence=None if alert.acked_evidence is None else tuple(json.loads(alert.acked_evidence)))


def _state_values(state: AlertState) -> dict[str, Any]:
    """The columns of an alert that hold ``state``."""
    return {"status": str(state.status), "severity": str(state.severity), "count": state.count,
            "first_seen_at": state.first_seen, "last_seen_at": state.last_seen, "opened_at": state.opened_at,
            "resolved_at": state.resolved_at, "acked_at": state.acked_at, "acked_by": state.acked_by,
            "ack_comment": state.ack_comment, "evidence": json.dumps(list(state.evidence), ensure_ascii=False),
            "acked_evidence": None if state.acked_evidence is None
            else json.dumps(list(state.acked_evidence), ensure_ascii=False)}


def _store_state(alert: Alert, state: AlertState) -> None:
    for name, value in _state_values(state).items():
        setattr(alert, name, value)


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
    return [(rule_id, change) for _, rule_id, change in apply_many_findings(session, [(subject, findings)], rules,
                                                                           now, only)]


def apply_many_findings(session: Session, judged: Sequence[tuple[Subject, Sequence[Finding]]],
                        rules: Mapping[str, Rule], now: datetime,
                        only: Collection[str] | None = None,
                        moments: Mapping[str, datetime] | None = None) -> list[tuple[str, str, Transition]]:
    """:func:`apply_findings` for many subjects (each once) together: their alerts read by one query
    per ``SUBJECTS_READ`` subjects, the changes written by one statement per kind (executemany).
    ``moments``: subject key -> when its findings were made, where not ``now`` (the reports of one
    batch, each judged at its own arrival). Returns the (subject key, rule id, transition) triples
    that changed something."""
    assert len({subject.key for subject, _ in judged}) == len(judged), "each subject once"
    session.flush()  # this session's pending ORM changes to alerts are read as they will be stored
    stored = _stored_alerts(session, [subject.key for subject, _ in judged], only)
    moments = moments or {}
    changes = [change for subject, findings in judged
               for change in _changes(subject, findings, stored.get(subject.key, {}),
                                      moments.get(subject.key, now), only)]
    _write_changes(session, changes, rules)
    return [(change.subject.key, change.rule_id, change.transition) for change in changes]


SUBJECTS_READ = 500
"""Subjects whose alerts one query reads (an IN list well below every backend's parameter limit)."""

_ALERTS, _EVENTS = Alert.__table__, AlertEvent.__table__
_STORED_COLUMNS = tuple(_ALERTS.c[name] for name in (
    "id", "subject", "rule_id", "machine_id", "status", "severity", "count", "first_seen_at", "last_seen_at",
    "opened_at", "resolved_at", "acked_at", "acked_by", "ack_comment", "evidence", "acked_evidence"))


@dataclass(frozen=True)
class _Stored:
    """An alert as the lifecycle needs it (its id and machine for the history and the incident register)."""

    id: int
    machine_id: int | None
    state: AlertState


@dataclass(eq=False)
class _Change:
    """One alert moved one step; ``alert_id`` None until a new alert is inserted."""

    subject: Subject
    rule_id: str
    alert_id: int | None
    machine_id: int | None
    state: AlertState
    transition: Transition
    firing: Finding | None
    """The firing finding whose title and evidence in words the alert takes (None: not firing)."""
    at: datetime
    """When the step was taken (its event's moment)."""


def _stored_alerts(session: Session, keys: Sequence[str],
                   only: Collection[str] | None) -> dict[str, dict[str, _Stored]]:
    """Subject key -> rule id -> its stored alert (of the ``only`` rules when given)."""
    found: dict[str, dict[str, _Stored]] = defaultdict(dict)
    query, rule_ids = (_ALERTS_OF, {}) if only is None else (_ALERTS_OF_RULES, {"rule_ids": list(only)})
    for start in range(0, len(keys), SUBJECTS_READ):
        for row in session.execute(query, {"subjects": keys[start:start + SUBJECTS_READ], **rule_ids}):
            found[row.subject][row.rule_id] = _Stored(row.id, row.machine_id, _state(row))
    return found


_ALERTS_OF = select(*_STORED_COLUMNS).where(_ALERTS.c.subject.in_(bindparam("subjects", expanding=True)))
_ALERTS_OF_RULES = _ALERTS_OF.where(_ALERTS.c.rule_id.in_(bindparam("rule_ids", expanding=True)))
"""Built once, the lists bound at execution: building ``in_(list)`` anew cost 0.17 ms a report."""


def _changes(subject: Subject, findings: Sequence[Finding], existing: Mapping[str, _Stored], now: datetime,
             only: Collection[str] | None) -> list[_Change]:
    """The lifecycle's step (rules.lifecycle.transition) for each alert of ``subject``, the ones that change."""
    by_rule = {f.rule_id: f for f in findings if only is None or f.rule_id in only}
    changes = []
    for rule_id in [*by_rule, *(r for r in existing if r not in by_rule)]:
        finding, alert = by_rule.get(rule_id), existing.get(rule_id)
        severity = finding.severity if finding else alert.state.severity if alert else Severity.INFO
        state, change = transition(alert.state if alert else None, finding.outcome if finding else None,
                                   severity, now, finding.evidence if finding else ())
        if change is Transition.NONE or state is None:
            continue
        firing = finding if finding is not None and finding.outcome is Outcome.FIRING else None
        changes.append(_Change(subject, rule_id, alert.id if alert else None,
                               alert.machine_id if alert else subject.machine_id, state, change, firing, now))
    return changes


def _write_changes(session: Session, changes: Sequence[_Change], rules: Mapping[str, Rule]) -> None:
    """New alerts inserted (their ids kept in the changes), changed ones updated, the history and
    the incident register written; ORM copies of the changed alerts in this session expired."""
    new = [change for change in changes if change.alert_id is None]
    stored = [change for change in changes if change.alert_id is not None]
    _insert_alerts(session, new, rules)
    _update_alerts(session, stored, rules)
    events = [_event(change) for change in changes if change.transition is not Transition.REPEATED]
    if events:
        session.execute(insert(_EVENTS), events)
    for change in changes:
        rule = rules.get(change.rule_id)
        if rule is not None and rule.incident:
            record_incident(session, _detached_alert(change, rules), change.transition, rule, change.at)


def _insert_alerts(session: Session, new: Sequence[_Change], rules: Mapping[str, Rule]) -> None:
    """One executemany, then the new ids read back by subject and rule (unique): RETURNING in the
    order of the rows is one statement per row on SQLite, six times the cost."""
    if not new:
        return
    session.execute(insert(_ALERTS), [{**_values(change, rules), "rule_id": change.rule_id,
                                       "subject": change.subject.key, "machine_id": change.subject.machine_id}
                                      for change in new])
    keys = list({change.subject.key for change in new})
    ids: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), SUBJECTS_READ):
        ids.update(((subject, rule_id), alert_id) for alert_id, subject, rule_id in session.execute(
            select(_ALERTS.c.id, _ALERTS.c.subject, _ALERTS.c.rule_id)
            .where(_ALERTS.c.subject.in_(keys[start:start + SUBJECTS_READ]))))
    for change in new:
        change.alert_id = ids[(change.subject.key, change.rule_id)]


def _update_alerts(session: Session, changed: Sequence[_Change], rules: Mapping[str, Rule]) -> None:
    """One executemany per set of columns (firing alerts take their description too)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for change in changed:
        values = {**_values(change, rules), "alert_id": change.alert_id}
        by_columns[tuple(values)].append(values)
    for rows in by_columns.values():
        session.execute(update(_ALERTS).where(_ALERTS.c.id == bindparam("alert_id")), rows)
    for change in changed:
        loaded = session.identity_map.get(identity_key(Alert, change.alert_id))
        if loaded is not None:
            session.expire(loaded)


_REPEATED_COLUMNS = ("count", "last_seen_at", "severity", "evidence")
"""What a repeat changes of an alert (rules.lifecycle.transition): the rest stays as stored."""


def _values(change: _Change, rules: Mapping[str, Rule]) -> dict[str, Any]:
    values = {**_state_values(change.state), "unit_id": change.subject.unit_id}
    if change.transition is Transition.REPEATED:
        values = {name: values[name] for name in (*_REPEATED_COLUMNS, "unit_id")}
    if change.firing is not None:
        values.update(_description(change.firing, rules.get(change.rule_id)))
    return values


def _description(finding: Finding, rule: Rule | None) -> dict[str, str]:
    """Title (of the level fired), evidence in words and remediation, as people read them."""
    words = evidence_words(finding.read)
    return {"title": rule.title_for(finding.severity).both() if rule else finding.rule_id,
            "detail": words.both() if words.vi else finding.reason,
            "remediation": rule.remediation.both() if rule else ""}


def _event(change: _Change) -> dict[str, Any]:
    return {"alert_id": change.alert_id, "at": change.at, "transition": str(change.transition),
            "status": str(change.state.status), "severity": str(change.state.severity), "actor": None,
            "comment": None, "notify": change.transition in NOTIFY_ON}


def _detached_alert(change: _Change, rules: Mapping[str, Rule]) -> Alert:
    """The changed alert as the incident register reads it (not added to the session: stored above)."""
    return Alert(id=change.alert_id, rule_id=change.rule_id, subject=change.subject.key,
                 machine_id=change.machine_id, **_values(change, rules))


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
