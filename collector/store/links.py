"""The links (dedicated data line, Internet) of units in scope, with their state computed from
stored SNMP polls and the agents' latest reports (``network.reachability`` of the same kind, as
their readiness rows hold it)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import msgspec
from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session

from collector.models.links import LinkKind, NetworkLink
from collector.models.readiness import MachineReadiness
from collector.models.snmp import SnmpDevice
from collector.models.units import Unit
from collector.network.links import DEFAULT_PARAMS, AgentsReach, InterfaceSample, LinkParams, LinkState, link_state
from collector.network.snmp import PollResult, find_interface
from collector.network.snmp_delta import interface_usage
from collector.store.scope import Scope
from collector.store.snmp import polls_since


class LinkRow(msgspec.Struct, kw_only=True):
    unit_code: str
    kind: str
    device: str
    interface: str
    targets: list[str]
    state: LinkState
    reachable: bool


_REACHED = {LinkKind.DEDICATED_LINE: MachineReadiness.has_dedicated_line,
            LinkKind.INTERNET: MachineReadiness.has_internet}


def agents_reach(session: Session, scope: Scope, paths: Iterable[str]) -> dict[tuple[str, str], AgentsReach]:
    """Per (unit path of ``paths``, link kind): of the machines of that unit's subtree whose latest
    report checked a target of the kind, how many reached one. Read from the machines' readiness
    rows, which hold that report's ``net.*_reachable`` fact (rules.facts), never by decoding the
    reports (a commune's 2,000 stored reports took ~0.1 s per link); counted per unit in one
    aggregate over the scope (one query per link cost ~3 ms each) and added up each unit's path."""
    wanted = set(paths)
    columns = [count for column in _REACHED.values()
               for count in (func.count(case((column == true(), 1))), func.count(column))]
    # By the readiness row's unit, as the readiness figures count machines: its index starts with unit_id.
    per_unit = select(MachineReadiness.unit_id, *columns).group_by(MachineReadiness.unit_id)
    if scope.unit_path is not None:
        per_unit = per_unit.where(MachineReadiness.unit_id.in_(select(Unit.id).where(scope.units_clause())
                                                               .scalar_subquery()))
    counted = per_unit.subquery()
    totals = {(path, str(kind)): [0, 0] for path in wanted for kind in _REACHED}
    for path, *counts in session.execute(select(Unit.path, *list(counted.c)[1:])
                                         .join(counted, counted.c.unit_id == Unit.id)):
        parts = path.split("/")[1:-1]
        for ancestor in ("/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1)):
            if ancestor in wanted:
                for position, kind in enumerate(_REACHED):
                    total = totals[(ancestor, str(kind))]
                    total[0] += counts[2 * position]
                    total[1] += counts[2 * position + 1]
    return {key: AgentsReach(*value) for key, value in totals.items()}


def interface_samples(polls: Sequence[PollResult], interface: str) -> list[InterfaceSample]:
    """Pure: the link interface's sample in each poll, with utilisation since the poll before."""
    samples = []
    for index, poll in enumerate(polls):
        found = find_interface(poll.interfaces, interface) if poll.ok else None
        use = None
        if found is not None and index > 0:
            usage = [u for u in interface_usage(polls[index - 1], poll) if u.index == found.index]
            use = usage[0].utilisation if usage else None
        samples.append(InterfaceSample(at=poll.polled_at, interface=found, utilisation=use))
    return samples


def link_states(session: Session, scope: Scope, now: datetime, params: LinkParams = DEFAULT_PARAMS,
                collector_reach: dict[int, list[bool]] | None = None, limit: int | None = None,
                offset: int = 0) -> list[LinkRow]:
    """Every configured link of units in scope with its state; ``collector_reach`` maps a link id
    to fresh results of collector.network.links.check_targets when the caller ran them. ``limit`` and
    ``offset`` page the links in SQL (only the page's states are worked out)."""
    query = (select(NetworkLink, Unit, SnmpDevice).join(Unit, NetworkLink.unit_id == Unit.id)
             .outerjoin(SnmpDevice, NetworkLink.device_id == SnmpDevice.id)
             .where(scope.units_clause()).order_by(Unit.path, NetworkLink.kind, NetworkLink.id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    links = list(session.execute(query))
    reach = agents_reach(session, scope, (unit.path for _, unit, _ in links)) if links else {}
    rows = []
    for link, unit, device in links:
        polls = polls_since(session, device.id, now - params.flap_window) if device else []
        state = link_state(link.kind, interface_samples(polls, link.interface),
                           (collector_reach or {}).get(link.id, []), reach[(unit.path, link.kind)], now, params)
        rows.append(LinkRow(unit_code=unit.code, kind=link.kind, device=device.name if device else "",
                            interface=link.interface, targets=json.loads(link.targets_json), state=state,
                            reachable=state.reachable))
    return rows


def link_targets(session: Session) -> dict[int, list[str]]:
    """Every configured link's reachability targets ("host:port"), by link id."""
    return {link_id: json.loads(targets) for link_id, targets in session.execute(
        select(NetworkLink.id, NetworkLink.targets_json))}


def count_links(session: Session, scope: Scope) -> int:
    return session.scalar(select(func.count()).select_from(NetworkLink).join(Unit, NetworkLink.unit_id == Unit.id)
                          .where(scope.units_clause())) or 0


def dedicated_line_reach(session: Session, rows: Sequence[LinkRow]) -> dict[int, bool]:
    """Per unit id, whether its configured dedicated line is up, for links whose state is known."""
    from collector.network.links import LinkStatus

    unit_ids = dict(session.execute(select(Unit.code, Unit.id)).all())
    return {unit_ids[row.unit_code]: row.reachable for row in rows
            if row.kind == LinkKind.DEDICATED_LINE and row.state.status != LinkStatus.UNKNOWN}
