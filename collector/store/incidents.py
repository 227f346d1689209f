"""The incident register: each opening of an alert of an incident rule (rules marked
``incident: true``: malware, the offline PC connected or on the LAN, tampering) becomes an
incident, acknowledged and cleared with its alert, closed by an officer with its effect, handling
and outcome; counted per unit and period for readiness and exported for the report Law 116/2025
asks of a reporting unit (what, where, when, effect, handling)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from collector.errors import InvalidInput, NotFound
from collector.models.alerts import Alert
from collector.models.incidents import Incident
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import Scope
from collector.store.units import get_unit
from rules.lifecycle import Transition
from rules.model import Rule

_OPENS = frozenset({Transition.OPENED, Transition.REOPENED, Transition.NEW_EVIDENCE})


def record_incident(session: Session, alert: Alert, change: Transition, rule: Rule | None, now: datetime) -> None:
    """The alert's change in the register (alert flushed: it has its id). A new detection
    (NEW_EVIDENCE) is an incident of its own; an escalation updates the open one."""
    if rule is None or not rule.incident:
        return
    if change in _OPENS:
        session.add(Incident(alert_id=alert.id, rule_id=alert.rule_id, unit_id=alert.unit_id,
                             machine_id=alert.machine_id, subject=alert.subject, title=alert.title,
                             severity=alert.severity, evidence=alert.detail, detected_at=now))
        return
    current = _open_incident(session, alert.id)
    if current is None:
        return
    if change is Transition.ESCALATED:
        current.severity, current.title, current.evidence = alert.severity, alert.title, alert.detail
    elif change is Transition.RESOLVED:
        current.cleared_at = now


def acknowledge_incident(session: Session, alert_id: int, who: str, now: datetime) -> None:
    current = _open_incident(session, alert_id)
    if current is not None and current.acknowledged_at is None:
        current.acknowledged_at, current.acknowledged_by = now, who


def _open_incident(session: Session, alert_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.alert_id == alert_id, Incident.closed_at.is_(None))
                          .order_by(Incident.id.desc()).limit(1))


class IncidentRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    alert_id: int
    rule_id: str
    unit_code: str
    unit_name: str
    machine_id: int | None
    hostname: str | None
    title: str
    """Vietnamese / English."""
    severity: str
    evidence: str
    """What was seen, in words (Vietnamese / English)."""
    detected_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    cleared_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    effect: str
    handling: str
    outcome: str


def _listed(scope: Scope) -> Select[Incident, str, str, str | None]:
    return (select(Incident, Unit.code, Unit.name, Machine.hostname).join(Unit, Incident.unit_id == Unit.id)
            .outerjoin(Machine, Incident.machine_id == Machine.id).where(scope.units_clause()))


def _row(incident: Incident, code: str, name: str, hostname: str | None) -> IncidentRow:
    return IncidentRow(id=incident.id, alert_id=incident.alert_id, rule_id=incident.rule_id, unit_code=code,
                       unit_name=name, machine_id=incident.machine_id, hostname=hostname, title=incident.title,
                       severity=incident.severity, evidence=incident.evidence, detected_at=incident.detected_at,
                       acknowledged_at=incident.acknowledged_at, acknowledged_by=incident.acknowledged_by,
                       cleared_at=incident.cleared_at, closed_at=incident.closed_at, closed_by=incident.closed_by,
                       effect=incident.effect, handling=incident.handling, outcome=incident.outcome)


def list_incidents(session: Session, scope: Scope, unit_code: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> list[IncidentRow]:
    """Incidents detected in [since, until) in scope (and ``unit_code``'s subtree), oldest first."""
    query = _listed(scope)
    if unit_code:
        query = query.where(Unit.path.startswith(get_unit(session, unit_code, scope).path, autoescape=True))
    if since is not None:
        query = query.where(Incident.detected_at >= since)
    if until is not None:
        query = query.where(Incident.detected_at < until)
    return [_row(*found) for found in session.execute(query.order_by(Incident.detected_at, Incident.id))]


def get_incident(session: Session, scope: Scope, incident_id: int) -> IncidentRow:
    found = session.execute(_listed(scope).where(Incident.id == incident_id)).first()
    if found is None:
        raise NotFound(f"no incident {incident_id}", code="incident_not_found")
    return _row(*found)


def update_incident(session: Session, scope: Scope, incident_id: int, now: datetime, actor: str, *,
                    effect: str | None = None, handling: str | None = None, outcome: str | None = None,
                    close: bool = False) -> IncidentRow:
    """Write what it affected, what was done and how it ended; ``close`` closes it (an outcome is
    needed to close)."""
    get_incident(session, scope, incident_id)
    incident = session.get(Incident, incident_id)
    assert incident is not None
    for name, value in (("effect", effect), ("handling", handling), ("outcome", outcome)):
        if value is not None:
            if len(value) > 4000:
                raise InvalidInput(f"{name}: at most 4000 characters", code="text_too_long")
            setattr(incident, name, value.strip())
    if close:
        if not incident.outcome:
            raise InvalidInput("cần ghi kết quả xử lý trước khi đóng / write the outcome before closing",
                               code="outcome_required")
        if incident.closed_at is None:
            incident.closed_at, incident.closed_by = now, actor
    record_audit(session, actor, AuditAction.INCIDENT_UPDATED, now, f"incident:{incident.id}", incident.unit_id,
                 "closed" if close else "updated")
    session.flush()
    return get_incident(session, scope, incident_id)


def incident_counts(session: Session, unit_paths: Mapping[int, str], since: datetime,
                    until: datetime) -> dict[int, int]:
    """Per unit id of ``unit_paths`` (id -> path): incidents of its subtree detected in [since, until)."""
    rows = session.execute(select(Unit.path, func.count()).join(Incident, Incident.unit_id == Unit.id)
                           .where(Incident.detected_at >= since, Incident.detected_at < until).group_by(Unit.path))
    by_path = list(rows)
    return {unit_id: sum(n for p, n in by_path if p.startswith(path)) for unit_id, path in unit_paths.items()}
