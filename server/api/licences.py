"""The licence register for people (``/api/v1/licences``): the entries of your subtree, and
registering one (officers and admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from agent.wire.bounds import NO_NUL, Count, ShortText
from collector.intake.http import in_session
from collector.store.licences import LicenceRow, add_licence, list_licences
from collector.store.people import Person
from server.api import require_officer

LicenceText = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=NO_NUL)]


class LicenceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    product: LicenceText
    match: LicenceText
    seats: Count
    expires: date
    unit: ShortText
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


@get("/licences", summary="The licence register of your unit's subtree")
async def get_licences(request: Request[Any, Any, Any], person: NamedDependency[Person]) -> list[LicenceOut]:
    return await in_session(request, lambda session, _state: [_licence(r) for r in list_licences(session,
                                                                                                   person.scope)])


@post("/licences", status_code=201, summary="Register a licence for a unit of your subtree (officer or admin)")
async def post_licence(request: Request[Any, Any, Any], person: NamedDependency[Person],
                       data: JSONBody[LicenceIn]) -> LicenceOut:
    require_officer(person)
    return await in_session(request, lambda session, state: _licence(add_licence(
        session, data.product, data.match, data.seats, data.expires, data.unit, state.clock(), data.starts,
        person.scope, actor=person.name)))


LICENCE_ROUTES = [get_licences, post_licence]
