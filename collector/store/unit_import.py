"""``canhgac units import``: bring the tree in line with an official list, a CSV of
(code, name, kind, parent code[, official code]) as the province publishes it.

A unit of the list that does not exist is added; one that exists is renamed, re-kinded, given its
official code or moved where the list differs (each an audited change, as the single commands do).
Units the list does not name are left alone: merging and retiring stay explicit decisions. The whole
list is one transaction: any bad line refuses it all, naming every bad line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import CanhgacError, InvalidInput
from collector.models.units import Unit, UnitKind
from collector.store.audit import AuditAction, record_audit
from collector.store.reorganisation import move_unit, rename_unit, set_unit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import add_unit, get_unit

KIND_WORDS: dict[str, UnitKind] = {
    **{kind.value: kind for kind in UnitKind},
    "special zone": UnitKind.SPECIAL_ZONE,
    "tỉnh": UnitKind.PROVINCE, "thành phố": UnitKind.PROVINCE, "tp": UnitKind.PROVINCE,
    "xã": UnitKind.COMMUNE, "phường": UnitKind.WARD, "đặc khu": UnitKind.SPECIAL_ZONE,
    "huyện": UnitKind.DISTRICT, "quận": UnitKind.DISTRICT, "thị xã": UnitKind.DISTRICT,
    "cơ quan": UnitKind.OFFICE, "văn phòng": UnitKind.OFFICE,
}
"""Kinds as the CSV may spell them: canhgac's names, or the Vietnamese words of official lists."""
_HEADER_WORDS = {"code", "mã", "ma", "mã đơn vị"}


class ImportLine(msgspec.Struct, frozen=True, kw_only=True):
    line: int
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None
    admin_code: str | None = None


def parse_units_csv(text: str) -> list[ImportLine]:
    """The lines of the list (a first line naming the columns is skipped; ``,`` or ``;`` between
    cells; UTF-8 with or without BOM). Raises InvalidInput naming every bad line."""
    text = text.lstrip("\ufeff")
    dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;") if text.strip() else csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    lines, errors = [], []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and cells[0].lower() in _HEADER_WORDS):
            continue
        try:
            lines.append(_line(number, cells))
        except InvalidInput as exc:
            errors.append(exc.detail)
    if errors:
        raise InvalidInput("; ".join(errors), code="invalid_unit_list")
    return lines


def _line(number: int, cells: list[str]) -> ImportLine:
    if len(cells) < 3 or not cells[0] or not cells[1]:
        raise InvalidInput(f"line {number}: expected code, name, kind, parent code[, official code]")
    kind = KIND_WORDS.get(cells[2].lower())
    if kind is None:
        raise InvalidInput(f"line {number}: kind {cells[2]!r} is not one of {', '.join(UnitKind)} "
                           "(or tỉnh, thành phố, xã, phường, đặc khu, huyện)")
    parent = cells[3] if len(cells) > 3 and cells[3] else None
    admin = cells[4] if len(cells) > 4 and cells[4] else None
    return ImportLine(line=number, code=cells[0], name=cells[1], kind=kind, parent_code=parent, admin_code=admin)


@dataclass
class UnitListResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0


def import_units(session: Session, lines: list[ImportLine], now: datetime, actor: str,
                 scope: Scope = EVERYTHING) -> UnitListResult:
    """Apply the list (parents before their children, wherever they are in the file)."""
    result = UnitListResult()
    codes = [line.code for line in lines]
    doubled = sorted({code for code in codes if codes.count(code) > 1})
    if doubled:
        raise InvalidInput(f"the list names {', '.join(doubled)} more than once", code="invalid_unit_list")
    for line in _parents_first(session, lines):
        try:
            _apply(session, line, now, actor, scope, result)
        except CanhgacError as exc:
            raise InvalidInput(f"line {line.line} ({line.code}): {exc.detail}", code=exc.code) from exc
    return result


def _parents_first(session: Session, lines: list[ImportLine]) -> list[ImportLine]:
    known = set(session.scalars(select(Unit.code)))
    pending, ordered = list(lines), []
    while pending:
        ready = [line for line in pending if line.parent_code is None or line.parent_code in known]
        if not ready:
            names = ", ".join(f"line {line.line}: {line.parent_code}" for line in pending)
            raise InvalidInput(f"parents neither in the list nor in the tree (or in a cycle): {names}",
                               code="invalid_unit_list")
        ordered += ready
        known |= {line.code for line in ready}
        pending = [line for line in pending if line not in ready]
    return ordered


def _apply(session: Session, line: ImportLine, now: datetime, actor: str, scope: Scope, result: UnitListResult) -> None:
    unit = session.scalar(select(Unit).where(Unit.code == line.code))
    if unit is None:
        if line.parent_code is None and scope.unit_path is not None:
            raise InvalidInput("only an admin of every unit may add a top unit")
        if line.parent_code is not None:
            get_unit(session, line.parent_code, scope)  # NotFound outside the person's subtree
        added = add_unit(session, line.code, line.name, line.kind, now, line.parent_code)
        if line.admin_code:
            set_unit(session, line.code, now, actor, scope, admin_code=line.admin_code)
        record_audit(session, actor, AuditAction.UNIT_ADDED, now, f"unit:{added.code}", added.id,
                     f"{added.name} ({added.kind}) from the imported list")
        result.added.append(line.code)
        return
    parent = session.scalar(select(Unit).where(Unit.code == line.parent_code)) if line.parent_code else None
    changes = []
    if unit.name != line.name.strip():
        rename_unit(session, line.code, line.name, now, actor, scope)
        changes.append("name")
    if unit.kind != line.kind or (line.admin_code and unit.admin_code != line.admin_code):
        set_unit(session, line.code, now, actor, scope, kind=line.kind, admin_code=line.admin_code)
        changes.append("kind/code")
    if parent is not None and unit.parent_id != parent.id:
        move_unit(session, line.code, parent.code, now, actor, scope)
        changes.append("parent")
    if changes:
        result.changed.append(f"{line.code} ({', '.join(changes)})")
    else:
        result.unchanged += 1
