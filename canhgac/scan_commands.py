"""``canhgac scan``: the collector's own looks at the network and the scheduled compliance scan.

Each subcommand lives in its area's module and is imported only when used.
"""

from __future__ import annotations

import click

from canhgac.cli import LazyGroup

SCAN_COMMANDS = {
    "lan": ("canhgac.network_commands:scan_lan", "Sweep a subnet with ARP and record the devices."),
    "snmp": ("canhgac.network_commands:scan_snmp", "Poll one router or switch over SNMP."),
    "all": ("canhgac.scan_all_command:scan_all", "The scheduled compliance scan, once."),
}


@click.group(cls=LazyGroup, lazy=SCAN_COMMANDS)
def scan() -> None:
    """Compliance scans (quét): LAN sweep, SNMP polling, and the whole scheduled scan."""
