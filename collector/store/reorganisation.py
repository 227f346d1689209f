"""Reorganising the unit tree: rename, move, set (staff, kind, official code) and retire a unit
(merging is collector.store.merge). Each runs in the caller's transaction with its audit entry, so
a change and its record land together or not at all; none deletes a unit.

A move rewrites every stored materialized path of the subtree (``units.path`` and each table's
``unit_path`` column, found from the models' metadata) with one UPDATE per table. People's scopes
are read from their unit's path at each request, so they follow the move with nothing stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, ColumnElement, String, func, literal, select, update
from sqlalchemy.orm import Session

from collector.errors import Conflict, InvalidInput, NotFound
from collector.models import metadata
from collector.models.enrollment import EnrollmentToken
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope, path_range
from collector.store.settings import touch_settings
from collector.store.units import UnitRow, check_kind, check_name, check_staff, live_units, unit_row

_ADMIN_CODE = re.compile(r"^[0-9A-Za-z.-]{1,16}$")
_IDS_PER_UPDATE = 5000


def live_unit(session: Session, code: str, scope: Scope = EVERYTHING) -> Unit:
    """The live unit ``code`` in scope (locked for the change): NotFound, or InvalidInput when it
    ended (a merged-away unit is history: change its survivor instead)."""
    unit = session.scalar(select(Unit).where(Unit.code == code, scope.units_clause()).with_for_update())
    if unit is None:
        raise NotFound(f"no unit {code!r} / không có đơn vị {code!r}", code="unit_not_found")
    if unit.ended_on is not None:
        survivor = session.get(Unit, unit.merged_into_id) if unit.merged_into_id else None
        where = f": merged into {survivor.code}" if survivor else ""
        raise InvalidInput(f"unit {code!r} ended on {unit.ended_on:%Y-%m-%d}{where} "
                           f"/ đơn vị đã thôi hoạt động ngày {unit.ended_on:%d/%m/%Y}", code="unit_ended")
    return unit


def rename_unit(session: Session, code: str, name: str, now: datetime, actor: str,
                scope: Scope = EVERYTHING) -> UnitRow:
    check_name(name)
    unit = live_unit(session, code, scope)
    old, unit.name = unit.name, name.strip()
    if old != unit.name:
        record_audit(session, actor, AuditAction.UNIT_RENAMED, now, f"unit:{unit.code}", unit.id,
                     f"{old} -> {unit.name}")
    return unit_row(unit)


def set_unit(session: Session, code: str, now: datetime, actor: str, scope: Scope = EVERYTHING, *,
             staff: int | None = None, kind: str | None = None, admin_code: str | None = None) -> UnitRow:
    """Change the staff count, the kind and/or the official code (``admin_code`` "" clears it)."""
    unit = live_unit(session, code, scope)
    changes = []
    if staff is not None:
        check_staff(staff)
        changes.append(f"staff {unit.staff_count} -> {staff}")
        unit.staff_count = staff
    if kind is not None:
        check_kind(kind)
        changes.append(f"kind {unit.kind} -> {kind}")
        unit.kind = kind
    if admin_code is not None:
        unit.admin_code = _checked_admin_code(session, admin_code.strip(), unit.id)
        changes.append(f"admin code -> {unit.admin_code or '(none)'}")
    if changes:
        record_audit(session, actor, AuditAction.UNIT_CHANGED, now, f"unit:{unit.code}", unit.id, "; ".join(changes))
    return unit_row(unit)


def _checked_admin_code(session: Session, admin_code: str, unit_id: int) -> str | None:
    if not admin_code:
        return None
    if not _ADMIN_CODE.match(admin_code):
        raise InvalidInput(f"official code {admin_code!r}: digits or letters, at most 16")
    other = session.scalar(select(Unit.code).where(Unit.admin_code == admin_code, Unit.id != unit_id, live_units()))
    if other is not None:
        raise Conflict(f"official code {admin_code} is already unit {other}'s / mã đã dùng cho {other}",
                       code="admin_code_taken")
    return admin_code


def move_unit(session: Session, code: str, parent_code: str, now: datetime, actor: str,
              scope: Scope = EVERYTHING) -> UnitRow:
    """Put ``code`` (with its whole subtree) under ``parent_code``; every stored path follows."""
    unit = live_unit(session, code, scope)
    parent = live_unit(session, parent_code, scope)
    if parent.path.startswith(unit.path):
        raise InvalidInput(f"cannot move {code} under itself or one of its own sub-units", code="unit_cycle")
    if unit.parent_id == parent.id:
        return unit_row(unit)
    old_parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    reparent(session, unit, parent)
    touch_settings(session, unit.id, now, actor)  # its chain changed: its agents are told again
    record_audit(session, actor, AuditAction.UNIT_MOVED, now, f"unit:{unit.code}", unit.id,
                 f"{old_parent.code if old_parent else '(root)'} -> {parent.code}")
    return unit_row(unit)


def reparent(session: Session, unit: Unit, parent: Unit) -> dict[str, int]:
    """Make ``parent`` the parent of ``unit`` and rewrite the subtree's stored paths (rows per table)."""
    old, new = unit.path, f"{parent.path}{unit.id}/"
    unit.parent_id = parent.id
    session.flush()
    rewritten = rewrite_paths(session, old, new)
    session.refresh(unit)
    return rewritten


