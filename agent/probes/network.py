"""Network probe: interfaces, default gateway and DNS servers, from local state only.

Nothing is sent, resolved or connected to: psutil's interface tables, /proc and /sys files,
/etc/resolv.conf. Reachability checks belong to another probe (a later issue).

Loopback interfaces (``lo``, Windows' "Loopback Pseudo-Interface 1") are left out: they are
always up with a carrier and would only blur the offline-PC evidence ("any interface up").
"""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from agent.probes.context import ProbeContext, attempt, read_optional
from agent.schema import Interface, Network, ProbeError

PROC_NET_ROUTE = Path("/proc/net/route")
RESOLV_CONF = Path("/etc/resolv.conf")
# systemd-resolved points /etc/resolv.conf at its stub 127.0.0.53; the real upstream servers
# are listed in this file (systemd-resolved.service(8), "/run/systemd/resolve/resolv.conf").
RESOLVED_UPSTREAM_CONF = Path("/run/systemd/resolve/resolv.conf")
RESOLVED_STUB = "127.0.0.53"
SYS_CLASS_NET = Path("/sys/class/net")
RTF_UP_GATEWAY = 0x0003  # RTF_UP | RTF_GATEWAY from linux/route.h


def normalise_mac(raw: str) -> str:
    """``aa:bb:cc:dd:ee:ff`` from any of ``AA-BB-..``, ``aa:bb:..``, ``aabb.ccdd.eeff``;
    "" when it is not a 48-bit MAC or is all zeros (loopback, tunnels)."""
    digits = re.sub(r"[:\-.]", "", raw.strip()).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", digits) or digits == "0" * 12:
        return ""
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


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


def collect(ctx: ProbeContext) -> Network:
    """Interfaces, default gateway (Linux) and DNS servers (Linux); never raises.

    Elsewhere the gateway is None and the DNS list empty, without error (the Windows readers
    come with another issue).
    """
    errors: list[ProbeError] = []
    interfaces = attempt(errors, "interfaces", lambda: read_interfaces(ctx), [])
    if ctx.system != "Linux":
        return Network(errors=errors, interfaces=interfaces)
    gateway = attempt(errors, "default_gateway", lambda: read_default_gateway(ctx), None)
    dns = attempt(errors, "dns_servers", lambda: read_dns_servers(ctx), [])
    return Network(errors=errors, interfaces=interfaces, default_gateway=gateway, dns_servers=dns)


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
