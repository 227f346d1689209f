"""Moving a machine to another unit: what ``canhgac machines move`` and ``POST /machines/{id}/move``
do, for a person whose scope covers both units (the only way a machine changes unit: an enrollment
token never moves one, collector.store.enrollment).

The machine takes with it what is filed under its unit: its alerts, its readiness row and its
installed products (so the figures and the scoping follow at once), and the audit log gets an
entry in each of the two units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models.alerts import Alert
from collector.models.machines import Machine
from collector.models.products import MachineProduct
from collector.models.readiness import MachineReadiness
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.machines import MachineSummary, get_machine
from collector.store.scope import Scope
from collector.store.units import get_unit


def move_machine(session: Session, scope: Scope, machine_id: int, unit_code: str, actor: str,
                 now: datetime) -> MachineSummary:
    """Move ``machine_id`` into ``unit_code``; both inside ``scope`` (NotFound otherwise, exactly as
    when absent). Moving a machine to the unit it is in changes nothing."""
    row, _state = get_machine(session, scope, machine_id)
    target = get_unit(session, unit_code, scope)
    source = session.scalar(select(Unit).join(Machine, Machine.unit_id == Unit.id).where(Machine.id == machine_id))
    if source is None:
        raise NotFound(f"no machine {machine_id}", code="machine_not_found")
    if source.id == target.id:
        return row
    session.execute(update(Machine).where(Machine.id == machine_id).values(unit_id=target.id))
    session.execute(update(Alert).where(Alert.machine_id == machine_id).values(unit_id=target.id))
    session.execute(update(MachineReadiness).where(MachineReadiness.machine_id == machine_id)
                    .values(unit_id=target.id, unit_path=target.path))
    session.execute(update(MachineProduct).where(MachineProduct.machine_id == machine_id)
                    .values(unit_id=target.id))
    what = f"{row.hostname} moved from {source.code} to {target.code}"
    for unit_id in (source.id, target.id):
        record_audit(session, actor, AuditAction.MACHINE_MOVED, now, f"machine:{machine_id}", unit_id, what)
    session.flush()
    moved, _state = get_machine(session, scope, machine_id)
    return moved
