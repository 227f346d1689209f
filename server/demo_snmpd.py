"""The demo's network gear: a real Net-SNMP agent (Debian ``snmpd``) on a free loopback UDP port,
configured as Tân Hòa's router on the dedicated data line, when the package is installed. Started
in the foreground with only this configuration (no SMUX, its own persistent folder) and stopped
by its PID. tests/fixtures/snmp/agent.py starts the tests' own the same way."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

COMMUNITY = "canhgac-demo"
SYS_NAME = "router-tanhoa"
CONFIG = """# canhgac demo: Tan Hoa's router, loopback only
agentAddress  udp:127.0.0.1:{port}
rocommunity   {community}  127.0.0.1
sysDescr      canhgac demo: Net-SNMP as the router of the dedicated data line
sysLocation   Phong may, UBND xa Tan Hoa
sysContact    tanhoa-cntt@example.invalid
sysName       {name}
"""


def snmpd_binary() -> str | None:
    """The snmpd program, None when the package is not installed."""
    return shutil.which("snmpd") or ("/usr/sbin/snmpd" if os.path.exists("/usr/sbin/snmpd") else None)


class DemoSnmpd:
    """``start()`` then ``address`` (127.0.0.1:PORT); ``stop()`` ends the process it started."""

    def __init__(self, workdir: Path, binary: str) -> None:
        self.workdir, self.binary = workdir, binary
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10) -> str:
        self.port = _free_udp_port()
        (self.workdir / "persist").mkdir(parents=True, exist_ok=True)
        config = self.workdir / "snmpd.conf"
        config.write_text(CONFIG.format(port=self.port, community=COMMUNITY, name=SYS_NAME))
        log_path = self.workdir / "snmpd.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-f", "-Lo", "-C", "-c", str(config), "-I", "-smux", "-p", str(self.workdir / "pid")],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "SNMP_PERSISTENT_DIR":
                                                          str(self.workdir / "persist"), "MIBS": ""})
        deadline = time.monotonic() + timeout_s
        while "NET-SNMP version" not in log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"snmpd did not start: {log_path.read_text(errors='replace')[-300:]}")
            time.sleep(0.05)
        return self.address

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
