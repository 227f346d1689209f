"""The incident register for people (``/api/v1/incidents``): your subtree's incidents of a year
(what, where, when, effect, handling, outcome), scoped like every route."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from collector.errors import InvalidInput
from collector.intake.http import in_session
from collector.store.incidents import IncidentRow, list_incidents
from collector.store.people import Person
from collector.store.unit_context import period_bounds, report_year
from server.params import UnitFilter, Year


@get("/incidents", summary="Incidents of your unit's subtree detected in a year (Vietnam time; default: this year)")
async def get_incidents(request: Request[Any, Any, Any], person: NamedDependency[Person],
                        unit: FromQuery[UnitFilter] = None, period: FromQuery[Year] = None) -> list[IncidentRow]:
    def read(session: Any, state: Any) -> list[IncidentRow]:
        year = period or report_year(state.clock())
        if not 2000 <= year <= 2100:
            raise InvalidInput(f"period {year}: a year from 2000 to 2100", code="invalid_period")
        return list_incidents(session, person.scope, unit, *period_bounds(year))

    return await in_session(request, read)


INCIDENT_ROUTES = [get_incidents]
