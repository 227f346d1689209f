"""People's API for alerts and the licence register; every handler is scoped to the caller's
unit subtree (outside looks exactly like absent: 404). Acting needs an officer or an admin."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from anyio import to_thread
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from collector.errors import Forbidden
from collector.intake.http import CollectorState
from collector.models.people import PersonRole
from collector.store.alerts import AlertRow, ack_alert, list_alerts
from collector.store.licences import LicenceRow, add_licence, list_licences
from collector.store.people import Person


class AlertPage(msgspec.Struct, kw_only=True):
    items: list[AlertRow]
    total: int
    limit: int
    offset: int


class AckRequest(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class LicenceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    product: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    match: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    seats: Annotated[int, msgspec.Meta(ge=0)]
    expires: date
    unit: str
    starts: date | None = None


class LicenceOut(msgspec.Struct, kw_only=True):
    id: int
    product: str
    match: str
    seats: int
    unit_code: str
    starts: date | None
    expires: date


def _licence(row: LicenceRow) -> LicenceOut:
    return LicenceOut(id=row.id, product=row.product, match=row.pattern, seats=row.seats, unit_code=row.unit_code,
                      starts=row.starts_on, expires=row.expires_on)


def _state(request: Request[Any, Any, Any]) -> CollectorState:
    state: CollectorState = request.app.state.collector
    return state


def _may_act(person: Person) -> None:
    if person.role not in (PersonRole.OFFICER, PersonRole.ADMIN):
        raise Forbidden("only an officer or an admin may do this (you are a viewer)", code="role_forbidden")


@get("/alerts", summary="Alerts in your unit's subtree, newest change first")
async def get_alerts(
    request: Request[Any, Any, Any],
    person: NamedDependency[Person],
    status: FromQuery[Literal["open", "acknowledged", "resolved"] | None] = None,
    unit: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> AlertPage:
    state = _state(request)

    def read() -> AlertPage:
        with state.db.session() as session:
            rows, total = list_alerts(session, person.scope, status, unit, limit, offset)
        return AlertPage(items=rows, total=total, limit=limit, offset=offset)

    return await to_thread.run_sync(read)


@post("/alerts/{alert_id:int}/ack", status_code=200, summary="Acknowledge an alert (officer or admin)")
async def post_alert_ack(request: Request[Any, Any, Any], person: NamedDependency[Person], alert_id: FromPath[int],
                         data: JSONBody[AckRequest]) -> AlertRow:
    state = _state(request)

    def act() -> AlertRow:
        with state.db.session() as session:
            row = ack_alert(session, person.scope, alert_id, person.name, data.comment, state.clock())
            _may_act(person)
            return row

    return await to_thread.run_sync(act)


@get("/licences", summary="The licence register of your unit's subtree")
async def get_licences(request: Request[Any, Any, Any], person: NamedDependency[Person]) -> list[LicenceOut]:
    state = _state(request)

    def read() -> list[LicenceOut]:
        with state.db.session() as session:
            return [_licence(r) for r in list_licences(session, person.scope)]

    return await to_thread.run_sync(read)


@post("/licences", status_code=201, summary="Register a licence for a unit of your subtree (officer or admin)")
async def post_licence(request: Request[Any, Any, Any], person: NamedDependency[Person],
                       data: JSONBody[LicenceIn]) -> LicenceOut:
    state = _state(request)

    def act() -> LicenceOut:
        _may_act(person)
        with state.db.session() as session:
            return _licence(add_licence(session, data.product, data.match, data.seats, data.expires, data.unit,
                                        state.clock(), data.starts, person.scope))

    return await to_thread.run_sync(act)


ALERT_ROUTES = [get_alerts, post_alert_ack, get_licences, post_licence]
