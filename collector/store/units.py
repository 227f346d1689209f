"""Units: a tree of any depth (province > commune > office; district in older data)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import Conflict, InvalidInput, NotFound
from collector.models.units import Unit, UnitKind
from collector.store.scope import EVERYTHING, Scope

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def add_unit(
    session: Session,
    code: str,
    name: str,
    kind: str,
    now: datetime,
    parent_code: str | None = None,
    staff_count: int = 0,
) -> Unit:
    """Create a unit under ``parent_code`` (a root when None). Raises InvalidInput/Conflict/NotFound."""
    _check_new_unit(code, name, kind, staff_count)
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"unit {code!r} already exists", code="unit_exists")
    parent = get_unit(session, parent_code) if parent_code else None
    unit = Unit(code=code, name=name.strip(), kind=kind, parent_id=parent.id if parent else None,
                path="", staff_count=staff_count, created_at=now)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def _check_new_unit(code: str, name: str, kind: str, staff_count: int) -> None:
    if not _CODE.match(code):
        raise InvalidInput(f"unit code {code!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    if not name.strip():
        raise InvalidInput("unit name must not be empty")
    if kind not in set(UnitKind):
        raise InvalidInput(f"unit kind {kind!r}: one of {', '.join(UnitKind)}")
    if staff_count < 0:
        raise InvalidInput(f"staff count {staff_count} must not be negative")


def get_unit(session: Session, code: str, scope: Scope = EVERYTHING) -> Unit:
    """The unit with this code inside ``scope``; NotFound otherwise (outside looks like absent)."""
    unit = session.scalar(select(Unit).where(Unit.code == code, scope.units_clause()))
    if unit is None:
        raise NotFound(f"no unit {code!r}", code="unit_not_found")
    return unit


def list_units(session: Session, scope: Scope = EVERYTHING) -> list[Unit]:
    """Units in scope, parents before children (ordered by path)."""
    return list(session.scalars(select(Unit).where(scope.units_clause()).order_by(Unit.path)))


def path_ids(path: str) -> list[int]:
    """"/1/7/42/" -> [1, 7, 42]: a unit's ancestors, root first, then the unit itself."""
    return [int(part) for part in path.strip("/").split("/") if part]


def unit_chains(units: Sequence[Unit]) -> dict[int, tuple[str, ...]]:
    """Each unit's codes from the root down to itself (what per-unit overrides are keyed by)."""
    codes = {u.id: u.code for u in units}
    return {u.id: tuple(codes[i] for i in path_ids(u.path) if i in codes) for u in units}
