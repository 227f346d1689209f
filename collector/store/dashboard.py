"""The dashboard's reads, each within a person's scope and paginated in SQL. Outside the scope
looks exactly like absent (collector.errors.NotFound)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models.alerts import Alert
from collector.models.lan import LanDevice
from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness
from collector.models.reports import StoredReport
from collector.models.units import Unit
from collector.store.lan import lan_devices_query, list_lan_devices
from collector.store.licences import LicenceRow, count_licences, licence_terms, list_licences
from collector.store.links import count_links, link_states
from collector.store.machines import MachineSummary, _to_row
from collector.store.products import licence_installs
from collector.store.scope import Scope
from collector.store.snmp import count_snmp_devices, list_snmp_devices
from collector.store.units import get_unit

PAGE_SIZE = 50
SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("open", "acknowledged", "resolved")


@dataclass(frozen=True)
class Paged:
    items: list[Any]
    total: int
    page: int
    pages: int


def paged(items: list[Any], total: int, page: int) -> Paged:
    return Paged(items=items, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)))


@dataclass(frozen=True)
class MachineLine:
    machine: MachineSummary
    readiness: MachineReadiness | None
    open_alerts: int


def machines_page(session: Session, scope: Scope, unit: str | None, text: str, role: str | None,
                  page: int) -> Paged:
    """A page of machines (by hostname) with their readiness flags and open alert count.

    The page's machine ids are found first, sorting (hostname, id) pairs only: sorting whole
    machine rows, stored report included, for every page of a province was most of the cost."""
    query = select(Machine.id)
    if unit or scope.unit_path is not None:
        query = query.join(Unit, Machine.unit_id == Unit.id).where(scope.units_clause())
    if unit:
        query = query.where(Unit.path.startswith(get_unit(session, unit, scope).path, autoescape=True))
    if text:
        literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Machine.hostname.ilike(f"%{literal}%", escape="\\"))
    if role:
        query = query.where(Machine.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(Machine.hostname, Machine.id)
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    found = {m.id: (m, u) for m, u in session.execute(select(Machine, Unit).join(Unit, Machine.unit_id == Unit.id)
                                                      .where(Machine.id.in_(ids)))} if ids else {}
    flags = {r.machine_id: r for r in session.scalars(select(MachineReadiness)
                                                      .where(MachineReadiness.machine_id.in_(ids)))} if ids else {}
    alerts = dict(session.execute(select(Alert.machine_id, func.count()).where(
        Alert.machine_id.in_(ids), Alert.status != "resolved").group_by(Alert.machine_id)).all()) if ids else {}
    lines = [MachineLine(_to_row(*found[i]), flags.get(i), int(alerts.get(i, 0))) for i in ids]
    return paged(lines, total, page)


@dataclass(frozen=True)
class HistoryLine:
    sequence: int
    received_at: datetime
    collected_at: datetime


def machine_history(session: Session, machine_id: int, limit: int = 30) -> list[HistoryLine]:
    """The newest reports of a machine (callers check scope first, through get_machine)."""
    rows = session.execute(select(StoredReport.sequence, StoredReport.received_at, StoredReport.collected_at)
                           .where(StoredReport.machine_id == machine_id)
                           .order_by(StoredReport.sequence.desc()).limit(limit))
    return [HistoryLine(*row) for row in rows]


def machine_alerts(session: Session, machine_id: int) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.machine_id == machine_id)
                                .order_by(Alert.status, Alert.last_seen_at.desc())))


def alert_counts(session: Session, scope: Scope, unit_path: str | None = None) -> dict[str, dict[str, int]]:
    """Open and acknowledged alerts by severity: {"open": {"high": 8, ...}, "acknowledged": {...}}."""
    query = (select(Alert.status, Alert.severity, func.count())
             .where(Alert.status != "resolved").group_by(Alert.status, Alert.severity))
    units = select(Unit.id).where(scope.units_clause())
    if unit_path:
        units = units.where(Unit.path.startswith(unit_path, autoescape=True))
    if scope.unit_path is not None or not _everything(session, unit_path):
        # By unit id: a commune's count seeks its own units' alerts (ix_alerts_unit_status). The
        # whole tree (a province's overview) needs no filter: a list of every unit id costs more.
        query = query.where(Alert.unit_id.in_(units.scalar_subquery()))
    counts: dict[str, dict[str, int]] = {"open": {}, "acknowledged": {}}
    for status, severity, count in session.execute(query):
        counts.setdefault(status, {})[severity] = int(count)
    return counts


def _everything(session: Session, unit_path: str | None) -> bool:
    """Whether the subtree at ``unit_path`` (None: no subtree asked) holds every unit."""
    if unit_path is None:
        return True
    outside = select(Unit.id).where(~Unit.path.startswith(unit_path, autoescape=True)).limit(1)
    return session.scalar(outside) is None


def alerts_page(session: Session, scope: Scope, status: str | None, severity: str | None, unit: str | None,
                page: int) -> Paged:
    """Alerts by severity then newest change (rows of Alert, unit code, hostname)."""
    query = (select(Alert, Unit.code, Machine.hostname).join(Unit, Alert.unit_id == Unit.id)
             .outerjoin(Machine, Alert.machine_id == Machine.id).where(scope.units_clause()))
    if status:
        query = query.where(Alert.status == status)
    if severity:
        query = query.where(Alert.severity == severity)
    if unit:
        query = query.where(Unit.path.startswith(get_unit(session, unit, scope).path, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Alert.id).subquery())) or 0
    rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=Alert.severity, else_=len(SEVERITIES))
    rows = session.execute(query.order_by(rank, Alert.last_seen_at.desc(), Alert.id.desc())
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return paged([tuple(r) for r in rows], total, page)


def recent_alerts(session: Session, scope: Scope, unit_path: str, limit: int = 8,
                  open_counts: Mapping[str, int] | None = None) -> list[tuple[Alert, str, str]]:
    """The most severe, then newest, open alerts of a subtree (no count: the overview shows those).
    ``open_counts`` (the subtree's open alerts by severity, from :func:`alert_counts`) skips the
    severities it has none of.

    One severity at a time, each newest first from ix_alerts_status_severity_seen and stopping at
    ``limit``: sorting every open alert of a province by a severity rank cannot use an index."""
    found: list[tuple[Alert, str, str]] = []
    for severity in (*SEVERITIES, None):
        wanted = limit - len(found)
        if wanted <= 0:
            break
        if open_counts is not None:
            wanted = min(wanted, _uncounted(open_counts) if severity is None else open_counts.get(severity, 0))
        if wanted > 0:
            found += _open_alerts(session, scope, unit_path, severity, wanted)
    return found


def _uncounted(open_counts: Mapping[str, int]) -> int:
    return sum(n for severity, n in open_counts.items() if severity not in SEVERITIES)


def _open_alerts(session: Session, scope: Scope, unit_path: str, severity: str | None,
                 limit: int) -> list[tuple[Alert, str, str]]:
    """Newest first, the open alerts of ``severity`` (None: of a severity outside SEVERITIES)."""
    rows = session.execute(select(Alert, Unit.code, Machine.hostname).join(Unit, Alert.unit_id == Unit.id)
                           .outerjoin(Machine, Alert.machine_id == Machine.id)
                           .where(scope.units_clause(), Alert.status == "open",
                                  Alert.severity.not_in(SEVERITIES) if severity is None else Alert.severity == severity,
                                  Unit.path.startswith(unit_path, autoescape=True))
                           .order_by(Alert.last_seen_at.desc(), Alert.id.desc()).limit(limit))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def top_unit(session: Session, scope: Scope) -> Unit:
    """The top of the person's subtree (the first root for everything); NotFound when empty."""
    found = session.scalar(select(Unit).where(scope.units_clause()).order_by(Unit.path).limit(1))
    if found is None:
        raise NotFound("no unit in your scope", code="unit_not_found")
    return found


@dataclass(frozen=True)
class UnitNode:
    unit: Unit
    depth: int
    machines: int
    open_alerts: int


def unit_tree(session: Session, scope: Scope, limit: int = 2000) -> list[UnitNode]:
    """Units in scope, parents before children, with machine and open-alert counts (one query each)."""
    units = list(session.scalars(select(Unit).where(scope.units_clause()).order_by(Unit.path).limit(limit)))
    if not units:
        return []
    ids = [u.id for u in units]
    machines = dict(session.execute(select(Machine.unit_id, func.count()).where(Machine.unit_id.in_(ids))
                                    .group_by(Machine.unit_id)).all())
    alerts = dict(session.execute(select(Alert.unit_id, func.count()).where(
        Alert.unit_id.in_(ids), Alert.status != "resolved").group_by(Alert.unit_id)).all())
    top = min(u.path.count("/") for u in units)
    return [UnitNode(u, u.path.count("/") - top, int(machines.get(u.id, 0)), int(alerts.get(u.id, 0)))
            for u in units]


def unit_trail(session: Session, unit: Unit, scope: Scope) -> list[Unit]:
    """The unit's ancestors within the scope, then the unit (for breadcrumbs)."""
    ids = [int(i) for i in unit.path.strip("/").split("/")]
    rows = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids), scope.units_clause()))}
    return [rows[i] for i in ids if i in rows]


