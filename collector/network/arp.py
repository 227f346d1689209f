"""LAN discovery with ARP (scapy): an active sweep of a subnet, and a passive listener.

The sweep sends one ARP who-has per address at a bounded rate, listens for the answers with a
BPF filter on the same interface, and asks again (``retries`` times) only the addresses that
stayed silent. Its cost is about (addresses / rate) + (1 + retries) x timeout.

Raw sockets need CAP_NET_RAW (root, or ``AmbientCapabilities=CAP_NET_RAW`` for the service);
without it the sweep raises ``LanError`` saying so. Vendors come from the Wireshark OUI table
that scapy bundles (``scapy.libs.manuf``): no network and no extra file needed.
scapy is imported inside the functions that use it: importing this module costs nothing.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from agent.wire.schema import normalise_mac
from collector.errors import CanhgacError, InvalidInput

DEFAULT_MAX_PREFIX = 22  # /22 = 1,022 addresses: larger sweeps need --force
_ARP_REPLIES = "arp and arp[7] = 2"  # op == 2 (is-at), tested in the kernel


class LanError(CanhgacError):
    """The sweep could not run (no such interface, no permission for raw sockets)."""

    status = 500
    code = "lan_sweep_failed"


class Seen(msgspec.Struct, frozen=True):
    """One device seen on the LAN: its IPv4 address and MAC (lower case, colon separated)."""

    ip: str
    mac: str


def check_subnet(cidr: str, max_prefix: int = DEFAULT_MAX_PREFIX, force: bool = False) -> ipaddress.IPv4Network:
    """The subnet to sweep; InvalidInput when it is not IPv4 CIDR or larger than /max_prefix
    (unless ``force``)."""
    try:
        subnet = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError as exc:
        raise InvalidInput(f"subnet {cidr!r} is not CIDR notation (e.g. 192.168.1.0/24): {exc}") from exc
    if not isinstance(subnet, ipaddress.IPv4Network):
        raise InvalidInput(f"subnet {cidr!r}: ARP sweeps are IPv4 only")
    if subnet.prefixlen < max_prefix and not force:
        raise InvalidInput(f"subnet {subnet} has {subnet.num_addresses} addresses, more than a /{max_prefix}; "
                           "sweep smaller subnets or pass --force", code="subnet_too_large")
    return subnet


def sweep_addresses(subnet: ipaddress.IPv4Network, own_ip: str | None = None) -> list[str]:
    """Every host address of ``subnet`` except our own."""
    hosts = subnet.hosts() if subnet.prefixlen < 31 else iter(subnet)
    return [str(address) for address in hosts if str(address) != own_ip]


def vendor_of(mac: str) -> str:
    """The maker registered for the MAC's OUI (Wireshark manuf, bundled by scapy); "" if unknown.

    A locally administered MAC (second-lowest bit of the first octet set: VMs, randomised
    Wi-Fi addresses) has no maker, and says so.
    """
    if not mac:
        return ""
    from scapy.config import conf

    try:
        short, long_name = conf.manufdb.lookup(mac)
    except (KeyError, AttributeError):
        short = long_name = mac
    if long_name and long_name != mac:  # scapy answers the MAC itself for an unknown OUI
        return str(long_name or short)
    return "(locally administered)" if int(mac[:2], 16) & 0x02 else ""


def sweep(subnet: ipaddress.IPv4Network, iface: str | None = None, timeout_s: float = 0.5, retries: int = 1,
          rate_pps: float = 1000.0, progress: Callable[[int], None] | None = None) -> list[Seen]:
    """ARP-sweep ``subnet`` from ``iface`` (the route's interface when None); the devices that
    answered, by address. ``progress(n)`` is called as first-round requests go out."""
    _load_scapy()
    iface = iface or _route_iface(subnet)
    own_mac, own_ip = _own_addresses(iface)
    answers: dict[str, str] = {}
    lock = threading.Lock()

    def record(packet: Any) -> None:
        seen = seen_in(packet, subnet)
        if seen is not None:
            with lock:
                answers.setdefault(seen.ip, seen.mac)

    pending = sweep_addresses(subnet, own_ip)
    with _sniffing(iface, _ARP_REPLIES, record), _l2_socket(iface) as sock:
        for attempt in range(1 + max(0, retries)):
            _send_requests(sock, pending, own_mac, own_ip, rate_pps, progress if attempt == 0 else None)
            _wait_for(answers, pending, timeout_s)
            with lock:
                pending = [ip for ip in pending if ip not in answers]
            if not pending:
                break
    return [Seen(ip=ip, mac=answers[ip]) for ip in sorted(answers, key=ipaddress.IPv4Address)]


def seen_in(packet: Any, subnet: ipaddress.IPv4Network | None = None) -> Seen | None:
    """The (IP, MAC) an ARP packet announces about its sender; None for ARP probes (sender
    0.0.0.0), other packets, or senders outside ``subnet``."""
    from scapy.layers.l2 import ARP

    if ARP not in packet:
        return None
    arp = packet[ARP]
    ip, mac = str(arp.psrc), normalise_mac(str(arp.hwsrc))
    if ip == "0.0.0.0" or not mac:
        return None
    if subnet is not None and ipaddress.IPv4Address(ip) not in subnet:
        return None
    return Seen(ip=ip, mac=mac)


def listen(iface: str, on_seen: Callable[[Seen], None]) -> Any:
    """Passive mode: a started scapy AsyncSniffer calling ``on_seen`` for every ARP sender on
    ``iface`` (requests and replies, without sending anything). Stop it with ``.stop()``."""
    _load_scapy()
    from scapy.sendrecv import AsyncSniffer

    def record(packet: Any) -> None:
        seen = seen_in(packet)
        if seen is not None:
            on_seen(seen)

    started = threading.Event()
    sniffer = AsyncSniffer(iface=iface, filter="arp", store=False, prn=record, started_callback=started.set)
    _start(sniffer, started, iface)
    return sniffer


def _load_scapy() -> Any:
    """scapy's conf with the platform layer loaded (interfaces and routes are read by scapy.all,
    not by scapy.config alone)."""
    import scapy.all  # noqa: F401
    from scapy.config import conf

    conf.verb = 0
    return conf


def _route_iface(subnet: ipaddress.IPv4Network) -> str:
    from scapy.config import conf

    iface = conf.route.route(str(subnet.network_address))[0]
    return str(iface)


def _own_addresses(iface: str) -> tuple[str, str]:
    from scapy.interfaces import resolve_iface

    try:
        device = resolve_iface(iface)
        mac = device.mac
        ips = device.ips.get(4, [])
    except (OSError, ValueError, AttributeError) as exc:
        raise LanError(f"interface {iface!r}: {exc}", code="no_such_interface") from exc
    if not mac or not device.is_valid():
        raise LanError(f"no usable interface {iface!r}", code="no_such_interface")
    return normalise_mac(mac), (ips[0] if ips else "0.0.0.0")


class _sniffing:
    """A started AsyncSniffer for the duration of a with-block."""

    def __init__(self, iface: str, bpf: str, prn: Callable[[Any], None]) -> None:
        from scapy.sendrecv import AsyncSniffer

        self.started = threading.Event()
        self.iface = iface
        self.sniffer = AsyncSniffer(iface=iface, filter=bpf, store=False, prn=prn,
                                    started_callback=self.started.set)

    def __enter__(self) -> Any:
        _start(self.sniffer, self.started, self.iface)
        return self.sniffer

    def __exit__(self, *_exc: object) -> None:
        if self.sniffer.running:
            self.sniffer.stop()


def _start(sniffer: Any, started: threading.Event, iface: str) -> None:
    sniffer.start()
    # AsyncSniffer opens its socket in a thread; a permission error surfaces there, not here.
    for _ in range(200):
        if started.wait(0.01):
            return
        if not sniffer.running or (sniffer.thread is not None and not sniffer.thread.is_alive()):
            break
    sniffer_error = getattr(sniffer, "exception", None)
    if isinstance(sniffer_error, PermissionError) or sniffer_error is None:
        raise LanError(f"cannot listen on {iface!r}: raw sockets need root or CAP_NET_RAW "
                       f"({sniffer_error or 'sniffer did not start'})", code="no_raw_socket")
    raise LanError(f"cannot listen on {iface!r}: {sniffer_error}", code="no_such_interface")


class _l2_socket:
    def __init__(self, iface: str) -> None:
        self.iface = iface
        self.sock: Any = None

    def __enter__(self) -> Any:
        from scapy.config import conf

        try:
            self.sock = conf.L2socket(iface=self.iface)
        except PermissionError as exc:
            raise LanError(f"cannot send on {self.iface!r}: raw sockets need root or CAP_NET_RAW",
                           code="no_raw_socket") from exc
        except OSError as exc:
            raise LanError(f"cannot send on {self.iface!r}: {exc}", code="no_such_interface") from exc
        return self.sock

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()


def _send_requests(sock: Any, addresses: Iterable[str], own_mac: str, own_ip: str, rate_pps: float,
                   progress: Callable[[int], None] | None) -> None:
    from scapy.layers.l2 import ARP, Ether

    template = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=own_mac) / ARP(hwsrc=own_mac, psrc=own_ip, pdst="0.0.0.0"))
    interval = 1.0 / rate_pps if rate_pps > 0 else 0.0
    next_at = time.monotonic()
    for address in addresses:
        # the target protocol address is the frame's last 4 bytes (Ethernet 14 + ARP 28, no padding yet)
        sock.outs.send(template[:-4] + ipaddress.IPv4Address(address).packed)
        if progress is not None:
            progress(1)
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def _wait_for(answers: dict[str, str], pending: list[str], timeout_s: float) -> None:
    """Wait ``timeout_s`` after the last request, or less once every pending address answered."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not all(ip in answers for ip in pending):
        time.sleep(0.01)
