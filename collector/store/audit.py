"""The audit log: appending what was done (``record_audit``, inside the transaction of the change
it records, so a change and its entry land together or not at all) and reading it within a scope.
Entries are never updated or deleted by canhgac."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models.audit import AuditEntry
from collector.models.units import Unit
from collector.store.paging import PAGE_SIZE, Paged, offset_of, paged
from collector.store.scope import Scope


class AuditAction(enum.StrEnum):
    """What was done. Areas add their actions here."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    LICENCE_ADDED = "licence_added"
    LICENCE_EDITED = "licence_edited"
    LICENCE_DELETED = "licence_deleted"
    SUBNET_SAVED = "subnet_saved"
    LAN_DEVICE_KNOWN = "lan_device_known"
    SNMP_DEVICE_ADDED = "snmp_device_added"
    UNIT_ADDED = "unit_added"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    USER_ADDED = "user_added"
    API_TOKEN_ISSUED = "api_token_issued"
    MACHINE_ENROLLED = "machine_enrolled"
    MACHINE_REENROLLED = "machine_reenrolled"
    FILE_IMPORTED = "file_imported"
    FILE_REFUSED = "file_refused"
    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    SESSIONS_ENDED = "sessions_ended"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    API_TOKEN_REVOKED = "api_token_revoked"
    MACHINE_MOVED = "machine_moved"
    ENROLLMENT_REFUSED = "enrollment_refused"
    AGENT_KEYS_SEALED = "agent_keys_sealed"
    OFFICIAL_ADDED = "official_added"
    OFFICIALS_IMPORTED = "officials_imported"
    OFFICIAL_EDITED = "official_edited"
    OFFICIAL_RETIRED = "official_retired"
    MACHINE_ASSIGNED = "machine_assigned"
    MACHINE_USAGE_SET = "machine_usage_set"
    AGENTLESS_DECLARED = "agentless_declared"
    INCIDENT_UPDATED = "incident_updated"
    UNIT_RENAMED = "unit_renamed"
    UNIT_MOVED = "unit_moved"
    UNIT_CHANGED = "unit_changed"
    """Staff count, kind or official code (``canhgac units set``)."""
    UNIT_MERGED = "unit_merged"
    UNIT_RETIRED = "unit_retired"
    UNIT_SETTINGS_CHANGED = "unit_settings_changed"
    """Agent settings of a unit (``canhgac units config``)."""


class AuditRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    unit_code: str | None
    detail: str


def record_audit(session: Session, actor: str, action: AuditAction, now: datetime, subject: str = "",
                 unit_id: int | None = None, detail: str = "") -> None:
    """Append one entry (committed with the caller's transaction)."""
    session.add(AuditEntry(at=now, actor=actor, action=str(action), subject=subject, unit_id=unit_id,
                           detail=detail))


def list_audit(session: Session, scope: Scope, since: datetime | None = None, limit: int = 1000,
               offset: int = 0) -> list[AuditRow]:
    """Entries of units in scope, newest first; entries of no unit only for an unscoped admin."""
    query = (select(AuditEntry, Unit.code).outerjoin(Unit, AuditEntry.unit_id == Unit.id)
             .where(scope.units_clause()))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    rows = session.execute(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset))
    return [AuditRow(id=e.id, at=e.at, actor=e.actor, action=e.action, subject=e.subject, unit_code=code,
                     detail=e.detail) for e, code in rows]


def audit_page(session: Session, scope: Scope, since: datetime | None, page: int) -> Paged[AuditRow]:
    """A page of :func:`list_audit` with the count of every entry it pages through."""
    query = select(func.count()).select_from(AuditEntry).outerjoin(Unit, AuditEntry.unit_id == Unit.id) \
        .where(scope.units_clause())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    total = session.scalar(query) or 0
    return paged(list_audit(session, scope, since, PAGE_SIZE, offset_of(page)), total, page)
