"""Free loopback port numbers for what a test starts (a server, snmpd) or keeps closed.

A number is free when the kernel hands it out (bind to port 0), but it is only handed over after
the socket is closed: another process asking at that moment may be given the same number, and a
test that stops its server and starts it again on the same port leaves it free for a while. The
tests run on several pytest-xdist workers, so each worker takes only the numbers of its own share
((port // 2) % workers == its index; the kernel gives bind(0) odd ports first, so the share is not
taken on parity): two workers are never given the same number. Serial runs take any.
"""

from __future__ import annotations

import os
import socket


def _share() -> tuple[int, int]:
    """(this worker's index, the number of workers); (0, 1) outside pytest-xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ...
    try:
        count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        index = int(worker[2:]) if worker.startswith("gw") else 0
    except ValueError:
        return 0, 1
    return (index, count) if count > 1 and 0 <= index < count else (0, 1)


def free_port(udp: bool = False) -> int:
    """A port on 127.0.0.1 that nothing is bound to now (TCP, or UDP), of this worker's share."""
    index, count = _share()
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    for _ in range(1000):  # bounded: about ``count`` tries are needed
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if (port // 2) % count == index:
            return port
    raise RuntimeError(f"no free loopback port of worker {index}'s share in 1000 tries")
