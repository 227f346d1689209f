"""Network probe: interfaces, default gateway, DNS servers, reachability and network history.

The local state comes from psutil's interface tables, /proc and /sys files, /etc/resolv.conf
and ``ip -json address`` (which addresses DHCP gave) on Linux; on Windows from one PowerShell
script (:data:`WINDOWS_PARTS`: default routes, adapter configuration with DNS servers and the
DHCP flag, network history), each part failing alone. The only
packets ever sent are the reachability checks (agent/probes/reachability.py): to the default
gateway unless ``probe_gateway`` is off, and to the configured Internet and dedicated-line
targets; none is built in. With the offline role nothing at all is sent, and every sign of a
connection, present or past, is listed as ``evidence`` instead.

Loopback interfaces (``lo``, Windows' "Loopback Pseudo-Interface 1") are left out: they are
always up with a carrier and would only blur the offline-PC evidence ("any interface up").
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from agent import windows
from agent.config import ProbeSettings, Target
from agent.probes import network_history, reachability
from agent.probes.context import CommandError, ProbeContext, attempt, read_optional
from agent.probes.network_history import Lease
from agent.wire.schema import Evidence, Interface, Network, NetworkProfile, ProbeError, ReachKind, Role, normalise_mac

PROC_NET_ROUTE = Path("/proc/net/route")
RESOLV_CONF = Path("/etc/resolv.conf")
# systemd-resolved points /etc/resolv.conf at its stub 127.0.0.53; the real upstream servers
# are listed in this file (systemd-resolved.service(8), "/run/systemd/resolve/resolv.conf").
RESOLVED_UPSTREAM_CONF = Path("/run/systemd/resolve/resolv.conf")
RESOLVED_STUB = "127.0.0.53"
SYS_CLASS_NET = Path("/sys/class/net")
RTF_UP_GATEWAY = 0x0003  # RTF_UP | RTF_GATEWAY from linux/route.h


def parse_default_gateway(text: str) -> str | None:
    """The IPv4 default gateway from /proc/net/route text; None when there is no default route.

    Rows are ``Iface Destination Gateway Flags RefCnt Use Metric Mask ...`` in hex; the address
    words are the kernel's in-memory (network-order) u32 printed with %08X, so they read
    byte-swapped on little-endian hosts (``010200C0`` is 192.0.2.1). With several default
    routes the lowest metric wins, as in the kernel's own choice.
    """
    best: tuple[int, str] | None = None
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8 or fields[1] != "00000000":
            continue
        if int(fields[3], 16) & RTF_UP_GATEWAY != RTF_UP_GATEWAY:
            continue
        gateway = socket.inet_ntoa(int(fields[2], 16).to_bytes(4, sys.byteorder))
        metric = int(fields[6])
        if best is None or metric < best[0]:
            best = (metric, gateway)
    return best[1] if best else None


def parse_resolv_conf(text: str) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf, in order, without duplicates or junk.

    Comments start with ``#`` or ``;`` (resolv.conf(5)); entries that are not IP addresses
    are skipped.
    """
    servers: list[str] = []
    for line in text.splitlines():
        fields = re.split(r"[#;]", line, maxsplit=1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver" and _is_ip(fields[1]):
            if fields[1] not in servers:
                servers.append(fields[1])
    return servers


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return True


def parse_ip_dynamic(text: str) -> set[str]:
    """Interfaces with a dynamic (DHCP-given) IPv4 address, from ``ip -json address``: iproute2
    flags an address ``dynamic`` when it has a finite lifetime, which on IPv4 means DHCP."""
    return {
        link["ifname"]
        for link in json.loads(text or "[]")
        if any(a.get("family") == "inet" and a.get("dynamic") for a in link.get("addr_info", []))
    }


def parse_windows_default_gateway(items: list[dict[str, Any]]) -> str | None:
    """The next hop of the 0.0.0.0/0 route with the lowest RouteMetric + InterfaceMetric, as
    Windows chooses, from ``Get-NetRoute`` rows (MSFT_NetRoute property names); None when there
    is no default route (Windows writes an on-link next hop as 0.0.0.0)."""
    routes = [r for r in items if windows.as_text(r.get("DestinationPrefix")) in ("", "0.0.0.0/0")
              and windows.as_text(r.get("NextHop")) not in ("", "0.0.0.0")]
    best = min(routes, key=lambda r: (windows.as_int(r.get("RouteMetric")) or 0)
               + (windows.as_int(r.get("InterfaceMetric")) or 0), default=None)
    return windows.as_text(best.get("NextHop")) if best else None


def parse_windows_dns_servers(adapters: list[dict[str, Any]]) -> list[str]:
    """The DNS servers of every IP-enabled adapter (Win32_NetworkAdapterConfiguration
    ``DNSServerSearchOrder``, an array or null), in adapter order, each once."""
    servers: list[str] = []
    for adapter in adapters:
        found = adapter.get("DNSServerSearchOrder") or []
        for server in found if isinstance(found, list) else [found]:
            text = windows.as_text(server)
            if _is_ip(text) and text not in servers:
                servers.append(text)
    return servers


def parse_windows_dhcp(adapters: list[dict[str, Any]]) -> dict[str, bool]:
    """MAC (normalised) -> DHCPEnabled of each adapter; psutil names interfaces by their
    connection name, which this class does not carry, so the MAC is the join key."""
    found = {}
    for adapter in adapters:
        mac = normalise_mac(windows.as_text(adapter.get("MACAddress")))
        if mac and isinstance(adapter.get("DHCPEnabled"), bool):
            found[mac] = adapter["DHCPEnabled"]
    return found


def plan_reachability(
    settings: ProbeSettings, role: Role, gateway: str | None
) -> tuple[list[tuple[ReachKind, Target]], dict[ReachKind, str]]:
    """What to probe and, per kind, why something is not probed. The offline role probes
    nothing whatever the settings say."""
    if role is Role.OFFLINE:
        return [], dict.fromkeys(ReachKind, "not probed (offline role)")
    targets: list[tuple[ReachKind, Target]] = []
    status = {}
    if not settings.probe_gateway:
        status[ReachKind.GATEWAY] = "disabled"
    elif gateway is None:
        status[ReachKind.GATEWAY] = "no gateway"
    else:
        status[ReachKind.GATEWAY] = "probed"
        targets.append((ReachKind.GATEWAY, Target("icmp", gateway)))
    for kind, configured in ((ReachKind.INTERNET, settings.internet_targets),
                             (ReachKind.DEDICATED_LINE, settings.dedicated_line_targets)):
        status[kind] = "probed" if configured else "not configured"
        targets += [(kind, target) for target in configured]
    return targets, status


def gather_evidence(network: Network, leases: list[Lease]) -> list[Evidence]:
    """Every sign of a connection: interfaces up with a carrier (up, on Windows, where the OS
    reports up only with media connected), a default route, DHCP addresses and leases, and
    saved network / Wi-Fi profiles."""
    found = []
    for iface in network.interfaces:
        if iface.is_up and iface.carrier is not False and (iface.carrier or iface.addresses):
            found.append(Evidence("interface_up", f"{iface.name} up with carrier: {', '.join(iface.addresses)}"))
        if iface.dhcp:
            found.append(Evidence("dhcp_address", f"{iface.name} has an address from DHCP"))
    if network.default_gateway:
        found.append(Evidence("default_route", f"default gateway {network.default_gateway}"))
    found += [Evidence("dhcp_lease", f"{lease.interface} {lease.address} via {lease.router or '-'} ({lease.source})",
                       lease.obtained) for lease in leases]
    found += [Evidence("wifi_profile" if p.kind == "wifi" else "network_profile", f"{p.name} ({p.source})",
                       p.last_connected or p.first_connected) for p in network.profiles
              if not p.source.startswith("DHCP")]
    return found


def lease_profiles(leases: list[Lease]) -> list[NetworkProfile]:
    return [NetworkProfile(name=f"{lease.interface} {lease.address}", last_connected=lease.obtained,
                           source=f"DHCP lease {lease.source}") for lease in leases]


def collect(ctx: ProbeContext) -> Network:
    """Interfaces, gateway, DNS, history; reachability (normal role) or evidence (offline
    role). Never raises: what could not be read is in ``errors``."""
    errors: list[ProbeError] = []
    network = Network(errors=errors, interfaces=attempt(errors, "interfaces", lambda: read_interfaces(ctx), []))
    leases: list[Lease] = []
    if ctx.system == "Linux":
        read_linux_state(ctx, network, errors)
        network.profiles, leases = attempt(
            errors, "network history", lambda: network_history.read_linux_history(ctx, errors), ([], [])
        )
        network.profiles = network.profiles + lease_profiles(leases)
    elif ctx.system == "Windows":
        read_windows_state(ctx, network, errors)
    targets, network.reachability_status = plan_reachability(ctx.settings, ctx.role, network.default_gateway)
    network.reachability = attempt(errors, "reachability", lambda: reachability.probe_all(targets), [])
    if ctx.role is Role.OFFLINE:
        network.evidence = gather_evidence(network, leases)
    return network


def read_linux_state(ctx: ProbeContext, network: Network, errors: list[ProbeError]) -> None:
    network.default_gateway = attempt(errors, "default_gateway", lambda: read_default_gateway(ctx), None)
    network.dns_servers = attempt(errors, "dns_servers", lambda: read_dns_servers(ctx), [])
    dynamic = attempt(errors, "dhcp", lambda: read_ip_dynamic(ctx), None)
    if dynamic is not None:
        for iface in network.interfaces:
            iface.dhcp = iface.name in dynamic


def read_ip_dynamic(ctx: ProbeContext) -> set[str] | None:
    """None (unknown, not an error) when iproute2 is not installed."""
    try:
        done = ctx.run(["ip", "-json", "address", "show"], 10.0, None)
    except CommandError:
        return None
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"ip exited {done.returncode}")
    return parse_ip_dynamic(done.stdout)


