"""Passive ARP listening on real hosts in network namespaces: devices that talk are recorded,
a silent one is not, and the listener sends nothing itself. Needs root (network namespaces)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collector.db import open_database
from collector.store.lan import list_lan_devices
from collector.store.scope import EVERYTHING
from tests.fixtures.lan.netns import lan_lab, namespaces_available

pytestmark = pytest.mark.system

_NO_NAMESPACES = namespaces_available()


@pytest.mark.skipif(_NO_NAMESPACES is not None, reason=f"passive ARP on real hosts not tested here: {_NO_NAMESPACES}")
def test_the_listener_records_hosts_that_talk_and_not_the_silent_one(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'passive.db'}"
    open_database(db_url).dispose()  # the listener records into an existing database (canhgac db init)
    with lan_lab(3) as lab:
        listener = subprocess.Popen(
            lab.in_scanner(sys.executable, "-m", "canhgac", "scan", "lan", "--listen", "4", "--iface", "eth0",
                           "--subnet", lab.subnet, "--json", "--db", db_url),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert listener.stderr is not None
            assert "Listening" in listener.stderr.readline()
            scanner_ip = "10.213.0.1"
            talkers = lab.host_ips()[:2]
            for number, _ip in enumerate(talkers, start=1):
                # any packet to the scanner makes the host ARP for it first (no ping needed)
                poke = f"import socket; s = socket.socket(); s.settimeout(1); s.connect_ex(({scanner_ip!r}, 9))"
                subprocess.run(["ip", "netns", "exec", f"cg{lab.tag}-h{number}", sys.executable, "-c", poke],
                               capture_output=True, timeout=10, check=False)
            out, err = listener.communicate(timeout=20)
        finally:
            if listener.poll() is None:
                listener.kill()
                listener.wait()
        assert listener.returncode == 0, err
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        recorded = {line["mac"] for line in lines}
        assert {lab.macs[ip] for ip in talkers} <= recorded
        assert lab.macs[lab.host_ips()[2]] not in recorded  # the silent host stays unseen
    db = open_database(db_url)
    with db.session() as session:
        stored = {row.mac: row.seen_by for row in list_lan_devices(session, EVERYTHING)}
    db.dispose()
    assert all(stored[lab.macs[ip]] == "passive" for ip in talkers)
