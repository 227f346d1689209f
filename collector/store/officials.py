"""The officials register (danh sách cán bộ, công chức): adding, importing a unit's list, editing,
retiring, assigning a machine; each machine's interactive users (from its reports); and the
register's counts that "computers per official" reads (collector.store.official_counts).

Every change a person makes is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from agent.wire.schema import InteractiveUser
from collector.errors import InvalidInput, NotFound
from collector.models.machines import Machine
from collector.models.officials import MachineUser, Official
from collector.models.units import Unit
from collector.officials_file import OfficialInput
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit


def normalise_account(raw: str) -> str:
    """"DOMAIN\\Nam", ".\\nam", "nam@xa.gov.vn" and "NAM" are all "nam": how an official's
    account is matched against a machine's users."""
    account = raw.strip().lower()
    account = account.rsplit("\\", 1)[-1]
    return account.split("@", 1)[0].strip()


class OfficialRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    unit_code: str
    unit_name: str
    name: str
    position: str
    account: str
    machine_id: int | None
    """The machine an officer assigned."""
    hostname: str | None
    retired_at: datetime | None


class ImportSummary(msgspec.Struct, frozen=True, kw_only=True):
    unit_code: str
    added: int
    updated: int
    unchanged: int
    retired: int
    """Officials no longer in the file, retired (only with ``retire_missing``)."""
    missing: list[str]
    """Names in the register but not in the file (kept unless ``retire_missing``)."""


def _rows(scope: Scope) -> Select[Official, str, str, str | None]:
    return (select(Official, Unit.code, Unit.name, Machine.hostname).join(Unit, Official.unit_id == Unit.id)
            .outerjoin(Machine, Official.machine_id == Machine.id).where(scope.units_clause()))


def _row(official: Official, code: str, unit_name: str, hostname: str | None) -> OfficialRow:
    return OfficialRow(id=official.id, unit_code=code, unit_name=unit_name, name=official.name,
                       position=official.position, account=official.account, machine_id=official.machine_id,
                       hostname=hostname, retired_at=official.retired_at)


def list_officials(session: Session, scope: Scope, unit_code: str | None = None,
                   include_retired: bool = False) -> list[OfficialRow]:
    """Officials of units in scope (of ``unit_code``'s subtree when given), by unit then name."""
    query = _rows(scope)
    if unit_code:
        query = query.where(Unit.path.startswith(get_unit(session, unit_code, scope).path, autoescape=True))
    if not include_retired:
        query = query.where(Official.retired_at.is_(None))
    return [_row(*found) for found in session.execute(query.order_by(Unit.path, Official.name, Official.id))]


def get_official(session: Session, scope: Scope, official_id: int) -> OfficialRow:
    found = session.execute(_rows(scope).where(Official.id == official_id)).first()
    if found is None:
        raise NotFound(f"no official {official_id}", code="official_not_found")
    return _row(*found)


