"""Installed software across a person's scope: each program (or antivirus product) name with the
number of machines whose current report lists it, and which machines those are. Read from
machine_products (collector.models.products), never from stored reports."""

from __future__ import annotations

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from collector.models.machines import Machine
from collector.models.products import MachineProduct, ProductName
from collector.models.units import Unit
from collector.store.machine_list import EXPORT_LIMIT, lines_of
from collector.store.machines import MachineLine
from collector.store.paging import PAGE_SIZE, Paged, offset_of, paged
from collector.store.scope import Scope
from collector.store.units import get_unit


class ProgramCount(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    machines: int


def _counts(session: Session, scope: Scope, unit: str | None, text: str) -> Select[tuple[str, int]]:
    query = (select(ProductName.name, func.count(MachineProduct.machine_id).label("machines"))
             .join(MachineProduct, MachineProduct.product_id == ProductName.id)
             .join(Unit, MachineProduct.unit_id == Unit.id).where(scope.units_clause()))
    if unit:
        query = query.where(Unit.path.startswith(get_unit(session, unit, scope).path, autoescape=True))
    if text:
        literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(ProductName.name.ilike(f"%{literal}%", escape="\\"))
    return query.group_by(ProductName.name)


def program_counts(session: Session, scope: Scope, unit: str | None = None, text: str = "", page: int = 1,
                   limit: int = PAGE_SIZE) -> Paged[ProgramCount]:
    """Programs of the machines in ``scope`` (``unit``'s subtree), most installed first, then by name."""
    query = _counts(session, scope, unit, text)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(func.count(MachineProduct.machine_id).desc(), ProductName.name)
                           .limit(limit).offset(offset_of(page) if limit == PAGE_SIZE else 0))
    return paged([ProgramCount(name=name, machines=int(n)) for name, n in rows], total, page)


def all_program_counts(session: Session, scope: Scope, unit: str | None = None, text: str = "") -> list[ProgramCount]:
    """Every program :func:`program_counts` would list, for an export."""
    return list(program_counts(session, scope, unit, text, 1, EXPORT_LIMIT).items)


def machines_with_program(session: Session, scope: Scope, name: str, unit: str | None = None,
                          limit: int = EXPORT_LIMIT) -> list[MachineLine]:
    """The machines in ``scope`` whose current report lists the program ``name`` exactly, by host name."""
    query = (select(Machine.id).join(MachineProduct, MachineProduct.machine_id == Machine.id)
             .join(ProductName, ProductName.id == MachineProduct.product_id)
             .join(Unit, Machine.unit_id == Unit.id).where(ProductName.name == name, scope.units_clause()))
    if unit:
        query = query.where(Unit.path.startswith(get_unit(session, unit, scope).path, autoescape=True))
    ids = list(session.scalars(query.order_by(func.lower(Machine.hostname), Machine.id).limit(limit)))
    return lines_of(session, ids)
