"""A unit's dedicated data line (đường truyền số liệu chuyên dùng) and Internet uplink: their
state from the router interface's SNMP history, the collector's own reachability checks, and
what the agents report reaching. ``link_state`` is pure; ``check_targets`` is the I/O part.
"""

from __future__ import annotations

import enum
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import NamedTuple

import msgspec

from collector.network.snmp import OPER_UP, SnmpInterface, split_host_port


class LinkStatus(enum.StrEnum):
    UP = "up"
    DEGRADED = "degraded"  # up, but flapping, saturated, or its targets do not answer
    DOWN = "down"
    UNKNOWN = "unknown"  # no evidence either way


class LinkParams(msgspec.Struct, frozen=True, kw_only=True):
    """Rule parameters (an operator may override them per unit)."""

    flap_changes: int = 3
    """This many oper-status changes within ``flap_window`` is flapping."""
    flap_window: timedelta = timedelta(hours=1)
    saturation: float = 0.9
    """Utilisation at or over this share ..."""
    saturation_for: timedelta = timedelta(minutes=10)
    """... for at least this long is saturation."""


DEFAULT_PARAMS = LinkParams()


class InterfaceSample(msgspec.Struct, frozen=True):
    """The link's interface in one poll (None: the poll failed or the interface is missing),
    with its utilisation since the previous poll when known."""

    at: datetime
    interface: SnmpInterface | None
    utilisation: float | None = None


class LinkState(msgspec.Struct, kw_only=True):
    kind: str
    status: LinkStatus
    oper_up: bool | None
    changes_in_window: int
    flapping: bool
    saturated: bool
    utilisation: float | None
    targets_reachable: int
    targets_total: int
    agents_reaching: int
    agents_reporting: int
    reasons: list[str]

    @property
    def reachable(self) -> bool:
        """The readiness figure's test: the unit reaches this network."""
        return self.status in (LinkStatus.UP, LinkStatus.DEGRADED)


class AgentsReach(NamedTuple):
    """Of the machines whose latest report checked a target of the link's kind, how many reached one."""

    reaching: int = 0
    reporting: int = 0


def link_state(kind: str, samples: Sequence[InterfaceSample], collector_reach: Sequence[bool],
               agents: AgentsReach, now: datetime, params: LinkParams = DEFAULT_PARAMS) -> LinkState:
    """The link's state from its interface samples (oldest first), the collector's target checks
    and the unit's agents' latest reports."""
    recent = [sample for sample in samples if sample.at >= now - params.flap_window]
    oper_up = _oper_up(recent[-1]) if recent else None
    changes = _oper_changes(recent)
    saturated = _saturated(recent, now, params)
    latest_use = next((s.utilisation for s in reversed(recent) if s.utilisation is not None), None)
    state = LinkState(kind=kind, status=LinkStatus.UNKNOWN, oper_up=oper_up, changes_in_window=changes,
                      flapping=changes >= params.flap_changes, saturated=saturated, utilisation=latest_use,
                      targets_reachable=sum(collector_reach), targets_total=len(collector_reach),
                      agents_reaching=agents.reaching, agents_reporting=agents.reporting, reasons=[])
    state.status, state.reasons = _judge(state)
    return state


def _oper_up(sample: InterfaceSample) -> bool | None:
    return None if sample.interface is None else sample.interface.oper_status == OPER_UP


def _oper_changes(samples: Sequence[InterfaceSample]) -> int:
    states = [_oper_up(sample) for sample in samples]
    known = [state for state in states if state is not None]
    return sum(1 for before, after in zip(known, known[1:], strict=False) if before != after)


def _saturated(samples: Sequence[InterfaceSample], now: datetime, params: LinkParams) -> bool:
    """Every utilisation sample of the last ``saturation_for`` is over the threshold, and the
    samples cover that whole span (the first over-threshold sample is old enough)."""
    with_use = [sample for sample in samples if sample.utilisation is not None]
    if not with_use:
        return False
    start = now - params.saturation_for
    window = [sample for sample in with_use if sample.at >= start]
    older = [sample for sample in with_use if sample.at < start]
    if not window or not older:
        return False
    return all((sample.utilisation or 0) >= params.saturation for sample in [older[-1], *window])


def _judge(state: LinkState) -> tuple[LinkStatus, list[str]]:
    reasons = []
    if state.oper_up is False:
        reasons.append("interface down (ifOperStatus)")
    if state.targets_total and not state.targets_reachable:
        reasons.append(f"none of {state.targets_total} targets answered the collector")
    if state.agents_reporting and not state.agents_reaching:
        reasons.append(f"none of {state.agents_reporting} agents reached it")
    if state.flapping:
        reasons.append(f"flapping: {state.changes_in_window} changes")
    if state.saturated:
        reasons.append("saturated")
    positive = (state.oper_up is True or state.targets_reachable > 0 or state.agents_reaching > 0)
    if state.oper_up is False or (not positive and reasons):
        return LinkStatus.DOWN, reasons
    if not positive:
        return LinkStatus.UNKNOWN, ["no evidence yet (no poll, no target, no agent report)"]
    return (LinkStatus.DEGRADED if reasons else LinkStatus.UP), reasons


def check_targets(targets: Sequence[str], timeout_s: float = 2.0) -> list[bool]:
    """TCP-connect each ``host:port`` target (in parallel); True for each that accepted."""
    def reach(target: str) -> bool:
        try:
            host, port = split_host_port(target, default_port=443)
            started = time.monotonic()
            with socket.create_connection((host, port), timeout=timeout_s):
                return time.monotonic() - started <= timeout_s
        except (OSError, ValueError):
            return False

    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(targets))) as pool:
        return list(pool.map(reach, targets))
