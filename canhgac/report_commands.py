"""``canhgac report readiness``: the readiness of a unit and its children, in the format the
yearly report needs (terminal table, JSON, CSV for Excel set to Vietnamese, and the official form
as XLSX or a printable HTML page for ``--period YEAR``), or the explanation of one figure
(``--explain INDICATOR``: who fails it, why, and what to do)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session
from canhgac.collector_options import collector_options
from collector.config import CollectorConfig

if TYPE_CHECKING:
    from collector.store.readiness_period import PeriodReport
    from collector.store.readiness_report import Explanation, ReadinessTable

FORMATS = ("table", "json", "csv", "xlsx", "html")


@click.group("report")
def report() -> None:
    """Reports (báo cáo): readiness per unit, rolled up the unit tree."""


@report.command("readiness")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="The unit (default: the top unit).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output (needed for xlsx).")
@click.option("--period", "year", type=click.IntRange(2000, 2100), default=None, metavar="YEAR",
              help="The reporting year of the official form (html, xlsx): figures as of its end, the trend from "
                   "its start. Default: this year.")
@click.option("--place", default="", help="The place of the date line (default: from the unit's name).")
@click.option("--number", default="", help="The report's number (Số), e.g. 15/BC-UBND.")
@click.option("--explain", "indicator", default=None, metavar="INDICATOR",
              help="List what the figure leaves out of its numerator, with the reason for each.")
@collector_options("db_url", "data_dir", "rules_dir")
@cli_errors
def readiness(unit_code: str | None, fmt: str, out: Path | None, year: int | None, place: str, number: str,
              indicator: str | None, config: CollectorConfig) -> None:
    """Readiness indicators (chỉ số sẵn sàng) of --unit and of each child unit, with targets and trend."""
    from collector.judging.rules import load_rules
    from collector.store.readiness import refresh_machine_readiness
    from collector.store.readiness_period import period_report
    from collector.store.readiness_report import explain, readiness_table
    from collector.store.scope import EVERYTHING
    from collector.store.unit_context import report_year
    from rules.indicators import IndicatorError

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx needs --out FILE")
    now, indicators = clock.utcnow(), load_rules(config.rules_dir).indicators
    with db_session(config.db_url) as session:
        # Machines stored before readiness existed get their rows now rather than at the next scan.
        refresh_machine_readiness(session, now, only_missing=True, indicators=indicators)
        if indicator is not None:
            try:
                found = explain(session, EVERYTHING, unit_code, indicator, now, indicators)
            except IndicatorError as exc:
                raise click.BadParameter(str(exc), param_hint="--explain") from exc
            _emit_explanation(found, fmt, out)
            return
        if fmt in ("html", "xlsx"):
            period = period_report(session, EVERYTHING, unit_code, year or report_year(now), now, indicators)
            _emit(_render_form(period, fmt, place, number), out)
            return
        table = readiness_table(session, EVERYTHING, unit_code, now, indicators)
    _emit(_render(table, fmt), out)


def _render(table: ReadinessTable, fmt: str) -> bytes:
    import server.readiness_export as export

    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(table), indent=2) + b"\n"
    if fmt == "csv":
        return export.render_csv(table)
    return export.render_table(table).encode("utf-8")


def _render_form(period: PeriodReport, fmt: str, place: str, number: str) -> bytes:
    from server.readiness_export import render_xlsx
    from server.readiness_html import render_html

    if fmt == "xlsx":
        return render_xlsx(period, place, number)
    return render_html(period, place, number).encode("utf-8")


def _emit_explanation(explanation: Explanation, fmt: str, out: Path | None) -> None:
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
