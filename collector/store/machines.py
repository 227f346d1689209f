"""Reading machines within a person's scope; outside the scope looks exactly like absent."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from agent.wire.schema import Role, normalise_mac
from collector.errors import Conflict, InvalidInput, NotFound
from collector.models.lan import LanDevice
from collector.models.machines import Machine, MachineUsage
from collector.models.readiness import MachineReadiness
from collector.models.reports import StoredReport
from collector.models.units import Unit
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import Scope
from collector.store.units import get_unit


class MachineSummary(msgspec.Struct, kw_only=True):
    """A machine as lists show it (no report body); the API returns it as is."""

    id: int
    hostname: str
    unit_code: str
    unit_name: str
    role: str
    os_name: str
    last_seen_at: datetime | None
    """Collector clock of the newest report received."""
    last_collected_at: datetime | None
    """Agent clock of the report shown as the current state."""
    report_sequence: int
    usage: str = MachineUsage.PERSONAL
    """"personal", or "shared" (the one-stop desk, the scanner PC: nobody's own computer)."""
    agentless: bool = False
    """Declared by an officer from a LAN device: no agent reports from it (chưa cài phần mềm giám sát)."""


def _rows(scope: Scope) -> Select[Machine, Unit]:
    return select(Machine, Unit).join(Unit, Machine.unit_id == Unit.id).where(scope.units_clause())


def _to_row(machine: Machine, unit: Unit) -> MachineSummary:
    return MachineSummary(id=machine.id, hostname=machine.hostname, unit_code=unit.code, unit_name=unit.name,
                      role=machine.role, os_name=machine.os_name, last_seen_at=machine.last_seen_at,
                      last_collected_at=machine.last_collected_at, report_sequence=machine.state_sequence,
                      usage=machine.usage, agentless=machine.agentless)


def list_machines(session: Session, scope: Scope, unit_code: str | None = None, limit: int = 100,
                  offset: int = 0) -> tuple[list[MachineSummary], int]:
    """Machines in scope (and in ``unit_code``'s subtree when given), by hostname; plus the total."""
    query = _rows(scope)
    if unit_code is not None:
        unit = get_unit(session, unit_code, scope)
        query = query.where(Unit.path.startswith(unit.path, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.execute(query.order_by(Machine.hostname, Machine.id).limit(limit).offset(offset))
    return [_to_row(machine, unit) for machine, unit in page], total


def get_machine(session: Session, scope: Scope, machine_id: int) -> tuple[MachineSummary, str | None]:
    """One machine in scope and its latest report JSON (None before its first report)."""
    found = session.execute(_rows(scope).where(Machine.id == machine_id)).first()
    if found is None:
        raise NotFound(f"no machine {machine_id}", code="machine_not_found")
    machine, unit = found
    return _to_row(machine, unit), machine.state_json


class StoredState(msgspec.Struct, frozen=True, kw_only=True):
    """A machine's current state as the scan judges it."""

    id: int
    unit_id: int
    last_seen_at: datetime | None
    state_json: str
    state_sequence: int = 0


class CurrentAgent(msgspec.Struct, frozen=True, kw_only=True):
    """Which agent and report a machine's current state is, and where the machine is."""

    unit_id: int
    unit_path: str
    agent_id: str | None
    sequence: int


_MACHINES, _UNITS = Machine.__table__, Unit.__table__
_CURRENT_AGENT = (select(_MACHINES.c.unit_id, _UNITS.c.path, _MACHINES.c.current_agent_id, _MACHINES.c.state_sequence)
                  .join(_UNITS, _MACHINES.c.unit_id == _UNITS.c.id).where(_MACHINES.c.id == bindparam("machine_id")))
"""Built once, in Core: read for every report judged."""


def current_agent(session: Session, machine_id: int) -> CurrentAgent | None:
    row = session.execute(_CURRENT_AGENT, {"machine_id": machine_id}).first()
    if row is None:
        return None
    return CurrentAgent(unit_id=row.unit_id, unit_path=row.path, agent_id=row.current_agent_id,
                        sequence=row.state_sequence)


# --- the dashboard's reads ------------------------------------------------------------------

class ReadinessFlags(msgspec.Struct, frozen=True, kw_only=True):
    """A machine's readiness columns as its list shows them (None: not known)."""

    av_installed: bool | None
    av_licensed: bool | None
    av_up_to_date: bool | None
    os_activated: bool | None
    backup_ok: bool | None
    has_lan: bool | None
    has_internet: bool | None
    has_dedicated_line: bool | None


class MachineLine(msgspec.Struct, frozen=True, kw_only=True):
    machine: MachineSummary
    readiness: ReadinessFlags | None
    open_alerts: int


def _flags(row: MachineReadiness) -> ReadinessFlags:
    return ReadinessFlags(av_installed=row.av_installed, av_licensed=row.av_licensed, av_up_to_date=row.av_up_to_date,
                          os_activated=row.os_activated, backup_ok=row.backup_ok, has_lan=row.has_lan,
                          has_internet=row.has_internet, has_dedicated_line=row.has_dedicated_line)


class HistoryLine(msgspec.Struct, frozen=True, kw_only=True):
    sequence: int
    received_at: datetime
    collected_at: datetime


def machine_history(session: Session, machine_id: int, limit: int = 30) -> list[HistoryLine]:
    """The newest reports of a machine (callers check scope first, through get_machine)."""
    rows = session.execute(select(StoredReport.sequence, StoredReport.received_at, StoredReport.collected_at)
                           .where(StoredReport.machine_id == machine_id)
                           .order_by(StoredReport.sequence.desc()).limit(limit))
    return [HistoryLine(sequence=s, received_at=r, collected_at=c) for s, r, c in rows]


# --- machines the agent cannot run on, and machine usage ---------------------------------------

AGENTLESS_UID = "agentless:"
"""Prefix of a declared machine's uid, before the MAC it was declared from."""


class AgentlessMachine(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    unit_id: int
    unit_path: str
    role: str
    os_name: str
    mac: str
    seen_at: datetime
    """The LAN's last sight of it, else when it was declared: "in use" for the figures."""
    lan_seen: bool


def agentless_machines(session: Session, only_missing: bool = False) -> list[AgentlessMachine]:
    """Every declared machine with the LAN's last sight of its MAC (only those without a readiness row)."""
    seen = select(LanDevice.machine_id, func.max(LanDevice.last_seen_at).label("at")) \
        .where(LanDevice.machine_id.is_not(None)).group_by(LanDevice.machine_id).subquery()
    query = (select(Machine.id, Machine.unit_id, Unit.path, Machine.role, Machine.os_name, Machine.machine_uid,
                    Machine.created_at, seen.c.at).join(Unit, Machine.unit_id == Unit.id)
             .outerjoin(seen, seen.c.machine_id == Machine.id).where(Machine.agentless.is_(True)))
    if only_missing:
        query = query.where(~select(MachineReadiness.machine_id)
                            .where(MachineReadiness.machine_id == Machine.id).exists())
    return [AgentlessMachine(id=m, unit_id=u, unit_path=p, role=r, os_name=o, mac=uid.removeprefix(AGENTLESS_UID),
                             seen_at=max(created, at) if at else created, lan_seen=at is not None)
            for m, u, p, r, o, uid, created, at in session.execute(query)]


def declare_agentless(session: Session, scope: Scope, mac: str, hostname: str, os_name: str, now: datetime,
                      actor: str, unit_code: str | None = None, role: Role = Role.NORMAL,
                      usage: MachineUsage = MachineUsage.PERSONAL) -> MachineSummary:
    """Make a LAN device a machine of its unit (or ``unit_code``): a PC the agent cannot run on
    (Windows 7, 8.1...), counted in the figures with what is known. NotFound when the MAC was
    never seen on a LAN in scope; Conflict when it is an enrolled machine's or already declared."""
    normalised = normalise_mac(mac)
    if not normalised:
        raise InvalidInput(f"{mac!r} is not a MAC address", code="invalid_mac")
    if not hostname.strip() or len(hostname.strip()) > 255:
        raise InvalidInput("tên máy từ 1 đến 255 ký tự / a hostname of 1 to 255 characters", code="invalid_hostname")
    device = session.scalar(select(LanDevice).outerjoin(Unit, LanDevice.unit_id == Unit.id)
                            .where(LanDevice.mac == normalised, scope.units_clause()))
    if device is None:
        raise NotFound(f"no LAN device {normalised} in your scope (sweep the LAN first)", code="lan_device_not_found")
    if device.machine_id is not None:
        raise Conflict(f"{normalised} is already machine {device.machine_id}", code="already_a_machine")
    if unit_code is None and device.unit_id is None:
        raise InvalidInput("the device belongs to no unit: give the unit", code="unit_required")
    unit = get_unit(session, unit_code, scope) if unit_code else None
    unit_id = unit.id if unit else device.unit_id
    machine = Machine(machine_uid=f"{AGENTLESS_UID}{normalised}", unit_id=unit_id, hostname=hostname.strip(),
                      role=str(role), os_name=os_name.strip()[:255], created_at=now, usage=str(usage), agentless=True)
    session.add(machine)
    session.flush()
    device.machine_id = machine.id
    record_audit(session, actor, AuditAction.AGENTLESS_DECLARED, now, f"machine:{machine.id}", unit_id,
                 f"{normalised} {machine.hostname} ({machine.os_name or '?'}), {role}, {usage}")
    found = session.execute(_rows(scope).where(Machine.id == machine.id)).one()
    return _to_row(*found)


def set_machine_usage(session: Session, scope: Scope, machine_id: int, usage: MachineUsage, now: datetime,
                      actor: str) -> MachineSummary:
    """Mark a machine personal or shared (a shared one is nobody's computer in the officials figure)."""
    row, _ = get_machine(session, scope, machine_id)
    session.execute(update(Machine).where(Machine.id == machine_id).values(usage=str(usage)))
    unit_id = session.scalar(select(Machine.unit_id).where(Machine.id == machine_id))
    record_audit(session, actor, AuditAction.MACHINE_USAGE_SET, now, f"machine:{machine_id}", unit_id, str(usage))
    return msgspec.structs.replace(row, usage=str(usage))
