"""Readiness for people (``/api/v1/readiness``): a unit's indicators with one row per child unit,
and the explanation of one figure. Scoped to the caller's subtree (outside looks like absent)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy.orm import Session

from collector.errors import InvalidInput
from collector.intake.http import in_session
from collector.state import CollectorState
from collector.store.people import Person
from collector.store.readiness_report import Explanation, ReadinessTable, explain, readiness_table
from rules.indicators import IndicatorError
from server.params import UnitFilter, Word


@get("/readiness", summary="Readiness indicators of a unit and of each child unit (n/d, %, target, trend)")
async def get_readiness(request: Request[Any, Any, Any], person: NamedDependency[Person],
                        unit: FromQuery[UnitFilter] = None) -> ReadinessTable:
    return await in_session(request, lambda session, state: readiness_table(session, person.scope, unit,
                                                                              state.clock(), state.rules.indicators))


@get("/readiness/explain", summary="What one readiness figure leaves out of its numerator, and why")
async def get_readiness_explain(request: Request[Any, Any, Any], person: NamedDependency[Person],
                                indicator: FromQuery[Word], unit: FromQuery[UnitFilter] = None) -> Explanation:
    def read(session: Session, state: CollectorState) -> Explanation:
        try:
            return explain(session, person.scope, unit, indicator, state.clock(), state.rules.indicators)
        except IndicatorError as exc:
            raise InvalidInput(str(exc), code="unknown_indicator") from exc

    return await in_session(request, read)


READINESS_ROUTES = [get_readiness, get_readiness_explain]
