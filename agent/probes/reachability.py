"""Reachability checks for the network probe: TCP connect and ICMP echo, each timed.

Only the network probe calls these, and only for the gateway it read and the targets the
configuration lists (nothing is built in). A target given as a name is resolved when probed.
ICMP uses an unprivileged ping socket where the kernel permits one
(``net.ipv4.ping_group_range``), a raw socket otherwise (root / Administrator); when neither is
permitted the result says so instead of pretending the host is down.
"""

from __future__ import annotations

import os
import socket
import struct
import time

from agent.config import Target
from agent.wire.schema import Reachability, ReachKind

TIMEOUT_S = 2.0
ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0
MAX_PARALLEL = 8


def probe_all(targets: list[tuple[ReachKind, Target]], timeout: float = TIMEOUT_S) -> list[Reachability]:
    """Each ``(kind, target)`` probed, in parallel, results in the given order."""
    if not targets:
        return []
    from concurrent.futures import ThreadPoolExecutor  # only when there is something to probe

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(targets))) as pool:
        return list(pool.map(lambda item: probe(item[0], item[1], timeout), targets))


def probe(kind: ReachKind, target: Target, timeout: float = TIMEOUT_S) -> Reachability:
    """One target: reachable with the latency, or not with the error."""
    check = tcp_connect if target.method == "tcp" else icmp_echo
    try:
        latency = check(target, timeout)
    except OSError as exc:
        return Reachability(target=str(target), kind=kind, method=target.method, reachable=False,
                            error=_reason(exc))
    return Reachability(target=str(target), kind=kind, method=target.method, reachable=True,
                        latency_ms=round(latency * 1000, 2))


def tcp_connect(target: Target, timeout: float) -> float:
    """Seconds to complete a TCP handshake with ``host:port`` (closed at once, nothing sent)."""
    start = time.perf_counter()
    with socket.create_connection((target.host, target.port or 0), timeout=timeout):
        return time.perf_counter() - start


def icmp_echo(target: Target, timeout: float) -> float:
    """Seconds until the echo reply of ``host`` (IPv4); raises OSError (TimeoutError when no
    reply, PermissionError when this process may not send ICMP)."""
    address = socket.getaddrinfo(target.host, None, socket.AF_INET)[0][4][0]
    sock, raw = _icmp_socket()
    with sock:
        sock.settimeout(timeout)
        ident, sequence = os.getpid() & 0xFFFF, int(time.monotonic() * 1000) & 0xFFFF
        start = time.perf_counter()
        sock.sendto(echo_request(ident, sequence), (address, 0))
        deadline = start + timeout
        while True:
            sock.settimeout(max(0.001, deadline - time.perf_counter()))
            data, peer = sock.recvfrom(2048)
            if peer[0] == address and is_echo_reply(data[(data[0] & 0x0F) * 4:] if raw else data, sequence):
                return time.perf_counter() - start


def _icmp_socket() -> tuple[socket.socket, bool]:
    """A ping socket (kernel fills the id, no IP header on receive) or a raw one."""
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
    except OSError:
        pass
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
    except OSError as exc:
        reason = "ICMP not permitted for this process (needs root or ping_group_range)"
        raise PermissionError(exc.errno, reason) from exc


def echo_request(ident: int, sequence: int, payload: bytes = b"canhgac-reachability") -> bytes:
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, sequence)
    checksum = icmp_checksum(header + payload)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, checksum, ident, sequence) + payload


def is_echo_reply(packet: bytes, sequence: int) -> bool:
    """An echo reply to our ``sequence`` (the id is not compared: a ping socket rewrites it)."""
    if len(packet) < 8:
        return False
    kind, _code, _sum, _ident, seq = struct.unpack("!BBHHH", packet[:8])
    return kind == ICMP_ECHO_REPLY and seq == sequence


def icmp_checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve: {exc.strerror or exc}"
    return exc.strerror or str(exc) or type(exc).__name__
