"""The audit log for admins (``/api/v1/audit``): newest first, within the admin's subtree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from collector.intake.http import in_session
from collector.store.audit import AuditRow, list_audit
from collector.store.people import Person
from server.api.users import require_admin
from server.params import Limit, Offset


@get("/audit", summary="The audit log of your subtree, newest first (admin)")
async def get_audit(
    request: Request[Any, Any, Any],
    person: NamedDependency[Person],
    since: FromQuery[datetime | None] = None,
    limit: FromQuery[Limit] = 100,
    offset: FromQuery[Offset] = 0,
) -> list[AuditRow]:
    require_admin(person)
    return await in_session(request, lambda session, _state: list_audit(session, person.scope, since, limit, offset))


AUDIT_ROUTES = [get_audit]