def _check(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 255:
        raise InvalidInput("họ tên từ 1 đến 255 ký tự / a name of 1 to 255 characters", code="invalid_official")
    return cleaned


def add_official(session: Session, unit_code: str, name: str, position: str, account: str, now: datetime,
                 actor: str, scope: Scope = EVERYTHING) -> OfficialRow:
    unit = get_unit(session, unit_code, scope)
    official = Official(unit_id=unit.id, name=_check(name), position=position.strip()[:255],
                        account=normalise_account(account)[:128], created_at=now, updated_at=now)
    session.add(official)
    session.flush()
    record_audit(session, actor, AuditAction.OFFICIAL_ADDED, now, f"official:{official.id}", unit.id, official.name)
    return get_official(session, scope, official.id)


def import_officials(session: Session, unit_code: str, officials: Sequence[OfficialInput], now: datetime,
                     actor: str, scope: Scope = EVERYTHING, retire_missing: bool = False) -> ImportSummary:
    """Make the unit's register hold the file's officials: an official already there (same
    account, else same name) is updated, a new one added; the ones not in the file are listed,
    and retired only with ``retire_missing``. Importing the same file twice changes nothing."""
    unit = get_unit(session, unit_code, scope)
    current = list(session.scalars(select(Official).where(Official.unit_id == unit.id, Official.retired_at.is_(None))))
    by_account = {o.account: o for o in current if o.account}
    by_name = {o.name.casefold(): o for o in current}
    seen: set[int] = set()
    added = updated = unchanged = 0
    for entry in officials:
        name, account = _check(entry.name), normalise_account(entry.account)[:128]
        found = (by_account.get(account) if account else None) or by_name.get(name.casefold())
        if found is None or found.id in seen:
            found = Official(unit_id=unit.id, name=name, position=entry.position, account=account,
                             created_at=now, updated_at=now)
            session.add(found)
            session.flush()
            added += 1
        elif (found.name, found.position, found.account) != (name, entry.position, account or found.account):
            found.name, found.position, found.account, found.updated_at = \
                name, entry.position, account or found.account, now
            updated += 1
        else:
            unchanged += 1
        seen.add(found.id)
    missing = [o for o in current if o.id not in seen]
    if retire_missing:
        for official in missing:
            official.retired_at = official.updated_at = now
    record_audit(session, actor, AuditAction.OFFICIALS_IMPORTED, now, f"unit:{unit.code}", unit.id,
                 f"{len(officials)} in file: {added} added, {updated} updated, {unchanged} unchanged, "
                 f"{len(missing) if retire_missing else 0} retired")
    return ImportSummary(unit_code=unit.code, added=added, updated=updated, unchanged=unchanged,
                         retired=len(missing) if retire_missing else 0, missing=[o.name for o in missing])


def edit_official(session: Session, scope: Scope, official_id: int, now: datetime, actor: str,
                  name: str | None = None, position: str | None = None, account: str | None = None) -> OfficialRow:
    row = get_official(session, scope, official_id)
    official = session.get(Official, row.id)
    assert official is not None
    changes = []
    if name is not None:
        official.name = _check(name)
        changes.append(f"name={official.name}")
    if position is not None:
        official.position = position.strip()[:255]
        changes.append(f"position={official.position}")
    if account is not None:
        official.account = normalise_account(account)[:128]
        changes.append(f"account={official.account}")
    official.updated_at = now
    record_audit(session, actor, AuditAction.OFFICIAL_EDITED, now, f"official:{official.id}", official.unit_id,
                 ", ".join(changes))
    session.flush()
    return get_official(session, scope, official_id)


def retire_official(session: Session, scope: Scope, official_id: int, now: datetime, actor: str) -> OfficialRow:
    """Leaves the register's counts (kept for history); retiring twice changes nothing more."""
    get_official(session, scope, official_id)
    official = session.get(Official, official_id)
    assert official is not None
    if official.retired_at is None:
        official.retired_at = official.updated_at = now
        official.machine_id = None
        record_audit(session, actor, AuditAction.OFFICIAL_RETIRED, now, f"official:{official.id}", official.unit_id,
                     official.name)
        session.flush()
    return get_official(session, scope, official_id)


def assign_machine(session: Session, scope: Scope, official_id: int, machine_id: int | None, now: datetime,
                   actor: str) -> OfficialRow:
    """Give the official a machine of a unit in scope (None: take it back). A machine assigned to
    someone else is moved to this official (one official per machine)."""
    row = get_official(session, scope, official_id)
    if row.retired_at is not None:
        raise InvalidInput("cán bộ đã nghỉ / the official is retired", code="official_retired")
    if machine_id is not None:
        found = session.scalar(select(Machine.id).join(Unit, Machine.unit_id == Unit.id)
                               .where(Machine.id == machine_id, scope.units_clause()))
        if found is None:
            raise NotFound(f"no machine {machine_id}", code="machine_not_found")
        session.execute(update(Official).where(Official.machine_id == machine_id, Official.id != official_id)
                        .values(machine_id=None, updated_at=now))
    session.execute(update(Official).where(Official.id == official_id).values(machine_id=machine_id, updated_at=now))
    unit_id = session.scalar(select(Official.unit_id).where(Official.id == official_id))
    record_audit(session, actor, AuditAction.MACHINE_ASSIGNED, now, f"official:{official_id}", unit_id,
                 f"machine:{machine_id}" if machine_id is not None else "machine taken back")
    return get_official(session, scope, official_id)


def count_officials(session: Session, scope: Scope) -> int:
    return session.scalar(select(func.count()).select_from(Official).join(Unit, Official.unit_id == Unit.id)
                          .where(scope.units_clause(), Official.retired_at.is_(None))) or 0


# --- machine users ----------------------------------------------------------------------------

class MachineUserRow(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    name: str
    signed_in: bool
    last_use: datetime | None
    official: str | None = None
    """The official whose account this is, when the register has one."""


def record_machine_users(session: Session, machine_id: int, users: Iterable[InteractiveUser]) -> None:
    """Make the machine's stored users those of its current report (one row per account)."""
    session.execute(delete(MachineUser).where(MachineUser.machine_id == machine_id))
    rows = _user_rows(machine_id, users)
    if rows:
        session.execute(insert(MachineUser), rows)


def sync_machine_users(session: Session, users: Mapping[int, Iterable[InteractiveUser]]) -> int:
    """:func:`record_machine_users` for many machines (machine id -> its report's users): their
    stored users read by one query per ``USERS_READ`` machines, and rewritten only for the
    machines whose users differ. Returns how many machines' users were rewritten."""
    wanted = {machine_id: _user_rows(machine_id, listed) for machine_id, listed in users.items()}
    ids = list(wanted)
    stale: list[int] = []
    for start in range(0, len(ids), USERS_READ):
        chunk = ids[start:start + USERS_READ]
        stored = _stored_user_rows(session, chunk)
        stale += [m for m in chunk if _user_set(wanted[m]) != stored.get(m, set())]
    for start in range(0, len(stale), USERS_READ):
        session.execute(delete(MachineUser).where(MachineUser.machine_id.in_(stale[start:start + USERS_READ])))
    rows = [row for machine_id in stale for row in wanted[machine_id]]
    if rows:
        session.execute(insert(MachineUser.__table__), rows)  # Core: one executemany, no ORM bulk work
    return len(stale)


USERS_READ = 500
"""Machines whose users one query reads (an IN list well below every backend's parameter limit)."""


def _user_rows(machine_id: int, users: Iterable[InteractiveUser]) -> list[dict[str, Any]]:
    """The machine_users rows of ``users``: one per normalised account (the same account from two
    sources, a profile and a session, is one row: signed in if either is, its latest use)."""
    wanted: dict[str, InteractiveUser] = {}
    for user in users:
        account = normalise_account(user.name)[:128]
        kept = wanted.get(account)
        if not account:
            continue
        if kept is not None:
            newest = max((u.last_use for u in (kept, user) if u.last_use), default=None)
            user = InteractiveUser(name=kept.name, signed_in=kept.signed_in or user.signed_in, last_use=newest,
                                   source=kept.source)
        wanted[account] = user
    return [{"machine_id": machine_id, "account": account, "name": user.name[:255], "signed_in": user.signed_in,
             "last_use": user.last_use} for account, user in wanted.items()]


_UserKey = tuple[str, str, bool, datetime | None]


def _user_set(rows: Iterable[Mapping[str, Any]]) -> set[_UserKey]:
    return {(row["account"], row["name"], bool(row["signed_in"]), row["last_use"]) for row in rows}


def _stored_user_rows(session: Session, machine_ids: Sequence[int]) -> dict[int, set[_UserKey]]:
    found: dict[int, set[_UserKey]] = {}
    for machine_id, account, name, signed_in, last_use in session.execute(
            select(MachineUser.machine_id, MachineUser.account, MachineUser.name, MachineUser.signed_in,
                   MachineUser.last_use).where(MachineUser.machine_id.in_(list(machine_ids)))):
        found.setdefault(machine_id, set()).add((account, name, bool(signed_in), last_use))
    return found


def machine_users(session: Session, machine_id: int) -> list[MachineUserRow]:
    """A machine's users, signed-in first then latest use, each with the official of its account."""
    rows = session.execute(select(MachineUser, Official.name).outerjoin(
        Official, (Official.account == MachineUser.account) & Official.retired_at.is_(None))
        .where(MachineUser.machine_id == machine_id))
    found = [MachineUserRow(account=u.account, name=u.name, signed_in=u.signed_in, last_use=u.last_use,
                            official=name) for u, name in rows]
    return sorted(found, key=lambda u: (not u.signed_in, -(u.last_use.timestamp() if u.last_use else 0)))


def machine_official(session: Session, machine_id: int) -> OfficialRow | None:
    """The official a machine is assigned to (None: nobody)."""
    found = session.execute(_rows(EVERYTHING).where(Official.machine_id == machine_id,
                                                    Official.retired_at.is_(None))).first()
    return _row(*found) if found else None