def path_columns() -> list[Column[str]]:
    """Every stored materialized path: ``units.path`` and each table's ``unit_path`` column."""
    columns: list[Column[str]] = [Unit.__table__.c.path]
    columns += [table.c.unit_path for table in metadata.sorted_tables if "unit_path" in table.c]
    return columns


def rewrite_paths(session: Session, old: str, new: str) -> dict[str, int]:
    """Replace the prefix ``old`` by ``new`` in every stored path (one UPDATE per table, per 5,000
    units of the subtree). A table with a ``unit_id`` finds its rows by the subtree's unit ids (its
    unit index), not by its paths (which PostgreSQL cannot seek with LIKE outside the "C" collation,
    and where a sub-select of the units made it scan the whole table); ``units`` goes last."""
    dialect = session.get_bind().dialect.name
    units_path, *others = path_columns()
    ids = list(session.scalars(select(Unit.id).where(in_subtree(units_path, old, dialect))))
    counts: dict[str, int] = {}
    for column in [*others, units_path]:
        table = column.table
        rewritten = literal(new, String) + func.substr(column, len(old) + 1, type_=String)
        for start in range(0, len(ids), _IDS_PER_UPDATE):
            chunk = ids[start:start + _IDS_PER_UPDATE]
            found = (table.c.unit_id if "unit_id" in table.c else table.c.id).in_(chunk)
            result = session.execute(update(table).where(found, in_subtree(column, old, dialect))
                                     .values({column.name: rewritten}).execution_options(synchronize_session=False))
            counts[table.name] = counts.get(table.name, 0) + result.rowcount
    return counts


def in_subtree(column: Column[str], prefix: str, dialect: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``: an index range on SQLite (bytewise order), LIKE on
    PostgreSQL (whose collation, unless "C", does not order "/" and digits bytewise)."""
    if dialect == "sqlite":
        low, high = path_range(prefix)
        return (column >= low) & (column < high)
    return column.startswith(prefix, autoescape=True)


@dataclass(frozen=True)
class Retired:
    unit: UnitRow
    tokens_revoked: int


def retire_unit(session: Session, code: str, on: date, now: datetime, actor: str,
                scope: Scope = EVERYTHING) -> Retired:
    """End a unit that holds nothing any more (no machine, no live sub-unit), e.g. a district after
    2025; its unused enrollment tokens are revoked. The row stays, for history."""
    unit = live_unit(session, code, scope)
    machines = session.scalar(select(func.count()).select_from(Machine).where(Machine.unit_id == unit.id)) or 0
    children = list(session.scalars(select(Unit.code).where(Unit.parent_id == unit.id, live_units()).limit(5)))
    if machines or children:
        held = ", ".join(filter(None, [f"{machines} machine(s)" if machines else "",
                                       f"sub-units {', '.join(children)}" if children else ""]))
        raise Conflict(f"unit {code} still holds {held}: move or merge them first "
                       f"/ đơn vị còn máy hoặc đơn vị trực thuộc", code="unit_not_empty")
    unit.ended_on = on
    revoked = session.execute(update(EnrollmentToken).where(EnrollmentToken.unit_id == unit.id,
                                                            EnrollmentToken.revoked_at.is_(None))
                              .values(revoked_at=now)).rowcount
    record_audit(session, actor, AuditAction.UNIT_RETIRED, now, f"unit:{unit.code}", unit.id,
                 f"ended on {on:%Y-%m-%d}; {revoked} enrollment token(s) revoked")
    return Retired(unit_row(unit), revoked)
