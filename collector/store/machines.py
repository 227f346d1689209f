"""Reading machines within a person's scope; outside the scope looks exactly like absent."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.scope import Scope
from collector.store.units import get_unit


class MachineSummary(msgspec.Struct, kw_only=True):
    """A machine as lists show it (no report body); the API returns it as is."""

    id: int
    hostname: str
    unit_code: str
    unit_name: str
    role: str
    os_name: str
    last_seen_at: datetime | None
    """Collector clock of the newest report received."""
    last_collected_at: datetime | None
    """Agent clock of the report shown as the current state."""
    report_sequence: int


def _rows(scope: Scope) -> Select[tuple[Machine, Unit]]:
    return select(Machine, Unit).join(Unit, Machine.unit_id == Unit.id).where(scope.units_clause())


def _to_row(machine: Machine, unit: Unit) -> MachineSummary:
    return MachineSummary(id=machine.id, hostname=machine.hostname, unit_code=unit.code, unit_name=unit.name,
                      role=machine.role, os_name=machine.os_name, last_seen_at=machine.last_seen_at,
                      last_collected_at=machine.last_collected_at, report_sequence=machine.state_sequence)


def list_machines(session: Session, scope: Scope, unit_code: str | None = None, limit: int = 100,
                  offset: int = 0) -> tuple[list[MachineSummary], int]:
    """Machines in scope (and in ``unit_code``'s subtree when given), by hostname; plus the total."""
    query = _rows(scope)
    if unit_code is not None:
        unit = get_unit(session, unit_code, scope)
        query = query.where(Unit.path.startswith(unit.path, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.execute(query.order_by(Machine.hostname, Machine.id).limit(limit).offset(offset))
    return [_to_row(machine, unit) for machine, unit in page], total


def get_machine(session: Session, scope: Scope, machine_id: int) -> tuple[MachineSummary, str | None]:
    """One machine in scope and its latest report JSON (None before its first report)."""
    found = session.execute(_rows(scope).where(Machine.id == machine_id)).first()
    if found is None:
        raise NotFound(f"no machine {machine_id}", code="machine_not_found")
    machine, unit = found
    return _to_row(machine, unit), machine.state_json
