"""The network for people (``/api/v1/devices``): LAN devices, SNMP devices and the
units' links, all scoped to the caller's unit subtree. Credentials are never returned."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency

from collector.intake.http import in_session
from collector.store.lan import LanDeviceRow, list_lan_devices
from collector.store.links import LinkRow, link_states
from collector.store.people import Person
from collector.store.snmp import SnmpDeviceRow, list_snmp_devices


class DeviceList(msgspec.Struct, kw_only=True):
    lan: list[LanDeviceRow]
    """Devices seen on the LAN (ARP), linked to a machine when one reports the MAC."""
    snmp: list[SnmpDeviceRow]
    """Routers and switches polled over SNMP, with their latest poll."""
    links: list[LinkRow]
    """Dedicated data line and Internet links, with their state."""


@get("/devices", summary="LAN and SNMP devices and links in your unit's subtree")
async def get_devices(request: Request[Any, Any, Any], person: NamedDependency[Person]) -> DeviceList:
    return await in_session(request, lambda session, state: DeviceList(
        lan=list_lan_devices(session, person.scope), snmp=list_snmp_devices(session, person.scope),
        links=link_states(session, person.scope, state.clock())))


NETWORK_ROUTES = [get_devices]
