"""``canhgac report readiness``: the readiness table of a unit and its children, in the format the
yearly report needs (terminal table, JSON, CSV with BOM, XLSX, printable HTML), or the
explanation of one figure (``--explain INDICATOR``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session
from canhgac.collector_options import db_option

FORMATS = ("table", "json", "csv", "xlsx", "html")


@click.group("report")
def report() -> None:
    """Reports (báo cáo): readiness per unit, rolled up the unit tree."""


@report.command("readiness")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="The unit (default: the top unit).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output (needed for xlsx).")
@click.option("--explain", "indicator", default=None, metavar="INDICATOR",
              help="List what the figure leaves out of its numerator, with the reason for each.")
@db_option
@cli_errors
def readiness(unit_code: str | None, fmt: str, out: Path | None, indicator: str | None, db_url: str | None) -> None:
    """Readiness indicators (chỉ số sẵn sàng) of --unit and of each child unit, with targets and trend."""
    from collector.store.readiness import refresh_machine_readiness
    from collector.store.readiness_report import explain, readiness_table
    from collector.store.scope import EVERYTHING
    from rules.indicators import IndicatorError

    now = clock.utcnow()
    with db_session(db_url) as session:
        # Machines stored before readiness existed get their rows now rather than at the next scan.
        refresh_machine_readiness(session, now, only_missing=True)
        try:
            if indicator is not None:
                _emit_explanation(explain(session, EVERYTHING, unit_code, indicator, now), fmt, out)
                return
        except IndicatorError as exc:
            raise click.BadParameter(str(exc), param_hint="--explain") from exc
        table = readiness_table(session, EVERYTHING, unit_code, now)
    _emit(_render(table, fmt, out), out)


def _render(table, fmt: str, out: Path | None) -> bytes:  # type: ignore[no-untyped-def]
    import server.readiness_export as export
    from server.readiness_html import render_html

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx needs --out FILE")
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(table), indent=2) + b"\n"
    if fmt == "csv":
        return export.render_csv(table)
    if fmt == "xlsx":
        return export.render_xlsx(table)
    if fmt == "html":
        return render_html(table).encode("utf-8")
    return export.render_table(table).encode("utf-8")


def _emit_explanation(explanation, fmt: str, out: Path | None) -> None:  # type: ignore[no-untyped-def]
    from server.readiness_export import render_explanation

    if fmt == "json":
        _emit(msgspec.json.format(msgspec.json.encode(explanation), indent=2) + b"\n", out)
    elif fmt == "table":
        _emit(render_explanation(explanation).encode("utf-8"), out)
    else:
        raise click.UsageError("--explain prints a table or json")


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        stream = sys.stdout.buffer  # bytes as they are: XLSX, CSV with its BOM
        stream.write(data)
        stream.flush()
        return
    out.write_bytes(data)
    click.echo(f"Đã ghi / written: {out} ({len(data)} bytes)", err=True)
