"""``canhgac scan all``: the scheduled compliance scan, once (rules over every machine and unit)."""

from __future__ import annotations

from pathlib import Path

import click

from canhgac.options import db_option
from canhgac.server_commands import cli_errors, echo_json, utcnow


@click.command("all")
@click.option("--rules-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              envvar="CANHGAC_RULES_DIR", show_envvar=True, default=None, help="Folder of the operator's packs.")
@click.option("--no-network", is_flag=True, help="Only the rules: no LAN sweep, no SNMP poll, no link check.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def scan_all(rules_dir: Path | None, no_network: bool, as_json: bool, db_url: str | None) -> None:
    """The scheduled compliance scan, once: sweep the saved LAN subnets (scan lan --save), poll the
    configured SNMP devices, judge the links, then every machine (backup age, silent agents, MAC
    seen on the LAN...) and every unit (offline PC, dedicated line, unknown devices, licences).
    A part that fails is reported and the others still run; exits 1 if any part failed."""
    from dataclasses import asdict

    from collector.config import default_db_url
    from collector.db import open_database
    from collector.judging.rules import load_rules
    from collector.judging.scan import scan_all as run_scan

    db = open_database(db_url or default_db_url())
    try:
        summary = run_scan(db, utcnow(), load_rules(rules_dir), network=not no_network)
    finally:
        db.dispose()
    if as_json:
        echo_json({**summary.__dict__, "network": [asdict(part) for part in summary.network]})
    else:
        for part in summary.network:
            mark = "ok " if part.ok else "LỖI / FAILED"
            click.echo(f"[{part.part}] {part.target}: {mark} {part.detail}")
        click.echo(f"Đã quét / scanned: {summary.machines} máy / machines, {summary.units} đơn vị / units, "
                   f"{summary.changes} thay đổi cảnh báo / alert changes")
    if any(not part.ok for part in summary.network):
        raise SystemExit(1)
