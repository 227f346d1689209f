"""Merging units (sáp nhập): everything tied to a merged-away unit goes to the survivor, and the
merged-away unit stays as a record (``ended_on``, ``merged_into_id``) so old reports, exports and the
audit log still name it.

What moves is found from the models' metadata, not listed here: every table with a ``unit_id``
column referring to ``units`` has its rows of the source moved to the survivor (and its
``unit_path``, when it has one, set to the survivor's path), except

- the tables in :data:`KEPT`, whose rows are history that names the unit as it was (the audit log);
- the tables in :data:`HANDLERS`, which need more than a new unit id (alerts, the readiness trend)
  or another way to find the rows (installed products, found by machine).

So a table another area adds with a ``unit_id`` (officials, incidents...) moves with a merge without
a line here; put it in KEPT or HANDLERS only when moving its rows is wrong. A row that cannot move
because the survivor already has one with the same unique key (a unit's one dedicated line) stays
with the source and is counted in :attr:`MergeResult.left`.

Machines keep their ids, their agents and their report history (none of those tables has a
unit id), so agents go on reporting with the keys they have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Index, Table, UniqueConstraint, exists, func, insert, select, update
from sqlalchemy.orm import Session

from collector.errors import InvalidInput
from collector.models import metadata
from collector.models.alerts import Alert, AlertEvent
from collector.models.machines import Machine
from collector.models.products import MachineProduct
from collector.models.readiness import ReadinessSnapshot
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.reorganisation import live_unit, reparent
from collector.store.scope import EVERYTHING, Scope
from collector.store.settings import touch_settings
from collector.store.units import UnitRow, live_units, unit_row
from rules.lifecycle import AlertStatus, Transition

KEPT = frozenset({"audit_log", "unit_settings"})
"""Tables whose rows stay with the merged-away unit: the audit log (what was done, as it was) and the
unit's own agent settings (the survivor's settings, and its ancestors', apply to what it receives)."""


@dataclass
class MergeResult:
    survivor: UnitRow
    merged: list[UnitRow] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=dict)
    """Rows moved to the survivor, per table (sub-units re-parented under ``units``)."""
    left: dict[str, int] = field(default_factory=dict)
    """Rows that stayed with a source because the survivor has one with the same unique key."""
    staff_added: int = 0


def unit_tables() -> list[Table]:
    """Every table with a ``unit_id`` column referring to ``units`` (from the models' metadata)."""
    return [table for table in metadata.sorted_tables if "unit_id" in table.c
            and any(fk.column.table.name == "units" for fk in table.c.unit_id.foreign_keys)]


def merge_units(session: Session, sources: Sequence[str], into: str, on: date, now: datetime, actor: str,
                scope: Scope = EVERYTHING) -> MergeResult:
    """Merge each unit of ``sources`` into ``into`` (all live, in scope), ended on ``on``. One
    transaction (the caller's); raises NotFound/InvalidInput before changing anything it can check."""
    codes = list(dict.fromkeys(sources))
    if not codes:
        raise InvalidInput("name at least one unit to merge")
    survivor = live_unit(session, into, scope)
    units = [live_unit(session, code, scope) for code in codes]
    for unit in units:
        if unit.id == survivor.id:
            raise InvalidInput(f"cannot merge {unit.code} into itself")
        if survivor.path.startswith(unit.path):
            raise InvalidInput(f"{survivor.code} is inside {unit.code}: merge into a unit outside it",
                               code="unit_cycle")
    result = MergeResult(survivor=unit_row(survivor))
    for unit in units:
        _merge_one(session, unit, survivor, on, now, actor, result)
    result.survivor = unit_row(survivor)
    return result


def _merge_one(session: Session, source: Unit, survivor: Unit, on: date, now: datetime, actor: str,
               result: MergeResult) -> None:
    moved: dict[str, int] = {}
    children = list(session.scalars(select(Unit).where(Unit.parent_id == source.id, live_units())))
    for child in children:
        reparent(session, child, survivor)
        touch_settings(session, child.id, now, actor)
    moved["units"] = len(children)
    for table in unit_tables():
        if table.name in KEPT:
            continue
        handler = HANDLERS.get(table.name)
        if handler is not None:
            moved[table.name] = handler(session, source, survivor, now, actor)
            continue
        moved[table.name], left = move_rows(session, table, source, survivor)
        if left:
            result.left[table.name] = result.left.get(table.name, 0) + left
    survivor.staff_count += source.staff_count
    result.staff_added += source.staff_count
    source.ended_on, source.merged_into_id = on, survivor.id
    touch_settings(session, survivor.id, now, actor)  # its agents (old and new) are told its settings
    session.flush()
    for name, count in moved.items():
        result.moved[name] = result.moved.get(name, 0) + count
    detail = ", ".join(f"{name} {count}" for name, count in sorted(moved.items()) if count)
    record_audit(session, actor, AuditAction.UNIT_MERGED, now, f"unit:{source.code}", survivor.id,
                 f"{source.code} merged into {survivor.code} on {on:%Y-%m-%d}; staff +{source.staff_count}; "
                 f"moved: {detail or 'nothing'}")
    result.merged.append(unit_row(source))