@dataclass(frozen=True)
class LicenceLine:
    licence: LicenceRow
    installs: int
    expired: bool


def licence_lines(session: Session, scope: Scope, today: date, page: int = 1) -> Paged:
    """A page of the register in scope with each entry's installs (machines of its subtree in
    scope naming the product), both in SQL: the entries paged, the installs counted for the
    page's entries only (collector.store.products)."""
    total = count_licences(session, scope)
    rows = list_licences(session, scope, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if not rows:
        return paged([], total, page)
    terms = {t.id: t for t in licence_terms(session)}
    counts = licence_installs(session, scope, [terms[row.id] for row in rows])
    return paged([LicenceLine(row, counts[row.id], row.expires_on < today) for row in rows], total, page)


@dataclass(frozen=True)
class NetworkPage:
    links: Paged
    unknown: Paged
    lan: Paged
    snmp: Paged


def network_page(session: Session, scope: Scope, now: datetime, links: int = 1, unknown: int = 1, lan: int = 1,
                 snmp: int = 1) -> NetworkPage:
    """The network page's four lists, each counted and paged in SQL (its own page number)."""
    def count(query: Any) -> int:
        return session.scalar(select(func.count()).select_from(query.with_only_columns(LanDevice.id).subquery())) or 0

    def skip(page: int) -> int:
        return (page - 1) * PAGE_SIZE

    return NetworkPage(
        links=paged(link_states(session, scope, now, limit=PAGE_SIZE, offset=skip(links)),
                    count_links(session, scope), links),
        unknown=paged(list_lan_devices(session, scope, PAGE_SIZE, skip(unknown), unknown_only=True),
                      count(lan_devices_query(scope, unknown_only=True)), unknown),
        lan=paged(list_lan_devices(session, scope, PAGE_SIZE, skip(lan)), count(lan_devices_query(scope)), lan),
        snmp=paged(list_snmp_devices(session, scope, PAGE_SIZE, skip(snmp)), count_snmp_devices(session, scope),
                   snmp))
