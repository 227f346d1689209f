"""The LAN: recording what a sweep (or the passive listener) saw, linking each MAC to the enrolled
machine that reports it, listing devices within a person's scope; the subnets the scheduled scan
sweeps, the devices a person declared known, and what the rules read of it all (:class:`LanFacts`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from agent.wire.schema import Role, normalise_mac
from collector.errors import InvalidInput, NotFound
from collector.models.lan import KnownLanDevice, LanDevice, LanSubnet, LanSweep
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.network.arp import Seen, vendor_of
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit


class MachineRef(msgspec.Struct, frozen=True):
    id: int
    hostname: str
    role: str
    unit_id: int


class SweepDevice(msgspec.Struct, frozen=True, kw_only=True):
    ip: str
    mac: str
    vendor: str
    new: bool
    """Not seen by any earlier sweep or listener."""
    machine_id: int | None = None
    hostname: str = ""
    role: str = ""
    """The linked machine's role; "offline" is the PC that must never be on a network."""


class SweepSummary(msgspec.Struct, kw_only=True):
    subnet: str
    unit_code: str | None
    started_at: datetime
    duration_s: float
    found: int
    new: int
    no_agent: int
    """Devices that no enrolled machine reports (printers, phones, routers, unknown PCs)."""
    offline_seen: list[SweepDevice]
    """Offline PCs (role "offline") whose MAC answered: a critical incident."""
    devices: list[SweepDevice]


class LanDeviceRow(msgspec.Struct, kw_only=True):
    id: int
    mac: str
    ip: str
    vendor: str
    unit_code: str | None
    machine_id: int | None
    hostname: str
    role: str
    first_seen_at: datetime
    last_seen_at: datetime
    seen_by: str
    known_note: str | None = None
    """A device without an agent that a person declared known (the router, a printer): its note;
    None for one nobody declared (what the ``lan.unknown_device`` rule counts)."""


# Only what linking needs of a stored report; other fields are ignored when decoding.
class _Interface(msgspec.Struct):
    mac: str = ""


class _Network(msgspec.Struct):
    interfaces: list[_Interface] = []


class _State(msgspec.Struct):
    network: _Network | None = None


def report_macs(state_json: str | None) -> list[str]:
    """The MACs of a stored report's network interfaces (normalised); [] when none or unreadable."""
    if not state_json:
        return []
    try:
        state = msgspec.json.decode(state_json, type=_State)
    except msgspec.ValidationError:
        return []
    interfaces = state.network.interfaces if state.network else []
    return [mac for mac in (normalise_mac(item.mac) for item in interfaces) if mac]


def machines_by_mac(session: Session) -> dict[str, MachineRef]:
    """Every enrolled machine's MACs, from its latest report."""
    rows = session.execute(select(Machine.id, Machine.hostname, Machine.role, Machine.unit_id, Machine.state_json)
                           .where(Machine.state_json.is_not(None)))
    found: dict[str, MachineRef] = {}
    for row in rows:
        for mac in report_macs(row.state_json):
            found[mac] = MachineRef(row.id, row.hostname, row.role, row.unit_id)
    # A machine declared without an agent is known by the MAC it was declared from.
    for machine_id, hostname, role, unit_id, uid in session.execute(
            select(Machine.id, Machine.hostname, Machine.role, Machine.unit_id, Machine.machine_uid)
            .where(Machine.agentless.is_(True))):
        found.setdefault(uid.removeprefix("agentless:"), MachineRef(machine_id, hostname, role, unit_id))
    return found


def classify_seen(seen: Iterable[Seen], known_macs: set[str], machines: dict[str, MachineRef]) -> list[SweepDevice]:
    """Pure: each seen device with its vendor, whether it is new, and the machine it belongs to."""
    devices = []
    for item in seen:
        machine = machines.get(item.mac)
        devices.append(SweepDevice(ip=item.ip, mac=item.mac, vendor=vendor_of(item.mac), new=item.mac not in known_macs,
                                   machine_id=machine.id if machine else None,
                                   hostname=machine.hostname if machine else "", role=machine.role if machine else ""))
    return devices