def move_rows(session: Session, table: Table, source: Unit, survivor: Unit) -> tuple[int, int]:
    """Give ``table``'s rows of ``source`` to ``survivor`` (and its path); (moved, left behind)."""
    values: dict[str, object] = {"unit_id": survivor.id}
    if "unit_path" in table.c:
        values["unit_path"] = survivor.path
    statement = update(table).where(table.c.unit_id == source.id)
    for names in unique_keys_with_unit(table):
        other = table.alias("survivor_row")
        statement = statement.where(~exists().where(other.c.unit_id == survivor.id,
                                                    *(other.c[n] == table.c[n] for n in names if n != "unit_id")))
    moved = session.execute(statement.values(values).execution_options(synchronize_session=False)).rowcount
    left = session.scalar(select(func.count()).select_from(table).where(table.c.unit_id == source.id)) or 0
    return moved, left


def unique_keys_with_unit(table: Table) -> list[list[str]]:
    """The column names of each unique constraint or index of ``table`` that includes ``unit_id``."""
    keys = [[c.name for c in constraint.columns] for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)]
    keys += [[c.name for c in index.columns] for index in table.indexes if isinstance(index, Index) and index.unique]
    return [names for names in keys if "unit_id" in names]


def _move_alerts(session: Session, source: Unit, survivor: Unit, now: datetime, actor: str) -> int:
    """Machines' alerts (open or not) follow their machines. The source's own unit alerts are closed
    with a "resolved" event (no notification): the survivor is judged afresh by the next scan."""
    moved = session.execute(update(Alert).where(Alert.unit_id == source.id, Alert.machine_id.is_not(None))
                            .values(unit_id=survivor.id)).rowcount
    open_ones = list(session.scalars(select(Alert).where(Alert.unit_id == source.id, Alert.machine_id.is_(None),
                                                         Alert.status != AlertStatus.RESOLVED)))
    for alert in open_ones:
        alert.status, alert.resolved_at = str(AlertStatus.RESOLVED), now
        session.add(AlertEvent(alert_id=alert.id, at=now, transition=str(Transition.RESOLVED),
                               status=alert.status, severity=alert.severity, actor=actor, notify=False,
                               comment=f"đơn vị đã sáp nhập vào {survivor.code} / unit merged into {survivor.code}"))
    return moved


def _add_snapshots(session: Session, source: Unit, survivor: Unit, now: datetime, actor: str) -> int:
    """The survivor's trend becomes the sum of both (numerators and denominators per indicator and
    day, as every figure is summed); the source keeps its own rows, its history as it was."""
    mine = {(row.indicator, row.day): row for row in session.scalars(
        select(ReadinessSnapshot).where(ReadinessSnapshot.unit_id == survivor.id))}
    new, added = [], 0
    for indicator, day, numerator, denominator in session.execute(
            select(ReadinessSnapshot.indicator, ReadinessSnapshot.day, ReadinessSnapshot.numerator,
                   ReadinessSnapshot.denominator).where(ReadinessSnapshot.unit_id == source.id)):
        added += 1
        found = mine.get((indicator, day))
        if found is None:
            new.append({"unit_id": survivor.id, "indicator": indicator, "day": day, "numerator": numerator,
                        "denominator": denominator})
        else:
            found.numerator += numerator
            found.denominator += denominator
    if new:
        session.execute(insert(ReadinessSnapshot), new)
    return added


def _move_products(session: Session, source: Unit, survivor: Unit, now: datetime, actor: str) -> int:
    """As :func:`move_rows`, found by machine (its primary key) rather than by unit: the table has one
    row per installed program of every machine and no index that starts with the unit."""
    machines = select(Machine.id).where(Machine.unit_id.in_((source.id, survivor.id))).scalar_subquery()
    return session.execute(update(MachineProduct).where(MachineProduct.machine_id.in_(machines),
                                                        MachineProduct.unit_id == source.id)
                           .values(unit_id=survivor.id)).rowcount


HANDLERS: dict[str, Callable[[Session, Unit, Unit, datetime, str], int]] = {
    "alerts": _move_alerts,
    "readiness_snapshots": _add_snapshots,
    "machine_products": _move_products,
}
"""Tables whose rows need more than a new unit id in a merge."""
