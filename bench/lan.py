"""ARP sweep benchmark on real hosts: N network namespaces on a bridge (default 100), swept from a
scanner namespace by canhgac's sweep and, in the same run, by Debian's arp-scan; prints wall
time and hosts found for both, and the ratio. Needs root (network namespaces) and arp-scan.

    sudo .venv/bin/python bench/lan.py [--hosts 100] [--json]

``sweep_s`` is the sweep itself, timed inside the scanner process (scapy already imported);
``arp_scan_s`` is the whole arp-scan process (a C program: its start-up is negligible).
Addresses are 10.213.0.0/24 and exist only inside the namespaces, which are removed at the end.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.lan.netns import lan_lab, namespaces_available  # noqa: E402

SWEEP = """
import ipaddress, json, time
import collector.network.arp as lan
network = lan.check_subnet({subnet!r})
lan._load_scapy()
started = time.monotonic()
seen = lan.sweep(network, "eth0", timeout_s={timeout}, retries={retries}, rate_pps={rate})
print(json.dumps({{"seconds": time.monotonic() - started, "macs": {{s.ip: s.mac for s in seen}}}}))
"""


def run_sweep(lab, subnet: str, timeout: float, retries: int, rate: float) -> tuple[float, dict[str, str]]:  # type: ignore[no-untyped-def]
    code = SWEEP.format(subnet=subnet, timeout=timeout, retries=retries, rate=rate)
    done = subprocess.run(lab.in_scanner(sys.executable, "-c", code), capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=True)
    result = json.loads(done.stdout)
    return float(result["seconds"]), dict(result["macs"])


def run_arp_scan(lab, subnet: str) -> tuple[float, dict[str, str]]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    done = subprocess.run(lab.in_scanner("arp-scan", "--interface", "eth0", "--plain", "--quiet", subnet),
                          capture_output=True, text=True, timeout=120, check=True)
    seconds = time.monotonic() - started
    found = {}
    for line in done.stdout.splitlines():
        match = re.match(r"^(\d+\.\d+\.\d+\.\d+)\s+([0-9a-f:]{17})", line)
        if match:
            found[match.group(1)] = match.group(2)
    return seconds, found


@click.command()
@click.option("--hosts", type=click.IntRange(1, 250), default=100, show_default=True)
@click.option("--subnet", default="10.213.0.0/24", show_default=True)
@click.option("--timeout", type=float, default=0.5, show_default=True, help="canhgac sweep: wait per round.")
@click.option("--retries", type=int, default=1, show_default=True, help="canhgac sweep: extra rounds.")
@click.option("--rate", type=float, default=1000, show_default=True, help="canhgac sweep: requests/s.")
@click.option("--json", "as_json", is_flag=True)
def main(hosts: int, subnet: str, timeout: float, retries: int, rate: float, as_json: bool) -> None:
    reason = namespaces_available()
    if reason:
        raise click.ClickException(reason)
    if shutil.which("arp-scan") is None:
        raise click.ClickException("arp-scan is not installed (Debian package arp-scan)")
    with lan_lab(hosts, subnet) as lab:
        sweep_s, found = run_sweep(lab, subnet, timeout, retries, rate)
        arp_scan_s, arp_found = run_arp_scan(lab, subnet)
        expected = lab.macs
    result = {"hosts": hosts, "found": sum(1 for ip, mac in found.items() if expected.get(ip) == mac),
              "sweep_s": round(sweep_s, 3),
              "arp_scan_found": sum(1 for ip, mac in arp_found.items() if expected.get(ip) == mac),
              "arp_scan_s": round(arp_scan_s, 3)}
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"hosts {hosts} on {subnet}")
    click.echo(f"canhgac sweep: {result['found']}/{hosts} found in {result['sweep_s']:.3f} s")
    click.echo(f"arp-scan:      {result['arp_scan_found']}/{hosts} found in {result['arp_scan_s']:.3f} s")
    click.echo(f"ratio (sweep / arp-scan): {sweep_s / arp_scan_s:.2f}")


if __name__ == "__main__":
    main()
