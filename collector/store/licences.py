"""The licence register: what an office bought (product, name pattern, seats, dates, unit)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.wire.bounds import INT32_MAX
from collector.errors import InvalidInput, NotFound
from collector.models.licences import LicenceEntry
from collector.models.products import NAME_MAX
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.paging import PAGE_SIZE, Paged, offset_of, paged
from collector.store.products import licence_install_machines, licence_installs
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit
from rules.licences import LicenceCover, LicenceTerm, covers_of, ranks


@dataclass(frozen=True)
class LicenceRow:
    id: int
    product: str
    pattern: str
    seats: int
    unit_code: str
    starts_on: date | None
    expires_on: date


def add_licence(session: Session, product: str, pattern: str, seats: int, expires_on: date, unit_code: str,
                now: datetime, starts_on: date | None = None, scope: Scope = EVERYTHING,
                actor: str = "cli") -> LicenceRow:
    """Register a licence for ``unit_code``'s subtree (written to the audit log as ``actor``'s).
    InvalidInput for empty names or bad numbers."""
    check_licence(product, pattern, seats, expires_on, starts_on)
    unit = get_unit(session, unit_code, scope)
    entry = LicenceEntry(product=product.strip(), pattern=pattern.strip(), seats=seats, unit_id=unit.id,
                         starts_on=starts_on, expires_on=expires_on, created_at=now)
    session.add(entry)
    session.flush()
    record_audit(session, actor, AuditAction.LICENCE_ADDED, now, f"licence:{entry.id}", unit.id,
                 f"{entry.product}: {seats} seats, until {expires_on}")
    return _row(entry, unit.code)


def check_licence(product: str, pattern: str, seats: int, expires_on: date, starts_on: date | None) -> None:
    """InvalidInput for an empty, over-long or NUL-holding product or pattern, seats outside
    0..2**31-1 or a start after the expiry."""
    if not product.strip() or not pattern.strip():
        raise InvalidInput("product and match pattern must not be empty")
    if any(len(text) > NAME_MAX or "\x00" in text for text in (product, pattern)):
        raise InvalidInput(f"product and match pattern: at most {NAME_MAX} characters, no NUL")
    if not 0 <= seats <= INT32_MAX:
        raise InvalidInput(f"seats {seats} must be from 0 to {INT32_MAX}")
    if starts_on is not None and starts_on > expires_on:
        raise InvalidInput(f"starts {starts_on} after it expires {expires_on}")


def _entry(session: Session, licence_id: int, scope: Scope) -> tuple[LicenceEntry, Unit]:
    """The entry and its unit inside ``scope``; NotFound otherwise (outside looks like absent)."""
    found = session.execute(select(LicenceEntry, Unit).join(Unit, LicenceEntry.unit_id == Unit.id)
                            .where(LicenceEntry.id == licence_id, scope.units_clause())).first()
    if found is None:
        raise NotFound(f"no licence {licence_id}", code="licence_not_found")
    return found[0], found[1]


def edit_licence(session: Session, licence_id: int, product: str, pattern: str, seats: int, expires_on: date,
                 starts_on: date | None, now: datetime, scope: Scope = EVERYTHING, actor: str = "cli") -> LicenceRow:
    """Change an entry of ``scope`` (its unit stays), recorded in the audit log with what it was."""
    check_licence(product, pattern, seats, expires_on, starts_on)
    entry, unit = _entry(session, licence_id, scope)
    before = f"{entry.product} ({entry.pattern}): {entry.seats} seats, {entry.starts_on or '-'}..{entry.expires_on}"
    entry.product, entry.pattern, entry.seats = product.strip(), pattern.strip(), seats
    entry.starts_on, entry.expires_on = starts_on, expires_on
    record_audit(session, actor, AuditAction.LICENCE_EDITED, now, f"licence:{entry.id}", unit.id,
                 f"was {before}; now {entry.product} ({entry.pattern}): {seats} seats, "
                 f"{starts_on or '-'}..{expires_on}")
    return _row(entry, unit.code)


def delete_licence(session: Session, licence_id: int, now: datetime, scope: Scope = EVERYTHING,
                   actor: str = "cli") -> LicenceRow:
    """Remove an entry of ``scope`` (bought by mistake, entered twice); the audit log keeps what it said."""
    entry, unit = _entry(session, licence_id, scope)
    row = _row(entry, unit.code)
    session.delete(entry)
    record_audit(session, actor, AuditAction.LICENCE_DELETED, now, f"licence:{row.id}", unit.id,
                 f"{row.product} ({row.pattern}): {row.seats} seats, until {row.expires_on}")
    return row


def _row(entry: LicenceEntry, unit_code: str) -> LicenceRow:
    return LicenceRow(id=entry.id, product=entry.product, pattern=entry.pattern, seats=entry.seats,
                      unit_code=unit_code, starts_on=entry.starts_on, expires_on=entry.expires_on)


def list_licences(session: Session, scope: Scope = EVERYTHING, limit: int | None = None,
                  offset: int = 0) -> list[LicenceRow]:
    query = (select(LicenceEntry, Unit.code).join(Unit, LicenceEntry.unit_id == Unit.id)
             .where(scope.units_clause()).order_by(Unit.path, LicenceEntry.product, LicenceEntry.id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [_row(entry, code) for entry, code in session.execute(query)]


def count_licences(session: Session, scope: Scope = EVERYTHING) -> int:
    return session.scalar(select(func.count()).select_from(LicenceEntry).join(Unit, LicenceEntry.unit_id == Unit.id)
                          .where(scope.units_clause())) or 0


def licence_terms(session: Session) -> list[LicenceTerm]:
    """Every entry with its unit's path, for the pure arithmetic of rules.licences."""
    session.flush()  # an entry edited or deleted in this session counts, as an ORM select would flush it
    return [LicenceTerm(id=row.id, product=row.product, pattern=row.pattern, seats=row.seats, unit_path=row.path,
                        expires_on=row.expires_on, starts_on=row.starts_on)
            for row in session.connection().execute(_TERMS)]


