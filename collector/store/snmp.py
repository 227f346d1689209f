"""SNMP devices (configured per unit), their polls, and the links they carry (dedicated data
line, Internet uplink). Credentials are stored but never listed; ``env:NAME`` secrets are read
from the environment when a target is built."""

from __future__ import annotations

import json
import os
from datetime import datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.errors import Conflict, InvalidInput, NotFound
from collector.models.links import LinkKind, NetworkLink
from collector.models.snmp import SnmpDevice, SnmpPoll
from collector.models.units import Unit
from collector.network.snmp import (
    V3,
    Credentials,
    PollResult,
    SnmpErrorKind,
    SnmpInterface,
    SnmpTarget,
    check_credentials,
)
from collector.network.snmp_delta import Change, InterfaceUsage, interface_usage, poll_changes
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit

_CREDENTIALS = msgspec.json.Decoder(Credentials)
_INTERFACES = msgspec.json.Decoder(list[SnmpInterface])


class PollOutcome(msgspec.Struct, kw_only=True):
    """A stored poll compared with the one before it."""

    device_id: int
    changes: list[Change]
    usage: list[InterfaceUsage]


class SnmpDeviceRow(msgspec.Struct, kw_only=True):
    id: int
    name: str
    host: str
    port: int
    unit_code: str
    version: str
    last_polled_at: datetime | None
    ok: bool | None
    error: str
    sys_name: str
    sys_descr: str
    sys_location: str
    uptime_s: float | None
    interfaces: list[SnmpInterface]


def add_snmp_device(session: Session, unit_code: str, name: str, host: str, port: int, credentials: Credentials,
                    now: datetime, scope: Scope = EVERYTHING, actor: str = "cli") -> SnmpDevice:
    """Configure a device of a unit in ``scope`` to poll; Conflict when host:port is already
    configured. The audit log names the device, never its credentials."""
    try:
        check_credentials(_resolved(credentials))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    unit = get_unit(session, unit_code, scope)
    if session.scalar(select(SnmpDevice.id).where(SnmpDevice.host == host, SnmpDevice.port == port)) is not None:
        raise Conflict(f"SNMP device {host}:{port} is already configured", code="device_exists")
    device = SnmpDevice(unit_id=unit.id, name=name or host, host=host, port=port,
                        credentials_json=msgspec.json.encode(credentials).decode(), created_at=now)
    session.add(device)
    session.flush()
    version = "v3" if isinstance(credentials, V3) else "v2c"
    record_audit(session, actor, AuditAction.SNMP_DEVICE_ADDED, now, f"snmp:{device.id}", unit.id,
                 f"{device.name} {host}:{port} SNMP{version}")
    return device


def set_link(session: Session, unit_code: str, kind: LinkKind, device_id: int | None, interface: str,
             targets: list[str], scope: Scope = EVERYTHING) -> NetworkLink:
    """Configure (or replace) a unit's dedicated-line or Internet link."""
    unit = get_unit(session, unit_code, scope)
    link = session.scalar(select(NetworkLink).where(NetworkLink.unit_id == unit.id, NetworkLink.kind == kind))
    if link is None:
        link = NetworkLink(unit_id=unit.id, kind=str(kind))
        session.add(link)
    link.device_id, link.interface, link.targets_json = device_id, interface, json.dumps(targets)
    session.flush()
    return link


def find_device(session: Session, host: str, port: int) -> SnmpDevice | None:
    return session.scalar(select(SnmpDevice).where(SnmpDevice.host == host, SnmpDevice.port == port))


def configured_device_id(session: Session, target: SnmpTarget) -> int | None:
    """The configured device this target polls, with the same credentials; None otherwise (an ad
    hoc poll with other credentials must not enter the device's history)."""
    device = find_device(session, target.host, target.port)
    if device is None:
        return None
    try:
        same = _resolved(_CREDENTIALS.decode(device.credentials_json)) == target.credentials
    except InvalidInput:
        return None
    return device.id if same else None


def _resolved(credentials: Credentials) -> Credentials:
    def secret(value: str) -> str:
        if value.startswith("env:"):
            name = value[4:]
            if name not in os.environ:
                raise InvalidInput(f"secret {value!r}: environment variable {name} is not set")
            return os.environ[name]
        return value

    if isinstance(credentials, V3):
        return msgspec.structs.replace(credentials, auth_key=secret(credentials.auth_key),
                                       priv_key=secret(credentials.priv_key))
    return msgspec.structs.replace(credentials, community=secret(credentials.community))


