"""The audit log page (``/audit``, admins only): what people and machines did that changed
anything, newest first, within the admin's subtree (entries of no unit only for an admin with no
unit), with the period to show."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from collector.errors import Forbidden
from collector.models.people import PersonRole
from collector.store.audit import AuditAction, audit_page
from server.web.context import Page, PageNumber


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    return message


ACTION_LABELS = {
    AuditAction.SIGN_IN: N_("Signed in"),
    AuditAction.SIGN_IN_FAILED: N_("Sign-in refused"),
    AuditAction.SIGNED_OUT: N_("Signed out"),
    AuditAction.ALERT_ACKNOWLEDGED: N_("Alert acknowledged"),
    AuditAction.LICENCE_ADDED: N_("Licence registered"),
    AuditAction.UNIT_ADDED: N_("Unit added"),
    AuditAction.TOKEN_CREATED: N_("Enrollment token created"),
    AuditAction.TOKEN_REVOKED: N_("Enrollment token revoked"),
    AuditAction.USER_ADDED: N_("User added"),
    AuditAction.USER_DISABLED: N_("User disabled"),
    AuditAction.USER_ENABLED: N_("User enabled"),
    AuditAction.PASSWORD_CHANGED: N_("Password changed"),
    AuditAction.SESSIONS_ENDED: N_("Sessions ended"),
    AuditAction.API_TOKEN_ISSUED: N_("API token issued"),
    AuditAction.API_TOKEN_REVOKED: N_("API token revoked"),
    AuditAction.MACHINE_ENROLLED: N_("Computer enrolled"),
    AuditAction.MACHINE_REENROLLED: N_("Computer enrolled again (new key)"),
    AuditAction.ENROLLMENT_REFUSED: N_("Enrollment refused (computer of another unit)"),
    AuditAction.MACHINE_MOVED: N_("Computer moved to another unit"),
    AuditAction.FILE_IMPORTED: N_("File imported"),
    AuditAction.FILE_REFUSED: N_("File refused at import"),
    AuditAction.AGENT_KEYS_SEALED: N_("Agent keys sealed"),
    AuditAction.OFFICIAL_ADDED: N_("Official added"),
    AuditAction.OFFICIALS_IMPORTED: N_("Officials register imported"),
    AuditAction.OFFICIAL_EDITED: N_("Official edited"),
    AuditAction.OFFICIAL_RETIRED: N_("Official retired"),
    AuditAction.MACHINE_ASSIGNED: N_("Computer assigned to an official"),
    AuditAction.MACHINE_USAGE_SET: N_("Computer's use set (personal, shared)"),
    AuditAction.AGENTLESS_DECLARED: N_("Computer without agent declared"),
    AuditAction.INCIDENT_UPDATED: N_("Incident updated"),
    AuditAction.UNIT_RENAMED: N_("Unit renamed"),
    AuditAction.UNIT_MOVED: N_("Unit moved under another unit"),
    AuditAction.UNIT_CHANGED: N_("Unit's details changed"),
    AuditAction.UNIT_MERGED: N_("Units merged"),
    AuditAction.UNIT_RETIRED: N_("Unit retired"),
    AuditAction.UNIT_SETTINGS_CHANGED: N_("Unit's agent settings changed"),
}
"""Every action's name on the page (a missing one shows its code; tests/web/test_audit_page.py
fails on it)."""


class Period(enum.StrEnum):
    DAY = "1d"
    WEEK = "7d"
    MONTH = "30d"
    YEAR = "365d"
    ALL = "all"


PERIOD_DAYS = {Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 30, Period.YEAR: 365}


@get("/audit", sync_to_thread=True)
def audit(page: NamedDependency[Page], since: FromQuery[Period] = Period.MONTH, p: PageNumber = 1) -> Response[Any]:
    if page.me.role is not PersonRole.ADMIN:
        raise Forbidden("only an admin may read the audit log", code="role_forbidden")
    start = page.state.clock() - timedelta(days=PERIOD_DAYS[since]) if since in PERIOD_DAYS else None
    with page.db() as session:
        result = audit_page(session, page.me.scope, start, p)
    return page.render("audit.html", result=result, since=str(since), periods=list(Period), labels=ACTION_LABELS)


AUDIT_ROUTES = [audit]