def record_seen(session: Session, seen: list[Seen], now: datetime, unit_id: int | None,
                seen_by: str = "sweep") -> list[SweepDevice]:
    """Store (insert or refresh) each seen device and link it to its machine; returns them classified."""
    macs = [item.mac for item in seen]
    existing = {row.mac: row for row in session.scalars(select(LanDevice).where(LanDevice.mac.in_(macs)))} \
        if macs else {}
    machines = machines_by_mac(session)
    devices = classify_seen(seen, set(existing), machines)
    for device in devices:
        row = existing.get(device.mac)
        if row is None:
            row = LanDevice(mac=device.mac, first_seen_at=now)
            session.add(row)
        machine = machines.get(device.mac)
        row.ip, row.vendor, row.last_seen_at, row.seen_by = device.ip, device.vendor, now, seen_by
        row.machine_id = machine.id if machine else None
        row.unit_id = unit_id or (machine.unit_id if machine else None) or row.unit_id
    session.flush()
    return devices


def record_sweep(session: Session, seen: list[Seen], *, subnet: str, started_at: datetime, duration_s: float,
                 unit_code: str | None = None) -> SweepSummary:
    """Store one sweep's results; the summary says found / new / no agent / offline PCs seen."""
    unit = get_unit(session, unit_code) if unit_code else None
    devices = record_seen(session, seen, started_at, unit.id if unit else None)
    offline = [device for device in devices if device.role == Role.OFFLINE]
    no_agent = sum(1 for device in devices if device.machine_id is None)
    new = sum(1 for device in devices if device.new)
    session.add(LanSweep(unit_id=unit.id if unit else None, subnet=subnet, started_at=started_at,
                         duration_s=duration_s, found=len(devices), new=new, no_agent=no_agent,
                         offline_seen=len(offline)))
    return SweepSummary(subnet=subnet, unit_code=unit_code, started_at=started_at, duration_s=duration_s,
                        found=len(devices), new=new, no_agent=no_agent, offline_seen=offline, devices=devices)


def _devices_query(scope: Scope, unknown_only: bool = False) -> Select[LanDevice, str, str, str, str]:
    """LAN devices of units in scope (devices of no unit only for an unscoped admin), with the note of
    those declared known; with ``unknown_only``, those no agent's machine matches."""
    query = (select(LanDevice, Unit.code, Machine.hostname, Machine.role, KnownLanDevice.note)
             .outerjoin(Unit, LanDevice.unit_id == Unit.id).outerjoin(Machine, LanDevice.machine_id == Machine.id)
             .outerjoin(KnownLanDevice, KnownLanDevice.mac == LanDevice.mac)
             .where(scope.units_clause()))
    return query.where(LanDevice.machine_id.is_(None)) if unknown_only else query


def count_lan_devices(session: Session, scope: Scope, unknown_only: bool = False) -> int:
    query = _devices_query(scope, unknown_only).with_only_columns(LanDevice.id)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def list_lan_devices(session: Session, scope: Scope, limit: int = 1000, offset: int = 0,
                     unknown_only: bool = False) -> list[LanDeviceRow]:
    """LAN devices of units in scope, by IP; devices of no unit only for an unscoped admin."""
    query = _devices_query(scope, unknown_only).order_by(LanDevice.ip, LanDevice.id).limit(limit).offset(offset)
    return [LanDeviceRow(id=row.id, mac=row.mac, ip=row.ip, vendor=row.vendor, unit_code=code,
                         machine_id=row.machine_id, hostname=hostname or "", role=role or "",
                         first_seen_at=row.first_seen_at, last_seen_at=row.last_seen_at, seen_by=row.seen_by,
                         known_note=note)
            for row, code, hostname, role, note in session.execute(query)]


# --- what the scheduled scan sweeps, and the devices a person declared known ---------------------

class SavedSubnet(msgspec.Struct, frozen=True, kw_only=True):
    subnet: str
    iface: str
    """"" means the interface routing to the subnet."""
    max_prefix: int
    unit_code: str


def saved_subnets(session: Session, scope: Scope = EVERYTHING) -> list[SavedSubnet]:
    """Every subnet saved with ``scan lan --save`` (of a unit in ``scope``), in the order saved."""
    rows = session.execute(select(LanSubnet, Unit.code).join(Unit, LanSubnet.unit_id == Unit.id)
                           .where(scope.units_clause()).order_by(LanSubnet.id))
    return [SavedSubnet(subnet=row.subnet, iface=row.iface, max_prefix=row.max_prefix, unit_code=code)
            for row, code in rows]


