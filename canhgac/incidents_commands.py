"""``canhgac incidents``: the incident register (sổ sự cố an toàn thông tin): list a unit's
incidents of a period, export them for the report Law 116/2025 asks, write their handling, close."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.store.scope import EVERYTHING

FORMATS = ("table", "json", "csv", "xlsx")


@click.group("incidents")
def incidents() -> None:
    """The incident register (sổ sự cố): malware, the offline PC connected, tampering."""


@incidents.command("list")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Only this unit's subtree.")
@click.option("--period", "year", type=click.IntRange(2000, 2100), default=None, metavar="YEAR",
              help="Incidents detected in this calendar year (Vietnam time).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (needed for xlsx).")
@db_option
@cli_errors
def incidents_list(unit_code: str | None, year: int | None, fmt: str, out: Path | None, db_url: str | None) -> None:
    """List (or export) the incidents: what, where, when, effect, handling, outcome."""
    from collector.store.incidents import list_incidents
    from collector.store.unit_context import period_bounds
    from server.incidents_export import render_incidents_csv, render_incidents_table, render_incidents_xlsx

    since, until = period_bounds(year) if year else (None, None)
    with db_session(db_url) as session:
        rows = list_incidents(session, EVERYTHING, unit_code, since, until)
    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx needs --out FILE")
    if fmt == "json":
        data = msgspec.json.format(msgspec.json.encode(rows), indent=2) + b"\n"
    elif fmt == "csv":
        data = render_incidents_csv(rows)
    elif fmt == "xlsx":
        title = " — ".join(filter(None, ("Sổ sự cố an toàn thông tin" + (f" năm {year}" if year else ""), unit_code)))
        data = render_incidents_xlsx(rows, title)
    else:
        data = render_incidents_table(rows).encode("utf-8")
    if out is None:
        click.get_binary_stream("stdout").write(data)
        return
    out.write_bytes(data)
    click.echo(f"Đã ghi / written: {out} ({len(data)} bytes, {len(rows)} sự cố / incidents)", err=True)


@incidents.command("update")
@click.argument("incident_id", type=int)
@click.option("--effect", default=None, help="What it affected (ảnh hưởng, hậu quả).")
@click.option("--handling", default=None, help="What was done (biện pháp xử lý).")
@click.option("--outcome", default=None, help="How it ended (kết quả).")
@click.option("--close", is_flag=True, help="Close the incident (needs an outcome).")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def incidents_update(incident_id: int, effect: str | None, handling: str | None, outcome: str | None, close: bool,
                     as_json: bool, db_url: str | None) -> None:
    """Write an incident's effect, handling and outcome; --close closes it."""
    from collector.store.incidents import update_incident

    with db_session(db_url) as session:
        row = update_incident(session, EVERYTHING, incident_id, clock.utcnow(), "cli", effect=effect,
                              handling=handling, outcome=outcome, close=close)
    if as_json:
        echo_json(msgspec.structs.asdict(row))
        return
    click.echo(f"#{row.id}: {'đã đóng / closed' if row.closed_at else 'đã cập nhật / updated'}")
