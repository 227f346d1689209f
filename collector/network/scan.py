"""The network parts of the scheduled scan (``scan_all``): sweep the saved LAN subnets, poll the
configured SNMP devices, work out each link's state (what the rules read of the LAN afterwards is
collector.store.lan.lan_facts).

Each part, and each subnet within the sweep, fails on its own: the failure is logged and
reported as a :class:`PartResult`, and the rest of the scan goes on. Nothing configured means
nothing is sent on the network. scapy and pysnmp are imported only when there is work for them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from collector.db import Database
from collector.errors import CanhgacError
from collector.store.scope import EVERYTHING

log = logging.getLogger("canhgac.scan")


@dataclass
class PartResult:
    """One part of the scan (``lan``, ``snmp``, ``links``) or one subnet of the sweep."""

    part: str
    target: str
    ok: bool
    detail: str


def sweep_subnets(db: Database, now: datetime) -> list[PartResult]:
    """ARP-sweep every saved subnet and record what answered; one result per subnet."""
    from collector.store.lan import saved_subnets

    with db.session() as session:
        subnets = saved_subnets(session)
    return [_sweep_one(db, s.subnet, s.iface, s.max_prefix, s.unit_code, now) for s in subnets]


def _sweep_one(db: Database, subnet: str, iface: str, max_prefix: int, unit_code: str, now: datetime) -> PartResult:
    import collector.network.arp as lan
    from collector.store.lan import record_sweep

    started = time.monotonic()
    try:
        network = lan.check_subnet(subnet, max_prefix, force=True)  # approved when it was saved
        seen = lan.sweep(network, iface or None)
        with db.session() as session:
            summary = record_sweep(session, seen, subnet=str(network), started_at=now,
                                   duration_s=round(time.monotonic() - started, 3), unit_code=unit_code)
    except Exception as exc:  # noqa: BLE001 - scapy raises its own errors; a failed sweep must not stop the scan
        log.warning("LAN sweep of %s failed: %s", subnet, exc)
        return PartResult("lan", subnet, False, f"{type(exc).__name__}: {exc}")
    return PartResult("lan", subnet, True, f"{summary.found} found, {summary.new} new, {summary.no_agent} "
                      f"without agent, {len(summary.offline_seen)} offline PC(s) seen")


def poll_devices(db: Database, timeout_s: float = 1.0, retries: int = 1) -> list[PartResult]:
    """Poll every configured SNMP device and store each poll; one result per device. A dead
    device is a failed result after its own deadline, never a delay for the others."""
    from collector.network.snmp import poll
    from collector.store.snmp import configured_targets, record_poll

    with db.session() as session:
        configured = configured_targets(session, timeout_s=timeout_s, retries=retries,
                                        deadline_s=max(5.0, timeout_s * (retries + 1) * 4))
    if not configured:
        return []
    results = poll([target for _id, target in configured])
    parts = []
    for (device_id, target), result in zip(configured, results, strict=True):
        address = f"{target.host}:{target.port}"
        try:
            with db.session() as session:
                record_poll(session, device_id, result)
        except SQLAlchemyError as exc:
            parts.append(PartResult("snmp", address, False, f"poll not stored: {exc}"))
            continue
        parts.append(PartResult("snmp", address, result.ok, "ok" if result.ok else f"{result.error_kind}: "
                                f"{result.error}"))
    return parts


def link_results(db: Database, now: datetime) -> tuple[list[PartResult], dict[int, bool]]:
    """Every configured link's state (the collector checks the link's targets first); the parts
    and, per unit id, whether its dedicated line reaches the network (when its state is known)."""
    from collector.network.links import check_targets
    from collector.store.links import dedicated_line_reach, link_states, link_targets

    with db.session() as session:
        links = link_targets(session)
    reach = {link_id: check_targets(targets) for link_id, targets in links.items() if targets}
    with db.session() as session:
        rows = link_states(session, EVERYTHING, now, collector_reach=reach)
        line = dedicated_line_reach(session, rows)
    # ok: the state was worked out; a link that is down is a finding for the rules, not a failed part.
    parts = [PartResult("links", f"{row.unit_code}/{row.kind}", True,
                        f"{row.state.status}" + (f": {'; '.join(row.state.reasons)}" if row.state.reasons else ""))
             for row in rows]
    return parts, line


def run_network_parts(db: Database, now: datetime) -> tuple[list[PartResult], dict[int, bool]]:
    """Sweep, poll, links, in that order, each on its own; the results and the dedicated-line
    states per unit id (empty when the links part failed)."""
    parts: list[PartResult] = []
    line: dict[int, bool] = {}
    for name, step in (("lan", lambda: sweep_subnets(db, now)), ("snmp", lambda: poll_devices(db))):
        parts += _guarded(name, step)
    try:
        link_parts, line = link_results(db, now)
        parts += link_parts
    except (CanhgacError, SQLAlchemyError, OSError, ValueError) as exc:
        log.warning("link states failed: %s", exc)
        parts.append(PartResult("links", "*", False, f"{type(exc).__name__}: {exc}"))
    return parts, line


def _guarded(name: str, step: Callable[[], list[PartResult]]) -> list[PartResult]:
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - one part failing (import, database, library) never stops the others
        log.warning("scan part %s failed: %s", name, exc)
        return [PartResult(name, "*", False, f"{type(exc).__name__}: {exc}")]
