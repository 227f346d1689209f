"""Units: a tree of any depth (province > commune > office; district in older data)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

import msgspec
from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from collector.errors import Conflict, InvalidInput, NotFound
from collector.models.alerts import Alert
from collector.models.machines import Machine
from collector.models.units import Unit, UnitKind
from collector.store.scope import EVERYTHING, Scope
from rules.lifecycle import AlertStatus

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class UnitRow(msgspec.Struct, frozen=True, kw_only=True):
    """A unit as every reader sees it."""

    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    path: str
    """The ids from the root down to the unit: "/1/7/42/"."""
    staff_count: int
    admin_code: str | None = None
    """The official administrative unit code, when known."""
    ended_on: date | None = None
    """The day it was merged away or retired; None while it lives."""
    merged_into_id: int | None = None

    @property
    def live(self) -> bool:
        return self.ended_on is None


def unit_row(unit: Unit) -> UnitRow:
    return UnitRow(id=unit.id, code=unit.code, name=unit.name, kind=UnitKind(unit.kind), parent_id=unit.parent_id,
                   path=unit.path, staff_count=unit.staff_count, admin_code=unit.admin_code,
                   ended_on=unit.ended_on, merged_into_id=unit.merged_into_id)


def live_units() -> ColumnElement[bool]:
    """A WHERE clause over ``Unit``: units that were neither merged away nor retired (the ones counted,
    judged and offered; an ended unit keeps its row so that history still names it)."""
    return Unit.ended_on.is_(None)


def add_unit(
    session: Session,
    code: str,
    name: str,
    kind: str,
    now: datetime,
    parent_code: str | None = None,
    staff_count: int = 0,
) -> UnitRow:
    """Create a unit under ``parent_code`` (a root when None). Raises InvalidInput/Conflict/NotFound."""
    _check_new_unit(code, name, kind, staff_count)
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"unit {code!r} already exists", code="unit_exists")
    parent = get_unit(session, parent_code) if parent_code else None
    if parent is not None and not parent.live:
        raise InvalidInput(f"unit {parent.code!r} ended on {parent.ended_on}: choose a live parent",
                           code="unit_ended")
    unit = Unit(code=code, name=name.strip(), kind=kind, parent_id=parent.id if parent else None,
                path="", staff_count=staff_count, created_at=now)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit_row(unit)


def _check_new_unit(code: str, name: str, kind: str, staff_count: int) -> None:
    if not _CODE.match(code):
        raise InvalidInput(f"unit code {code!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    check_name(name)
    check_kind(kind)
    check_staff(staff_count)


def check_name(name: str) -> None:
    if not name.strip():
        raise InvalidInput("unit name must not be empty / tên đơn vị không được để trống")
    if len(name.strip()) > 255:
        raise InvalidInput("unit name is longer than 255 characters")


def check_kind(kind: str) -> None:
    if kind not in set(UnitKind):
        raise InvalidInput(f"unit kind {kind!r}: one of {', '.join(UnitKind)}")


def check_staff(staff_count: int) -> None:
    if staff_count < 0:
        raise InvalidInput(f"staff count {staff_count} must not be negative")


def get_unit(session: Session, code: str, scope: Scope = EVERYTHING) -> UnitRow:
    """The unit with this code inside ``scope``; NotFound otherwise (outside looks like absent, and so
    does a code no unit can have: a NUL, which PostgreSQL refuses to compare, or past the column)."""
    if "\x00" in code or len(code) > 64:
        raise NotFound(f"no unit {code[:64]!r}", code="unit_not_found")
    unit = session.scalar(select(Unit).where(Unit.code == code, scope.units_clause()))
    if unit is None:  # typed in another case ("dt-tanhoa"): the one unit whose code it is, if only one
        alike = session.scalars(select(Unit).where(func.upper(Unit.code) == code.strip().upper(),
                                                   scope.units_clause()).limit(2)).all()
        unit = alike[0] if len(alike) == 1 else None
    if unit is None:
        raise NotFound(f"no unit {code!r}", code="unit_not_found")
    return unit_row(unit)


def unit_names(session: Session) -> dict[str, str]:
    """Every unit's name by its code (ended units too: history still names them)."""
    return {code: name for code, name in session.execute(select(Unit.code, Unit.name))}


def list_units(session: Session, scope: Scope = EVERYTHING, limit: int | None = None,
               include_ended: bool = False) -> list[UnitRow]:
    """Live units in scope (merged-away and retired ones too with ``include_ended``), parents before
    children (ordered by path)."""
    query = select(Unit).where(scope.units_clause()).order_by(Unit.path)
    if not include_ended:
        query = query.where(live_units())
    return [unit_row(unit) for unit in session.scalars(query if limit is None else query.limit(limit))]


def top_unit(session: Session, scope: Scope) -> UnitRow:
    """The top of the person's subtree (the first root for everything); NotFound when empty."""
    found = session.scalar(select(Unit).where(scope.units_clause(), live_units()).order_by(Unit.path).limit(1))
    if found is None:
        raise NotFound("no unit in your scope", code="unit_not_found")
    return unit_row(found)


