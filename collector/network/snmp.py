"""Polling routers and switches over SNMP (pysnmp 7, asyncio; v2c or v3 authPriv).

One poll reads the system group (sysName, sysDescr, sysUpTime, sysLocation) and the interface
table (IF-MIB ifTable, plus ifXTable's names, 64-bit counters and high speed where present).
Numeric OIDs only: pysnmp bundles no IF-MIB, and compiling one would fetch MIBs from the Internet.

A poll never raises for a device's fault: a silent device, a wrong community or a wrong key
comes back as a ``PollResult`` with ``error_kind`` set, after at most the target's own deadline.
Many devices are polled concurrently under a bound; one dead device delays none of the others.
pysnmp is imported inside the functions that poll, so importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import msgspec

from agent.wire import clock

SYS_OIDS = {
    "sys_descr": "1.3.6.1.2.1.1.1.0",
    "uptime_ticks": "1.3.6.1.2.1.1.3.0",  # TimeTicks, 1/100 s since the agent (re)started
    "sys_name": "1.3.6.1.2.1.1.5.0",
    "sys_location": "1.3.6.1.2.1.1.6.0",
}
# IF-MIB columns, ifTable (1.3.6.1.2.1.2.2.1.x) and ifXTable (1.3.6.1.2.1.31.1.1.1.x).
IF_COLUMNS = {
    "descr": "1.3.6.1.2.1.2.2.1.2",
    "speed": "1.3.6.1.2.1.2.2.1.5",  # bit/s, saturates at 2^32-1: use ifHighSpeed above that
    "admin_status": "1.3.6.1.2.1.2.2.1.7",
    "oper_status": "1.3.6.1.2.1.2.2.1.8",  # 1 up, 2 down, 3 testing, 5 dormant, 7 lowerLayerDown
    "in_octets32": "1.3.6.1.2.1.2.2.1.10",
    "out_octets32": "1.3.6.1.2.1.2.2.1.16",
    "name": "1.3.6.1.2.1.31.1.1.1.1",
    "in_octets64": "1.3.6.1.2.1.31.1.1.1.6",
    "out_octets64": "1.3.6.1.2.1.31.1.1.1.10",
    "high_speed": "1.3.6.1.2.1.31.1.1.1.15",  # Mbit/s
    "alias": "1.3.6.1.2.1.31.1.1.1.18",
}
AUTH_PROTOCOLS = {"MD5": "USM_AUTH_HMAC96_MD5", "SHA": "USM_AUTH_HMAC96_SHA",
                  "SHA224": "USM_AUTH_HMAC128_SHA224", "SHA256": "USM_AUTH_HMAC192_SHA256",
                  "SHA384": "USM_AUTH_HMAC256_SHA384", "SHA512": "USM_AUTH_HMAC384_SHA512"}
# AES-192/256 come in two key-extension variants; Net-SNMP speaks the Blumenthal one as "AES192C".
PRIV_PROTOCOLS = {"DES": "USM_PRIV_CBC56_DES", "3DES": "USM_PRIV_CBC168_3DES", "AES": "USM_PRIV_CFB128_AES",
                  "AES192": "USM_PRIV_CFB192_AES", "AES256": "USM_PRIV_CFB256_AES",
                  "AES192C": "USM_PRIV_CFB192_AES_BLUMENTHAL", "AES256C": "USM_PRIV_CFB256_AES_BLUMENTHAL"}
OPER_UP = 1
# GETBULK repetitions: start small (a router has a handful of interfaces, and an agent answers
# every repetition even past a column's end), double while every column still has rows.
_BULK_FIRST, _BULK_MAX = 8, 64
_MAX_BULK_CALLS = 200  # a 48-port switch needs ~25; more means a broken agent


class SnmpErrorKind(enum.StrEnum):
    NO_ANSWER = "no_answer"  # nothing came back: device down, wrong community, or wrong v3 privacy key
    AUTHENTICATION = "authentication"  # v3 user unknown, wrong auth key, or access refused
    ERROR = "error"  # anything else the agent or the transport reported


class V2c(msgspec.Struct, frozen=True, tag="v2c"):
    community: str


class V3(msgspec.Struct, frozen=True, tag="v3"):
    user: str
    auth_key: str
    priv_key: str
    auth_protocol: str = "SHA"
    priv_protocol: str = "AES"


Credentials = V2c | V3


class SnmpTarget(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int = 161
    credentials: Credentials
    timeout_s: float = 1.0
    """Per request; pysnmp resends ``retries`` times before giving up."""
    retries: int = 1
    deadline_s: float = 15.0
    """Whole poll, all requests included: the bound one dead device can cost."""


class SnmpInterface(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    name: str
    descr: str = ""
    alias: str = ""
    admin_status: int | None = None
    oper_status: int | None = None
    speed_bps: int | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    counter_bits: int = 32
    """64 when the octets come from ifXTable's ifHC* counters."""


