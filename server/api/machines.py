"""Machines for people (``/api/v1/machines``): the list and one machine with its latest report."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.intake.http import in_session
from collector.state import CollectorState
from collector.store.machine_moves import move_machine
from collector.store.machines import MachineSummary, get_machine, list_machines
from collector.store.people import Person
from server.api import require_officer
from server.params import Limit, Offset, RowId, UnitFilter


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
    unit: FromQuery[UnitFilter] = None,
    limit: FromQuery[Limit] = 100,
    offset: FromQuery[Offset] = 0,
) -> MachinePage:
    def read(session: Session, _state: CollectorState) -> MachinePage:
        rows, total = list_machines(session, person.scope, unit, limit, offset)
        return MachinePage(items=rows, total=total, limit=limit, offset=offset)

    return await in_session(request, read)


@get("/machines/{machine_id:int}", summary="One machine: latest state and last seen")
async def get_machine_detail(
    request: Request[Any, Any, Any], person: NamedDependency[Person], machine_id: FromPath[RowId]
) -> MachineDetail:
    row, state_json = await in_session(request, lambda session, _state: get_machine(session, person.scope,
                                                                                      machine_id))
    report = msgspec.json.decode(state_json, type=Report) if state_json else None
    return MachineDetail(**msgspec.structs.asdict(row), state=report)


class MoveRequest(msgspec.Struct, forbid_unknown_fields=True):
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    """The code of the unit the machine belongs to now (inside your subtree)."""


@post("/machines/{machine_id:int}/move", status_code=200,
      summary="Move a machine to another unit of your subtree (officer or admin of both units)")
async def post_machine_move(request: Request[Any, Any, Any], person: NamedDependency[Person],
                            machine_id: FromPath[RowId], data: JSONBody[MoveRequest]) -> MachineSummary:
    def act(session: Session, state: CollectorState) -> MachineSummary:
        get_machine(session, person.scope, machine_id)  # 404 outside the scope comes before 403 for a viewer
        require_officer(person)
        return move_machine(session, person.scope, machine_id, data.unit, person.name, state.clock())

    return await in_session(request, act)


MACHINE_ROUTES = [get_machines, get_machine_detail, post_machine_move]