_ENTRIES, _UNITS = LicenceEntry.__table__, Unit.__table__
_TERMS = (select(_ENTRIES.c.id, _ENTRIES.c.product, _ENTRIES.c.pattern, _ENTRIES.c.seats, _ENTRIES.c.expires_on,
                 _ENTRIES.c.starts_on, _UNITS.c.path).join(_UNITS, _ENTRIES.c.unit_id == _UNITS.c.id))
"""Built once in Core on the tables: ingest reads the terms for every batch (loading the entries
as ORM objects cost about 0.7 ms of Python a batch, bench/ingest_work.py)."""


@dataclass(frozen=True)
class LicenceLine:
    licence: LicenceRow
    installs: int
    expired: bool


def licence_lines(session: Session, scope: Scope, today: date, page: int = 1) -> Paged[LicenceLine]:
    """A page of the register in scope with each entry's installs (machines of its subtree in
    scope naming the product), both in SQL: the entries paged, the installs counted for the
    page's entries only (collector.store.products)."""
    total = count_licences(session, scope)
    rows = list_licences(session, scope, PAGE_SIZE, offset_of(page))
    if not rows:
        return paged([], total, page)
    terms = {t.id: t for t in licence_terms(session)}
    counts = licence_installs(session, scope, [terms[row.id] for row in rows])
    return paged([LicenceLine(row, counts[row.id], row.expires_on < today) for row in rows], total, page)


def seat_holders(session: Session, terms: list[LicenceTerm]) -> dict[int, dict[int, int]]:
    """Per entry: {machine id: its place among the entry's installs (1 = enrolled first)}: the
    machines of the entry's subtree naming a matching product (rules.licences.covers_of)."""
    return {term_id: ranks(ids) for term_id, ids in licence_install_machines(session, terms).items()}


def machine_covers(session: Session, machine_id: int, unit_path: str,
                   terms: list[LicenceTerm] | None = None,
                   holders: Mapping[int, Mapping[int, int]] | None = None) -> list[LicenceCover]:
    """The register entries covering one machine's unit, with its rank among their installs
    (``holders``: :func:`seat_holders` of at least those entries, when the caller has them)."""
    terms = [t for t in (terms if terms is not None else licence_terms(session)) if t.covers(unit_path)]
    return covers_of(machine_id, unit_path, terms, holders if holders is not None else seat_holders(session, terms))
