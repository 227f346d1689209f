"""Machines for people (``/api/v1/machines``): the list and one machine with its latest report."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.intake.http import in_session
from collector.state import CollectorState
from collector.store.machines import MachineSummary, get_machine, list_machines
from collector.store.people import Person


class MachinePage(msgspec.Struct, kw_only=True):
    items: list[MachineSummary]
    total: int
    limit: int
    offset: int


class MachineDetail(MachineSummary, kw_only=True):
    state: Report | None
    """The latest report, as the agent sent it; null before the first one."""


@get("/machines", summary="Machines in your unit's subtree")
async def get_machines(
    request: Request[Any, Any, Any],
    person: NamedDependency[Person],
    unit: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> MachinePage:
    def read(session: Session, _state: CollectorState) -> MachinePage:
        rows, total = list_machines(session, person.scope, unit, limit, offset)
        return MachinePage(items=rows, total=total, limit=limit, offset=offset)

    return await in_session(request, read)


@get("/machines/{machine_id:int}", summary="One machine: latest state and last seen")
async def get_machine_detail(
    request: Request[Any, Any, Any], person: NamedDependency[Person], machine_id: FromPath[int]
) -> MachineDetail:
    row, state_json = await in_session(request, lambda session, _state: get_machine(session, person.scope,
                                                                                      machine_id))
    report = msgspec.json.decode(state_json, type=Report) if state_json else None
    return MachineDetail(**msgspec.structs.asdict(row), state=report)


MACHINE_ROUTES = [get_machines, get_machine_detail]