def read_windows_state(ctx: ProbeContext, network: Network, errors: list[ProbeError]) -> None:
    """Gateway, DNS servers, DHCP flags and network history from one PowerShell run."""
    text = attempt(errors, "powershell", lambda: windows.run_powershell(windows_script(), run=ctx.run), None)
    parts = attempt(errors, "powershell", lambda: windows.parse_parts(text), None) if text is not None else None
    if parts is not None:
        fill_windows_state(parts, network, errors)


def fill_windows_state(parts: dict[str, Any], network: Network, errors: list[ProbeError]) -> None:
    network.default_gateway = windows.read_part(
        parts, "routes", errors, lambda v: parse_windows_default_gateway(windows.rows(v)), None)
    adapters = windows.read_part(parts, "adapters", errors, windows.rows, None)
    if adapters is not None:
        network.dns_servers = attempt(errors, "adapters", lambda: parse_windows_dns_servers(adapters), [])
        dhcp = attempt(errors, "adapters", lambda: parse_windows_dhcp(adapters), {})
        for iface in network.interfaces:
            iface.dhcp = dhcp.get(iface.mac) if iface.mac else None
    network.profiles = network_history.parse_windows_history(parts, errors)


WINDOWS_PARTS = {
    # -ErrorAction SilentlyContinue: with no default route (the offline PC) Get-NetRoute fails
    # with "No matching MSFT_NetRoute objects found" instead of returning nothing.
    "routes": windows.json_rows(
        "Get-NetRoute -DestinationPrefix 0.0.0.0/0 -ErrorAction SilentlyContinue | Select-Object InterfaceIndex, "
        "DestinationPrefix, NextHop, RouteMetric, InterfaceMetric"
    ),
    "adapters": windows.json_rows(
        "Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True' | Select-Object Index, "
        "Description, MACAddress, IPAddress, DefaultIPGateway, DNSServerSearchOrder, DHCPEnabled"
    ),
}


