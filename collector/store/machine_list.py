"""The machine list as people search it: filters, sort by any column, a page of it or all of it
(the export). One query shape for both, so an export holds exactly what the page shows.

Search matches the host name or the machine's search text (serial number, MAC and IP addresses, its
users' accounts: collector.store.machine_search, written when a report becomes the machine's current
state), case-insensitively; a MAC typed in any spelling is found in the reports' one (``aa:bb:..``).
No stored report is read."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select
from sqlalchemy.orm import Session

from agent.wire.schema import SCHEMA_VERSION, normalise_mac
from collector.models.alerts import Alert
from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness
from collector.models.units import Unit
from collector.store.machines import MachineLine, _flags, _to_row
from collector.store.paging import PAGE_SIZE, Paged, offset_of, paged
from collector.store.scope import Scope
from collector.store.units import get_unit
from rules.lifecycle import AlertStatus

EXPORT_LIMIT = 100_000
"""At most this many rows in one export (a province has about 30,000 PCs)."""

INDICATORS = ("av_installed", "av_licensed", "av_up_to_date", "os_activated", "backup_ok", "has_lan",
              "has_internet", "has_dedicated_line", "hardware_ok", "has_signing_cert")
"""The readiness columns a machine can be found failing (collector.models.readiness)."""


class SortKey(enum.StrEnum):
    HOSTNAME = "hostname"
    UNIT = "unit"
    OS = "os"
    ANTIVIRUS = "av_installed"
    SIGNATURES = "av_up_to_date"
    OS_ACTIVATED = "os_activated"
    BACKUP = "backup_ok"
    INTERNET = "has_internet"
    ALERTS = "alerts"
    LAST_REPORT = "last_report"


class MachineFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What the list shows; every field's empty value means "no filter"."""

    unit: str | None = None
    text: str = ""
    role: str | None = None
    problems: bool = False
    """Only machines with an open or acknowledged alert."""
    failing: str | None = None
    """One of INDICATORS: only machines where it is false."""
    silent_days: int | None = None
    """Only machines whose newest report is older than this many days (or that never reported)."""
    old_agent: bool = False
    """Only machines whose agent is not at the collector's version (or an older report schema)."""
    sort: SortKey = SortKey.HOSTNAME
    descending: bool = False


def _open_alerts() -> Select[tuple[int, int]]:
    return (select(Alert.machine_id, func.count().label("n")).where(Alert.status != AlertStatus.RESOLVED)
            .group_by(Alert.machine_id))


def _search(text: str) -> ColumnElement[bool]:
    """The host name (any case) or the search text (stored in lower case; a MAC in any spelling)."""
    literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    terms = [Machine.hostname.ilike(f"%{literal}%", escape="\\"),
             Machine.search_text.contains(text.lower(), autoescape=True)]
    mac = normalise_mac(text) if len(text) >= 12 else ""
    if mac and mac != text.lower():
        terms.append(Machine.search_text.contains(mac))
    return or_(*terms)


READINESS_SORTS = {SortKey.ANTIVIRUS, SortKey.SIGNATURES, SortKey.OS_ACTIVATED, SortKey.BACKUP,
                   SortKey.INTERNET}


def _query(session: Session, scope: Scope, wanted: MachineFilter, now: datetime, collector_version: str,
           ) -> Select[tuple[int]]:
    """The ids of the machines ``wanted``, in the list's order. Joins only what the filter or the
    order needs: the plain list (by host name) reads the machines table alone, as it did before
    sorting and filters existed (bench/dashboard.py)."""
    query = select(Machine.id)
    if scope.unit_path is not None or wanted.unit or wanted.sort is SortKey.UNIT:
        query = query.join(Unit, Machine.unit_id == Unit.id).where(scope.units_clause())
    if wanted.unit:
        query = query.where(Unit.path.startswith(get_unit(session, wanted.unit, scope).path, autoescape=True))
    if wanted.failing in INDICATORS:
        query = query.join(MachineReadiness, MachineReadiness.machine_id == Machine.id).where(
            getattr(MachineReadiness, wanted.failing).is_(false()))
    elif wanted.sort in READINESS_SORTS:
        query = query.outerjoin(MachineReadiness, MachineReadiness.machine_id == Machine.id)
    for condition in _conditions(wanted, now, collector_version):
        query = query.where(condition)
    return _ordered(query, wanted)


