"""The people's JSON API (``/api/v1``): every handler is scoped to the caller's unit subtree."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from agent.wire.schema import Report
from collector.intake.http import collector_state
from collector.store.machines import MachineSummary, get_machine, list_machines
from collector.store.people import Person
from server.api.auth import current_person


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
    state = collector_state(request)

    def read() -> MachinePage:
        with state.db.session() as session:
            rows, total = list_machines(session, person.scope, unit, limit, offset)
        return MachinePage(items=rows, total=total, limit=limit, offset=offset)

    return await to_thread.run_sync(read)


@get("/machines/{machine_id:int}", summary="One machine: latest state and last seen")
async def get_machine_detail(
    request: Request[Any, Any, Any], person: NamedDependency[Person], machine_id: FromPath[int]
) -> MachineDetail:
    state = collector_state(request)

    def read() -> MachineDetail:
        with state.db.session() as session:
            row, state_json = get_machine(session, person.scope, machine_id)
        report = msgspec.json.decode(state_json, type=Report) if state_json else None
        return MachineDetail(**msgspec.structs.asdict(row), state=report)

    return await to_thread.run_sync(read)


PEOPLE_DEPENDENCIES = {"person": Provide(current_person)}
PEOPLE_ROUTES = [get_machines, get_machine_detail]
