"""The readiness exports of the dashboard: CSV (for Excel set to Vietnamese), the yearly report
in its official form as a printable page and as XLSX (server.readiness_export / _html)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from collector.errors import NotFound
from collector.store.readiness_period import PeriodReport, period_report
from collector.store.readiness_report import ReadinessTable, explain, readiness_table
from collector.store.unit_context import report_year
from rules.indicators import IndicatorError
from server.readiness_export import render_csv, render_xlsx
from server.readiness_html import render_html
from server.web.context import Page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _table(page: Page, unit: str | None) -> ReadinessTable:
    with page.db() as session:
        return readiness_table(session, page.me.scope, unit, page.state.clock(), page.state.rules.indicators)


def _period(page: Page, unit: str | None, period: int | None) -> PeriodReport:
    now = page.state.clock()
    with page.db() as session:
        return period_report(session, page.me.scope, unit, period or report_year(now), now,
                             page.state.rules.indicators)


@get("/readiness.csv", sync_to_thread=True)
def readiness_csv(page: NamedDependency[Page], unit: FromQuery[str | None] = None) -> Response[bytes]:
    table = _table(page, unit)
    name = f"readiness-{table.unit.code}-{table.as_of:%Y%m%d}.csv"
    return Response(render_csv(table), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/readiness/print", sync_to_thread=True)
def readiness_print(page: NamedDependency[Page], unit: FromQuery[str | None] = None,
                    period: FromQuery[int | None] = None, place: FromQuery[str] = "",
                    number: FromQuery[str] = "") -> Response[str]:
    report = _period(page, unit, _year(period))
    return Response(render_html(report, place[:100], number[:40], links=True), media_type="text/html",
                    headers={"Cache-Control": "no-store"})


@get("/readiness.xlsx", sync_to_thread=True)
def readiness_xlsx(page: NamedDependency[Page], unit: FromQuery[str | None] = None,
                   period: FromQuery[int | None] = None) -> Response[bytes]:
    report = _period(page, unit, _year(period))
    name = f"bao-cao-san-sang-{report.table.unit.code}-{report.year}.xlsx"
    return Response(render_xlsx(report), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _year(period: int | None) -> int | None:
    from collector.errors import InvalidInput

    if period is not None and not 2000 <= period <= 2100:
        raise InvalidInput(f"period {period}: a year from 2000 to 2100", code="invalid_period")
    return period


@get("/readiness/explain", sync_to_thread=True)
def readiness_explain(page: NamedDependency[Page], indicator: FromQuery[str],
                      unit: FromQuery[str | None] = None) -> Response[Any]:
    """The web form of ``report readiness --explain``: who fails the figure, why, and what to do."""
    with page.db() as session:
        try:
            found = explain(session, page.me.scope, unit, indicator, page.state.clock(), page.state.rules.indicators)
        except IndicatorError as exc:
            raise NotFound(str(exc), code="unknown_indicator") from exc
    return page.render("explain.html", explanation=found)


READINESS_ROUTES = [readiness_csv, readiness_print, readiness_xlsx, readiness_explain]