def _conditions(wanted: MachineFilter, now: datetime, collector_version: str) -> list[ColumnElement[bool]]:
    conditions = [_search(wanted.text)] if wanted.text else []
    if wanted.role:
        conditions.append(Machine.role == wanted.role)
    if wanted.problems:
        conditions.append(exists().where(Alert.machine_id == Machine.id, Alert.status != AlertStatus.RESOLVED))
    if wanted.silent_days is not None:
        since = now - timedelta(days=wanted.silent_days)
        conditions.append(or_(Machine.last_seen_at.is_(None), Machine.last_seen_at < since))
    if wanted.old_agent:
        conditions += [Machine.report_schema > 0, or_(Machine.report_schema < SCHEMA_VERSION,
                                                      Machine.agent_version != collector_version)]
    return conditions


def _ordered(query: Select[tuple[int]], wanted: MachineFilter) -> Select[tuple[int]]:
    tie = (Machine.hostname.desc(), Machine.id.desc()) if wanted.descending else (Machine.hostname, Machine.id)
    if wanted.sort is SortKey.HOSTNAME:
        return query.order_by(*tie)
    if wanted.sort is SortKey.ALERTS:
        alerts = _open_alerts().subquery()
        query = query.outerjoin(alerts, alerts.c.machine_id == Machine.id)
        column: ColumnElement[object] = func.coalesce(alerts.c.n, 0)
    else:
        column = SORT_COLUMNS[wanted.sort]
    ordered = column.desc() if wanted.descending else column.asc()
    return query.order_by(ordered.nulls_last(), Machine.hostname, Machine.id)


SORT_COLUMNS: dict[SortKey, ColumnElement[object]] = {
    SortKey.UNIT: Unit.name, SortKey.OS: Machine.os_name,
    SortKey.ANTIVIRUS: MachineReadiness.av_installed, SortKey.SIGNATURES: MachineReadiness.av_up_to_date,
    SortKey.OS_ACTIVATED: MachineReadiness.os_activated, SortKey.BACKUP: MachineReadiness.backup_ok,
    SortKey.INTERNET: MachineReadiness.has_internet, SortKey.LAST_REPORT: Machine.last_seen_at}
"""The column each sort orders by (host name and open alerts are ordered in :func:`_ordered`)."""


def lines_of(session: Session, ids: list[int]) -> list[MachineLine]:
    """The list lines of machines ``ids``, in that order (read 500 at a time)."""
    found: dict[int, tuple[Machine, Unit]] = {}
    flags = {}
    counts: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update({m.id: (m, u) for m, u in session.execute(
            select(Machine, Unit).join(Unit, Machine.unit_id == Unit.id).where(Machine.id.in_(chunk)))})
        flags.update({r.machine_id: _flags(r) for r in session.scalars(
            select(MachineReadiness).where(MachineReadiness.machine_id.in_(chunk)))})
        counts.update({int(m): int(n) for m, n in session.execute(
            _open_alerts().where(Alert.machine_id.in_(chunk))).all()})
    return [MachineLine(machine=_to_row(*found[i]), readiness=flags.get(i), open_alerts=counts.get(i, 0))
            for i in ids]


def find_machines(session: Session, scope: Scope, wanted: MachineFilter, now: datetime, collector_version: str,
                  page: int = 1) -> Paged[MachineLine]:
    """One page of the machines ``wanted`` in ``scope`` with their readiness flags and open alerts."""
    query = _query(session, scope, wanted, now, collector_version)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    ids = list(session.scalars(query.limit(PAGE_SIZE).offset(offset_of(page))))
    return paged(lines_of(session, ids), total, page)


def all_machines(session: Session, scope: Scope, wanted: MachineFilter, now: datetime, collector_version: str,
                 limit: int = EXPORT_LIMIT) -> list[MachineLine]:
    """Every machine ``wanted`` (at most ``limit``), in the list's order: what an export holds."""
    query = _query(session, scope, wanted, now, collector_version)
    return lines_of(session, list(session.scalars(query.limit(limit))))