class PollResult(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int
    polled_at: datetime
    elapsed_ms: float
    error_kind: SnmpErrorKind | None = None
    error: str = ""
    sys_name: str = ""
    sys_descr: str = ""
    sys_location: str = ""
    uptime_ticks: int | None = None
    interfaces: list[SnmpInterface] = []

    @property
    def ok(self) -> bool:
        return self.error_kind is None


class SnmpError(Exception):
    """An SNMP request failed; ``kind`` says how (no answer, authentication, other)."""

    def __init__(self, kind: SnmpErrorKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def check_credentials(credentials: Credentials) -> None:
    """Raise ValueError naming what is wrong (unknown protocol, key under 8 characters)."""
    if isinstance(credentials, V2c):
        if not credentials.community:
            raise ValueError("the community must not be empty")
        return
    if credentials.auth_protocol.upper() not in AUTH_PROTOCOLS:
        raise ValueError(f"auth protocol {credentials.auth_protocol!r}: one of {', '.join(AUTH_PROTOCOLS)}")
    if credentials.priv_protocol.upper() not in PRIV_PROTOCOLS:
        raise ValueError(f"privacy protocol {credentials.priv_protocol!r}: one of {', '.join(PRIV_PROTOCOLS)}")
    for label, key in (("auth key", credentials.auth_key), ("privacy key", credentials.priv_key)):
        if len(key) < 8:  # RFC 3414 passphrases: at least 8 octets
            raise ValueError(f"the {label} must be at least 8 characters")


def classify(indication: Any) -> SnmpErrorKind:
    """How a pysnmp errorIndication (or an agent's error-status name) failed."""
    name = type(indication).__name__ if not isinstance(indication, str) else indication
    if name in {"RequestTimedOut", "EmptyResponse"}:
        return SnmpErrorKind.NO_ANSWER
    if name in {"WrongDigest", "UnknownUserName", "UnknownSecurityName", "UnsupportedSecurityLevel",
                "AuthenticationError", "AuthenticationFailure", "NotInTimeWindow", "DecryptionError",
                "authorizationError", "noAccess"}:
        return SnmpErrorKind.AUTHENTICATION
    return SnmpErrorKind.ERROR


def describe(kind: SnmpErrorKind, detail: str) -> str:
    if kind is SnmpErrorKind.NO_ANSWER:
        return f"no answer ({detail}): device down, or wrong community / privacy key"
    if kind is SnmpErrorKind.AUTHENTICATION:
        return f"authentication refused ({detail}): check the v3 user, keys and protocols"
    return detail


# --- polling (I/O) ----------------------------------------------------------------------------


def poll(targets: Sequence[SnmpTarget], concurrency: int = 32) -> list[PollResult]:
    """Poll every target (at most ``concurrency`` at once); results in the targets' order."""
    return asyncio.run(poll_many(targets, concurrency))


async def poll_many(targets: Sequence[SnmpTarget], concurrency: int = 32) -> list[PollResult]:
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    # One engine per event loop: reusing one across asyncio.run() calls hangs walks (lextudio/pysnmp#64).
    # And one per distinct v3 credential set: an engine keeps one USM entry per user name, so two
    # devices with the same user but other keys, polled at once, would overwrite each other's keys.
    engines: dict[Credentials | None, Any] = {}
    gate = asyncio.Semaphore(max(1, concurrency))

    def engine_for(credentials: Credentials) -> Any:
        key = credentials if isinstance(credentials, V3) else None
        if key not in engines:
            engines[key] = SnmpEngine()
        return engines[key]

    async def bounded(target: SnmpTarget) -> PollResult:
        async with gate:
            return await poll_device(engine_for(target.credentials), target)

    try:
        return list(await asyncio.gather(*(bounded(target) for target in targets)))
    finally:
        for engine in engines.values():
            engine.close_dispatcher()


async def poll_device(engine: Any, target: SnmpTarget) -> PollResult:
    """One device's system group and interfaces, or its failure, within ``target.deadline_s``."""
    started, polled_at = time.monotonic(), clock.utcnow()

    def failed(kind: SnmpErrorKind, detail: str) -> PollResult:
        return PollResult(host=target.host, port=target.port, polled_at=polled_at,
                          elapsed_ms=(time.monotonic() - started) * 1000, error_kind=kind,
                          error=describe(kind, detail))

    try:
        system, interfaces = await asyncio.wait_for(_read_device(engine, target), target.deadline_s)
    except SnmpError as exc:
        return failed(exc.kind, str(exc))
    except TimeoutError:
        return failed(SnmpErrorKind.NO_ANSWER, f"no complete answer within {target.deadline_s:g} s")
    except (OSError, ValueError) as exc:  # address that does not resolve, bad port
        return failed(SnmpErrorKind.ERROR, f"{type(exc).__name__}: {exc}")
    return PollResult(host=target.host, port=target.port, polled_at=polled_at,
                      elapsed_ms=(time.monotonic() - started) * 1000, interfaces=interfaces, **system)


async def _read_device(engine: Any, target: SnmpTarget) -> tuple[dict[str, Any], list[SnmpInterface]]:
    from pysnmp.error import PySnmpError
    from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget
    from pysnmp.proto.error import StatusInformation

    try:
        transport = await UdpTransportTarget.create((target.host, target.port), timeout=target.timeout_s,
                                                    retries=target.retries)
        auth = _auth_data(target.credentials)
        system = await _get_system(engine, auth, transport)
        columns = await _walk_columns(engine, auth, transport, IF_COLUMNS)
    except (PySnmpError, StatusInformation) as exc:
        # e.g. "Ciphering services not available" (no `cryptography`), raised on a later request
        raise SnmpError(SnmpErrorKind.ERROR, f"{type(exc).__name__}: {exc}") from exc
    return system, parse_interfaces(columns)


def _auth_data(credentials: Credentials) -> Any:
    import pysnmp.hlapi.v3arch.asyncio as hlapi

    check_credentials(credentials)
    if isinstance(credentials, V2c):
        return hlapi.CommunityData(credentials.community, mpModel=1)
    return hlapi.UsmUserData(
        userName=credentials.user, authKey=credentials.auth_key, privKey=credentials.priv_key,
        authProtocol=getattr(hlapi, AUTH_PROTOCOLS[credentials.auth_protocol.upper()]),
        privProtocol=getattr(hlapi, PRIV_PROTOCOLS[credentials.priv_protocol.upper()]))


def _raise_on_error(indication: Any, status: Any) -> None:
    if indication:
        raise SnmpError(classify(indication), str(indication))
    if status and int(status):
        name = status.prettyPrint()
        raise SnmpError(classify(name), f"agent answered {name}")


async def _get_system(engine: Any, auth: Any, transport: Any) -> dict[str, Any]:
    from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, get_cmd

    indication, status, _index, var_binds = await get_cmd(
        engine, auth, transport, ContextData(),
        *(ObjectType(ObjectIdentity(oid)) for oid in SYS_OIDS.values()), lookupMib=False)
    _raise_on_error(indication, status)
    values = {field: _plain(value) for field, (_oid, value) in zip(SYS_OIDS, var_binds, strict=True)}
    ticks = values.pop("uptime_ticks")
    system = {field: value if isinstance(value, str) else "" for field, value in values.items()}
    return {**system, "uptime_ticks": ticks if isinstance(ticks, int) else None}


async def _walk_columns(engine: Any, auth: Any, transport: Any,
                        columns: dict[str, str]) -> dict[str, dict[int, Any]]:
    """Walk several table columns at once with GETBULK: {column: {row index: value}}.

    Each request carries every column not yet finished, so a table of N rows costs about
    N / repetitions round trips, not one walk per column.
    """
    from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, bulk_cmd

    found: dict[str, dict[int, Any]] = {name: {} for name in columns}
    position = dict(columns)
    repetitions = _BULK_FIRST
    for _call in range(_MAX_BULK_CALLS):
        if not position:
            break
        names = list(position)
        indication, status, _index, var_binds = await bulk_cmd(
            engine, auth, transport, ContextData(), 0, repetitions,
            *(ObjectType(ObjectIdentity(position[name])) for name in names), lookupMib=False)
        _raise_on_error(indication, status)
        position = _advance(names, columns, position, var_binds, found)
        if len(position) == len(names):
            repetitions = min(_BULK_MAX, repetitions * 2)
    return found


def _advance(names: list[str], columns: dict[str, str], position: dict[str, str], var_binds: Sequence[Any],
             found: dict[str, dict[int, Any]]) -> dict[str, str]:
    """Record one GETBULK answer (rows of len(names) bindings) and return where each unfinished
    column goes on; a column ends on leaving its subtree, at the end of the MIB, or if the agent
    stops moving forward."""
    active = set(names)
    for offset, (oid, value) in enumerate(var_binds):
        name = names[offset % len(names)]
        if name not in active:
            continue
        text = str(oid)
        prefix = columns[name] + "."
        if not text.startswith(prefix) or _plain(value) is None or text == position[name]:
            active.discard(name)
            continue
        found[name][int(text[len(prefix):].split(".")[0])] = _plain(value)
        position[name] = text
    if len(var_binds) < len(names):  # a short answer ends the walk
        return {}
    return {name: position[name] for name in names if name in active}


def _plain(value: Any) -> Any:
    """An SNMP value as str / int; None for noSuchObject, noSuchInstance and endOfMibView."""
    kind = type(value).__name__
    if kind in {"NoSuchObject", "NoSuchInstance", "EndOfMibView", "Null"}:
        return None
    if kind in {"OctetString", "DisplayString"}:
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def parse_interfaces(columns: dict[str, dict[int, Any]]) -> list[SnmpInterface]:
    """Rows of the walked IF-MIB columns as Interfaces, by ifIndex; 64-bit counters preferred."""
    indexes: set[int] = set()
    for rows in columns.values():
        indexes.update(rows)
    return [_interface(index, {name: rows.get(index) for name, rows in columns.items()})
            for index in sorted(indexes)]


def _interface(index: int, row: dict[str, Any]) -> SnmpInterface:
    hc = row.get("in_octets64") is not None and row.get("out_octets64") is not None
    speed, high = row.get("speed"), row.get("high_speed")
    speed_bps = high * 1_000_000 if high and (speed is None or speed >= 2**32 - 1) else speed
    descr = str(row.get("descr") or "")
    return SnmpInterface(index=index, name=str(row.get("name") or descr or index), descr=descr,
                     alias=str(row.get("alias") or ""), admin_status=row.get("admin_status"),
                     oper_status=row.get("oper_status"), speed_bps=speed_bps or None,
                     in_octets=row.get("in_octets64" if hc else "in_octets32"),
                     out_octets=row.get("out_octets64" if hc else "out_octets32"),
                     counter_bits=64 if hc else 32)


def target_of(address: str, credentials: Credentials, **options: Any) -> SnmpTarget:
    """``HOST`` or ``HOST:PORT`` (``[v6]:PORT``) as a target; ValueError on a bad port."""
    host, port = split_host_port(address)
    return SnmpTarget(host=host, port=port, credentials=credentials, **options)


def split_host_port(address: str, default_port: int = 161) -> tuple[str, int]:
    text = address.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ValueError(f"{address!r}: no host")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{address!r}: port must be 1-65535")
    return host, int(port_text)



def find_interface(interfaces: Iterable[SnmpInterface], wanted: str) -> SnmpInterface | None:
    """The interface named ``wanted`` (ifName, ifDescr, ifAlias or ifIndex as text)."""
    for interface in interfaces:
        if wanted in {interface.name, interface.descr, interface.alias, str(interface.index)}:
            return interface
    return None
