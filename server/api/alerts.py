"""Alerts for people (``/api/v1/alerts``): the list and acknowledging one (officers and admins)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.orm import Session

from collector.intake.http import in_session
from collector.state import CollectorState
from collector.store.alerts import AlertRow, ack_alert, list_alerts
from collector.store.people import Person
from rules.lifecycle import AlertStatus
from server.api import require_officer
from server.params import Limit, Offset, RowId, UnitFilter


class AlertPage(msgspec.Struct, kw_only=True):
    items: list[AlertRow]
    total: int
    limit: int
    offset: int


class AckRequest(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


@get("/alerts", summary="Alerts in your unit's subtree, newest change first")
async def get_alerts(
    request: Request[Any, Any, Any],
    person: NamedDependency[Person],
    status: FromQuery[AlertStatus | None] = None,
    unit: FromQuery[UnitFilter] = None,
    limit: FromQuery[Limit] = 100,
    offset: FromQuery[Offset] = 0,
) -> AlertPage:
    def read(session: Session, _state: CollectorState) -> AlertPage:
        rows, total = list_alerts(session, person.scope, status, unit, limit, offset)
        return AlertPage(items=rows, total=total, limit=limit, offset=offset)

    return await in_session(request, read)


@post("/alerts/{alert_id:int}/ack", status_code=200, summary="Acknowledge an alert (officer or admin)")
async def post_alert_ack(request: Request[Any, Any, Any], person: NamedDependency[Person], alert_id: FromPath[RowId],
                         data: JSONBody[AckRequest]) -> AlertRow:
    def act(session: Session, state: CollectorState) -> AlertRow:
        row = ack_alert(session, person.scope, alert_id, person.name, data.comment, state.clock())
        require_officer(person)  # after the scope: 404 outside it comes before 403 for a viewer
        return row

    return await in_session(request, act)


ALERT_ROUTES = [get_alerts, post_alert_ack]
