"""The network page: links, devices without an agent, LAN devices and SNMP devices, each list
counted and paged in SQL on its own (``kp``, ``up``, ``lp``, ``sp``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from collector.store.lan import LanDeviceRow, count_lan_devices, list_lan_devices
from collector.store.links import LinkRow, count_links, link_states
from collector.store.paging import PAGE_SIZE, Paged, offset_of, paged
from collector.store.scope import Scope
from collector.store.snmp import SnmpDeviceRow, count_snmp_devices, list_snmp_devices
from server.web.context import Page, PageNumber


@dataclass(frozen=True)
class NetworkLists:
    links: Paged[LinkRow]
    unknown: Paged[LanDeviceRow]
    lan: Paged[LanDeviceRow]
    snmp: Paged[SnmpDeviceRow]


def network_lists(session: Session, scope: Scope, now: datetime, links: int = 1, unknown: int = 1, lan: int = 1,
                  snmp: int = 1) -> NetworkLists:
    return NetworkLists(
        links=paged(link_states(session, scope, now, limit=PAGE_SIZE, offset=offset_of(links)),
                    count_links(session, scope), links),
        unknown=paged(list_lan_devices(session, scope, PAGE_SIZE, offset_of(unknown), unknown_only=True),
                      count_lan_devices(session, scope, unknown_only=True), unknown),
        lan=paged(list_lan_devices(session, scope, PAGE_SIZE, offset_of(lan)), count_lan_devices(session, scope), lan),
        snmp=paged(list_snmp_devices(session, scope, PAGE_SIZE, offset_of(snmp)), count_snmp_devices(session, scope),
                   snmp))


@get("/network", sync_to_thread=True)
def network(page: NamedDependency[Page], kp: PageNumber = 1, up: PageNumber = 1, lp: PageNumber = 1,
            sp: PageNumber = 1) -> Response[Any]:
    with page.db() as session:
        lists = network_lists(session, page.me.scope, page.state.clock(), kp, up, lp, sp)
    return page.render("network.html", lists=lists)


NETWORK_ROUTES = [network]