def configured_targets(session: Session, **options: float) -> list[tuple[int, SnmpTarget]]:
    """Every configured device as (device id, target), secrets resolved."""
    devices = session.scalars(select(SnmpDevice).order_by(SnmpDevice.id))
    return [(device.id, SnmpTarget(host=device.host, port=device.port,
                                   credentials=_resolved(_CREDENTIALS.decode(device.credentials_json)), **options))
            for device in devices]


def record_poll(session: Session, device_id: int, result: PollResult) -> PollOutcome:
    """Store a poll; its changes and utilisation against the device's previous poll."""
    previous = latest_poll(session, device_id)
    session.add(SnmpPoll(device_id=device_id, polled_at=result.polled_at, ok=result.ok,
                         error_kind=str(result.error_kind or ""), error=result.error, sys_name=result.sys_name,
                         sys_descr=result.sys_descr, sys_location=result.sys_location,
                         uptime_ticks=result.uptime_ticks,
                         interfaces_json=msgspec.json.encode(result.interfaces).decode()))
    session.flush()
    if previous is None:
        return PollOutcome(device_id=device_id, changes=[], usage=[])
    return PollOutcome(device_id=device_id, changes=poll_changes(previous, result),
                       usage=interface_usage(previous, result))


def as_result(poll: SnmpPoll, device: SnmpDevice) -> PollResult:
    return PollResult(host=device.host, port=device.port, polled_at=poll.polled_at, elapsed_ms=0,
                      error_kind=SnmpErrorKind(poll.error_kind) if poll.error_kind else None, error=poll.error,
                      sys_name=poll.sys_name, sys_descr=poll.sys_descr, sys_location=poll.sys_location,
                      uptime_ticks=poll.uptime_ticks, interfaces=_INTERFACES.decode(poll.interfaces_json))


def latest_poll(session: Session, device_id: int) -> PollResult | None:
    device = session.get(SnmpDevice, device_id)
    if device is None:
        raise NotFound(f"no SNMP device {device_id}", code="device_not_found")
    poll = session.scalar(select(SnmpPoll).where(SnmpPoll.device_id == device_id)
                          .order_by(SnmpPoll.polled_at.desc(), SnmpPoll.id.desc()).limit(1))
    return as_result(poll, device) if poll else None


def polls_since(session: Session, device_id: int, since: datetime) -> list[PollResult]:
    """The device's polls from ``since`` on, oldest first."""
    device = session.get(SnmpDevice, device_id)
    if device is None:
        return []
    polls = session.scalars(select(SnmpPoll).where(SnmpPoll.device_id == device_id, SnmpPoll.polled_at >= since)
                            .order_by(SnmpPoll.polled_at, SnmpPoll.id))
    return [as_result(poll, device) for poll in polls]


def list_snmp_devices(session: Session, scope: Scope, limit: int | None = None, offset: int = 0) \
        -> list[SnmpDeviceRow]:
    """Configured devices of units in scope with their latest poll (never their credentials);
    ``limit`` and ``offset`` page them in SQL."""
    newest = (select(SnmpPoll.device_id, func.max(SnmpPoll.id).label("poll_id"))
              .group_by(SnmpPoll.device_id).subquery())
    query = (select(SnmpDevice, Unit.code, SnmpPoll).join(Unit, SnmpDevice.unit_id == Unit.id)
             .outerjoin(newest, newest.c.device_id == SnmpDevice.id)
             .outerjoin(SnmpPoll, SnmpPoll.id == newest.c.poll_id)
             .where(scope.units_clause()).order_by(SnmpDevice.name, SnmpDevice.id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [_device_row(device, code, poll) for device, code, poll in session.execute(query)]


def count_snmp_devices(session: Session, scope: Scope) -> int:
    return session.scalar(select(func.count()).select_from(SnmpDevice).join(Unit, SnmpDevice.unit_id == Unit.id)
                          .where(scope.units_clause())) or 0


def _device_row(device: SnmpDevice, unit_code: str, poll: SnmpPoll | None) -> SnmpDeviceRow:
    version = "v3" if isinstance(_CREDENTIALS.decode(device.credentials_json), V3) else "v2c"
    return SnmpDeviceRow(
        id=device.id, name=device.name, host=device.host, port=device.port, unit_code=unit_code, version=version,
        last_polled_at=poll.polled_at if poll else None, ok=poll.ok if poll else None,
        error=poll.error if poll else "", sys_name=poll.sys_name if poll else "",
        sys_descr=poll.sys_descr if poll else "", sys_location=poll.sys_location if poll else "",
        uptime_s=poll.uptime_ticks / 100 if poll and poll.uptime_ticks is not None else None,
        interfaces=_INTERFACES.decode(poll.interfaces_json) if poll else [])
