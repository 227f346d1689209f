"""The officials register for people (``/api/v1/officials``): your subtree's officials with their
assigned machine, and importing a unit's list (officers and admins; the rows as JSON, the same
import as ``canhgac officials import``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from collector.intake.http import in_session
from collector.officials_file import MAX_OFFICIALS, OfficialInput
from collector.store.officials import ImportSummary, OfficialRow, import_officials, list_officials
from collector.store.people import Person
from server.api import require_officer
from server.params import UnitFilter


class OfficialsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    unit: str
    officials: Annotated[list[OfficialInput], msgspec.Meta(min_length=1, max_length=MAX_OFFICIALS)]
    retire_missing: bool = False


@get("/officials", summary="The officials register of your unit's subtree (with each one's assigned machine)")
async def get_officials(request: Request[Any, Any, Any], person: NamedDependency[Person],
                        unit: FromQuery[UnitFilter] = None, retired: FromQuery[bool] = False) -> list[OfficialRow]:
    return await in_session(request, lambda session, _state: list_officials(session, person.scope, unit, retired))


@post("/officials", status_code=200, summary="Import a unit's officials list (officer or admin)")
async def post_officials(request: Request[Any, Any, Any], person: NamedDependency[Person],
                         data: JSONBody[OfficialsIn]) -> ImportSummary:
    require_officer(person)
    return await in_session(request, lambda session, state: import_officials(
        session, data.unit, data.officials, state.clock(), person.name, person.scope, data.retire_missing))


OFFICIAL_ROUTES = [get_officials, post_officials]
