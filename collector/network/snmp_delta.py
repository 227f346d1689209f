"""What two SNMP polls of one device say together: utilisation per interface and the changes
(an interface went down or came up, the device rebooted). Pure: polls in, facts out.
"""

from __future__ import annotations

import enum

import msgspec

from collector.network.snmp import OPER_UP, PollResult, SnmpInterface

UPTIME_WRAP = 2**32  # sysUpTime is a 32-bit TimeTicks: it wraps after ~497 days (RFC 2578 §7.1.8)


class ChangeKind(enum.StrEnum):
    REBOOTED = "rebooted"
    INTERFACE_DOWN = "interface_down"
    INTERFACE_UP = "interface_up"
    INTERFACE_ADDED = "interface_added"
    INTERFACE_REMOVED = "interface_removed"
    UNREACHABLE = "unreachable"
    REACHABLE = "reachable"


class Change(msgspec.Struct, frozen=True, kw_only=True):
    kind: ChangeKind
    interface: str = ""
    detail: str = ""


class InterfaceUsage(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    name: str
    seconds: float
    in_bps: float | None
    out_bps: float | None
    utilisation: float | None
    """max(in, out) / speed, 0..1; None when the speed or a counter is unknown."""


def interval_seconds(previous: PollResult, current: PollResult) -> float | None:
    """Seconds between the polls by the device's own clock (sysUpTime), else by the collector's.

    None when the device rebooted in between (its counters restarted) or time did not move.
    """
    if rebooted(previous, current):
        return None
    if previous.uptime_ticks is not None and current.uptime_ticks is not None:
        ticks = (current.uptime_ticks - previous.uptime_ticks) % UPTIME_WRAP
        seconds = ticks / 100
    else:
        seconds = (current.polled_at - previous.polled_at).total_seconds()
    return seconds if seconds > 0 else None


def rebooted(previous: PollResult, current: PollResult) -> bool:
    """sysUpTime went back. A 32-bit wrap (the wall clock says enough time passed to reach
    2^32 ticks from the previous value) is not a reboot."""
    before, after = previous.uptime_ticks, current.uptime_ticks
    if before is None or after is None or after >= before:
        return False
    wall_ticks = (current.polled_at - previous.polled_at).total_seconds() * 100
    # a minute of slack for clock skew between the device and the collector
    wrapped = before + wall_ticks >= UPTIME_WRAP - 6000
    return not wrapped


def counter_delta(before: int | None, after: int | None, bits: int) -> int | None:
    """Octets counted between two readings. A 32-bit counter that went back wrapped once;
    a 64-bit one that went back was reset (it cannot wrap in any realistic interval)."""
    if before is None or after is None:
        return None
    if after >= before:
        return after - before
    return after + 2**32 - before if bits == 32 else None


def interface_usage(previous: PollResult, current: PollResult) -> list[InterfaceUsage]:
    """Rates and utilisation of each interface present in both polls; [] when either failed,
    the device rebooted, or no time passed."""
    seconds = interval_seconds(previous, current) if previous.ok and current.ok else None
    if seconds is None:
        return []
    before = {interface.index: interface for interface in previous.interfaces}
    return [_usage(before[interface.index], interface, seconds)
            for interface in current.interfaces if interface.index in before]


def _usage(before: SnmpInterface, after: SnmpInterface, seconds: float) -> InterfaceUsage:
    bits = min(before.counter_bits, after.counter_bits)
    received = counter_delta(before.in_octets, after.in_octets, bits)
    sent = counter_delta(before.out_octets, after.out_octets, bits)
    in_bps = received * 8 / seconds if received is not None else None
    out_bps = sent * 8 / seconds if sent is not None else None
    rates = [rate for rate in (in_bps, out_bps) if rate is not None]
    speed = after.speed_bps
    utilisation = min(1.0, max(rates) / speed) if rates and speed else None
    return InterfaceUsage(index=after.index, name=after.name, seconds=seconds, in_bps=in_bps, out_bps=out_bps,
                          utilisation=utilisation)


def poll_changes(previous: PollResult, current: PollResult) -> list[Change]:
    """What changed from one poll to the next: reachability, reboot, interfaces down/up/added/removed."""
    if previous.ok != current.ok:
        kind = ChangeKind.REACHABLE if current.ok else ChangeKind.UNREACHABLE
        return [Change(kind=kind, detail=current.error)]
    if not current.ok:
        return []
    changes = []
    if rebooted(previous, current):
        changes.append(Change(kind=ChangeKind.REBOOTED,
                              detail=f"sysUpTime {previous.uptime_ticks} -> {current.uptime_ticks}"))
    return changes + _interface_changes(previous.interfaces, current.interfaces)


def _interface_changes(before_list: list[SnmpInterface], after_list: list[SnmpInterface]) -> list[Change]:
    before = {interface.index: interface for interface in before_list}
    after = {interface.index: interface for interface in after_list}
    changes = [Change(kind=ChangeKind.INTERFACE_REMOVED, interface=before[index].name)
               for index in sorted(before.keys() - after.keys())]
    for index in sorted(after):
        interface, old = after[index], before.get(index)
        if old is None:
            changes.append(Change(kind=ChangeKind.INTERFACE_ADDED, interface=interface.name))
        elif old.oper_status == OPER_UP and interface.oper_status != OPER_UP:
            changes.append(Change(kind=ChangeKind.INTERFACE_DOWN, interface=interface.name,
                                  detail=f"ifOperStatus {interface.oper_status}, ifAdminStatus "
                                         f"{interface.admin_status}"))
        elif old.oper_status != OPER_UP and interface.oper_status == OPER_UP:
            changes.append(Change(kind=ChangeKind.INTERFACE_UP, interface=interface.name))
    return changes