class UnitTreeLine(msgspec.Struct, frozen=True, kw_only=True):
    """A unit of the tree page: its own machine and open-alert counts, and those of its subtree
    (itself and every unit below it); officials likewise."""

    unit: UnitRow
    depth: int
    machines: int
    open_alerts: int
    subtree_machines: int = 0
    subtree_alerts: int = 0
    subtree_staff: int = 0

    @property
    def has_below(self) -> bool:
        """Something is counted below the unit: its own figures and its subtree's differ."""
        return (self.subtree_machines, self.subtree_alerts, self.subtree_staff) != (
            self.machines, self.open_alerts, self.unit.staff_count)


def roll_up(units: Sequence[UnitRow], own: dict[int, int]) -> dict[int, int]:
    """Each unit's count plus those of every unit below it (``own``: a unit id's own count)."""
    known = {u.id for u in units}
    totals = dict.fromkeys(known, 0)
    for unit in units:
        for ancestor in path_ids(unit.path):
            if ancestor in known:
                totals[ancestor] += own.get(unit.id, 0)
    return totals


def unit_tree(session: Session, scope: Scope, limit: int = 2000) -> list[UnitTreeLine]:
    """Units in scope, parents before children, with machine and open-alert counts (one query each)."""
    units = list_units(session, scope, limit)
    if not units:
        return []
    ids = [u.id for u in units]
    machines = dict(session.execute(select(Machine.unit_id, func.count()).where(Machine.unit_id.in_(ids))
                                    .group_by(Machine.unit_id)).all())
    alerts = dict(session.execute(select(Alert.unit_id, func.count()).where(
        Alert.unit_id.in_(ids), Alert.status != AlertStatus.RESOLVED).group_by(Alert.unit_id)).all())
    top = min(u.path.count("/") for u in units)
    all_machines, all_alerts = roll_up(units, machines), roll_up(units, alerts)
    all_staff = roll_up(units, {u.id: u.staff_count for u in units})
    return [UnitTreeLine(unit=u, depth=u.path.count("/") - top, machines=int(machines.get(u.id, 0)),
                         open_alerts=int(alerts.get(u.id, 0)), subtree_machines=all_machines[u.id],
                         subtree_alerts=all_alerts[u.id], subtree_staff=all_staff[u.id]) for u in units]


def unit_trail(session: Session, unit: UnitRow, scope: Scope) -> list[UnitRow]:
    """The unit's ancestors within the scope, then the unit (for breadcrumbs)."""
    ids = path_ids(unit.path)
    rows = {u.id: unit_row(u) for u in session.scalars(select(Unit).where(Unit.id.in_(ids), scope.units_clause()))}
    return [rows[i] for i in ids if i in rows]


def unit_codes_on_path(session: Session, path: str) -> tuple[str, ...]:
    """The codes from the root down to the unit at ``path`` (what per-unit rule overrides are keyed by)."""
    ids = path_ids(path)
    session.flush()  # units changed in this session count, as an ORM select would flush them
    codes = dict(session.connection().execute(_CODES_OF, {"ids": ids}).all())
    return tuple(codes[i] for i in ids if i in codes)


_CODES_OF = (select(Unit.__table__.c.id, Unit.__table__.c.code)
             .where(Unit.__table__.c.id.in_(bindparam("ids", expanding=True))))
"""Built once in Core: ingest reads a unit chain for every batch."""


def path_ids(path: str) -> list[int]:
    """"/1/7/42/" -> [1, 7, 42]: a unit's ancestors, root first, then the unit itself."""
    return [int(part) for part in path.strip("/").split("/") if part]


def unit_chains(units: Sequence[UnitRow]) -> dict[int, tuple[str, ...]]:
    """Each unit's codes from the root down to itself (what per-unit overrides are keyed by)."""
    codes = {u.id: u.code for u in units}
    return {u.id: tuple(codes[i] for i in path_ids(u.path) if i in codes) for u in units}


def add_sub_unit(session: Session, code: str, name: str, kind: str, now: datetime, parent_code: str,
                 staff_count: int, actor: str, scope: Scope) -> UnitRow:
    """A person adds a unit under ``parent_code`` inside their ``scope`` (NotFound outside it),
    recorded in the audit log."""
    from collector.store.audit import AuditAction, record_audit

    if not parent_code.strip():
        raise InvalidInput("a new unit needs its parent unit", code="parent_required")
    get_unit(session, parent_code.strip(), scope)
    unit = add_unit(session, code.strip(), name, kind, now, parent_code.strip(), staff_count)
    record_audit(session, actor, AuditAction.UNIT_ADDED, now, f"unit:{unit.code}", unit.id,
                 f"{unit.name} ({unit.kind}, parent {parent_code.strip()}, {staff_count} staff)")
    return unit