def save_subnet(session: Session, subnet: str, unit_code: str, iface: str, max_prefix: int,
                now: datetime, scope: Scope = EVERYTHING, actor: str = "cli") -> SavedSubnet:
    """Keep ``subnet`` (already checked) for every scan; saving it again updates unit and interface
    (a subnet saved for a unit outside ``scope`` is NotFound, as if absent)."""
    unit = get_unit(session, unit_code, scope)
    row = session.scalar(select(LanSubnet).where(LanSubnet.subnet == subnet))
    if row is not None and scope.unit_path is not None:
        owner = session.get(Unit, row.unit_id)
        if owner is None or not owner.path.startswith(scope.unit_path):
            raise NotFound(f"no subnet {subnet} in your units", code="subnet_not_found")
    record_audit(session, actor, AuditAction.SUBNET_SAVED, now, f"subnet:{subnet}", unit.id,
                 f"interface {iface or 'routed'}, at most /{max_prefix}")
    if row is None:
        row = LanSubnet(subnet=subnet, created_at=now)
        session.add(row)
    row.unit_id, row.iface, row.max_prefix = unit.id, iface, max_prefix
    session.flush()
    return SavedSubnet(subnet=row.subnet, iface=row.iface, max_prefix=row.max_prefix, unit_code=unit.code)


def declare_known(session: Session, mac: str, note: str, now: datetime, scope: Scope = EVERYTHING,
                  actor: str = "cli") -> str:
    """Mark a MAC as a known device (idempotent; the note is replaced); returns the MAC, normalised.
    Within a unit's ``scope``, only a device seen on that subtree's LAN (NotFound otherwise)."""
    normalised = normalise_mac(mac)
    if not normalised:
        raise InvalidInput(f"{mac!r} is not a MAC address", code="invalid_mac")
    seen_in = session.scalar(select(LanDevice.unit_id).outerjoin(Unit, LanDevice.unit_id == Unit.id)
                             .where(LanDevice.mac == normalised, scope.units_clause()))
    if scope.unit_path is not None and seen_in is None:
        raise NotFound(f"no LAN device {normalised} seen in your units", code="lan_device_not_found")
    record_audit(session, actor, AuditAction.LAN_DEVICE_KNOWN, now, f"mac:{normalised}", seen_in, note[:200])
    row = session.scalar(select(KnownLanDevice).where(KnownLanDevice.mac == normalised))
    if row is None:
        row = KnownLanDevice(mac=normalised, declared_at=now)
        session.add(row)
    row.note = note
    session.flush()
    return normalised


# --- what the rules read of the LAN ---------------------------------------------------------------

@dataclass
class LanFacts:
    """What the rules read of the LAN (plain values; missing keys mean "not known")."""

    lan_swept: bool = False
    """Some sweep or listener ever recorded a device: a MAC not seen is then "not seen", not unknown."""
    mac_seen_at: dict[int, datetime] = field(default_factory=dict)
    """Machine id -> the last time a sweep or the listener saw one of its MACs."""
    unknown_devices: dict[int, int] = field(default_factory=dict)
    """Unit id -> devices on the unit's own LANs with no enrolled machine and not declared known."""
    no_agent: dict[int, int] = field(default_factory=dict)
    """Unit id -> devices on the unit's own LANs with no enrolled machine (known ones included)."""

    def mac_seen_since(self, machine_id: int, last_seen_at: datetime | None) -> bool | None:
        """The machine's MAC was seen on a LAN after its last report; None when no LAN was ever swept."""
        if not self.lan_swept:
            return None
        seen_at = self.mac_seen_at.get(machine_id)
        return seen_at is not None and (last_seen_at is None or seen_at > last_seen_at)


def lan_facts(session: Session) -> LanFacts:
    """The stored LAN state the rules read (sweeps and listener results so far)."""
    facts = LanFacts()
    facts.lan_swept = bool(session.scalar(select(func.count(LanDevice.id)))) or \
        bool(session.scalar(select(func.count(LanSweep.id))))
    seen = session.execute(select(LanDevice.machine_id, func.max(LanDevice.last_seen_at))
                           .where(LanDevice.machine_id.is_not(None)).group_by(LanDevice.machine_id))
    facts.mac_seen_at = {machine_id: at for machine_id, at in seen if machine_id is not None}
    known = set(session.scalars(select(KnownLanDevice.mac)))
    unknown: dict[int, int] = defaultdict(int)
    no_agent: dict[int, int] = defaultdict(int)
    for unit_id, mac in session.execute(select(LanDevice.unit_id, LanDevice.mac).where(
            LanDevice.machine_id.is_(None), LanDevice.unit_id.is_not(None))):
        if unit_id is None:
            continue
        no_agent[unit_id] += 1
        unknown[unit_id] += mac not in known
    facts.unknown_devices, facts.no_agent = dict(unknown), dict(no_agent)
    return facts
