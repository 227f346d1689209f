"""``canhgac scan all``: the scheduled compliance scan, once (rules over every machine and unit)."""

from __future__ import annotations

from pathlib import Path

import click

from canhgac.options import db_option
from canhgac.server_commands import cli_errors, echo_json, utcnow


@click.command("all")
@click.option("--rules-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              envvar="CANHGAC_RULES_DIR", show_envvar=True, default=None, help="Folder of the operator's packs.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def scan_all(rules_dir: Path | None, as_json: bool, db_url: str | None) -> None:
    """Judge every machine (backup age, silent agents...) and every unit (offline PC, licences)."""
    from collector.config import default_db_url
    from collector.db import open_database
    from collector.scan import load_rules
    from collector.scan import scan_all as run_scan

    db = open_database(db_url or default_db_url())
    try:
        summary = run_scan(db, utcnow(), load_rules(rules_dir))
    finally:
        db.dispose()
    if as_json:
        echo_json(summary.__dict__)
        return
    click.echo(f"Đã quét / scanned: {summary.machines} máy / machines, {summary.units} đơn vị / units, "
               f"{summary.changes} thay đổi cảnh báo / alert changes")