def windows_script() -> str:
    return windows.parts_script(WINDOWS_PARTS | network_history.WINDOWS_PARTS)


def read_default_gateway(ctx: ProbeContext) -> str | None:
    text = read_optional(ctx, PROC_NET_ROUTE)
    return parse_default_gateway(text) if text is not None else None


def read_dns_servers(ctx: ProbeContext) -> list[str]:
    text = read_optional(ctx, RESOLV_CONF)
    servers = parse_resolv_conf(text) if text is not None else []
    if servers == [RESOLVED_STUB]:
        upstream = read_optional(ctx, RESOLVED_UPSTREAM_CONF)
        servers = parse_resolv_conf(upstream) if upstream else servers
    return servers


def read_interfaces(ctx: ProbeContext) -> list[Interface]:
    """Every non-loopback interface psutil knows, sorted by name."""
    addrs = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    interfaces = []
    for name in sorted(set(addrs) | set(stats)):
        if is_loopback(addrs.get(name, []), stats.get(name)):
            continue
        interfaces.append(make_interface(ctx, name, addrs.get(name, []), stats.get(name)))
    return interfaces


def is_loopback(addrs: Sequence[Any], stats: Any | None) -> bool:
    """Flagged loopback by the OS (psutil >= 5.9.3 on Linux/macOS), or only loopback addresses
    (Windows, where psutil gives no flags)."""
    if stats is not None and "loopback" in getattr(stats, "flags", "").split(","):
        return True
    ips = [a.address for a in addrs if a.family in (socket.AF_INET, socket.AF_INET6)]
    return bool(ips) and all(ipaddress.ip_address(ip.split("%")[0]).is_loopback for ip in ips)


def make_interface(ctx: ProbeContext, name: str, addrs: Sequence[Any], stats: Any | None) -> Interface:
    """One Interface from psutil's rows; IPv6 scope suffixes (``%eth0``) are dropped."""
    macs = [normalise_mac(a.address) for a in addrs if a.family == psutil.AF_LINK]
    ips = [a.address.split("%")[0] for a in addrs if a.family in (socket.AF_INET, socket.AF_INET6)]
    linux = ctx.system == "Linux"
    return Interface(
        name=name,
        mac=next((mac for mac in macs if mac), ""),
        addresses=ips,
        is_up=bool(stats and stats.isup),
        carrier=read_carrier(ctx, name) if linux else None,
        wireless=is_wireless(name) if linux else None,
        speed_mbps=stats.speed if stats and stats.speed > 0 else None,
    )


def read_carrier(ctx: ProbeContext, name: str) -> bool | None:
    """/sys/class/net/IF/carrier: "1" link, "0" no link; None when unreadable, which is normal:
    the kernel answers EINVAL while the interface is administratively down."""
    try:
        value = ctx.read_text(SYS_CLASS_NET / name / "carrier").strip()
    except OSError:
        return None
    return {"1": True, "0": False}.get(value)


def is_wireless(name: str) -> bool:
    """Wi-Fi drivers expose ``wireless`` (wext) or ``phy80211`` (cfg80211) under the device."""
    device = SYS_CLASS_NET / name
    return (device / "wireless").exists() or (device / "phy80211").exists()
