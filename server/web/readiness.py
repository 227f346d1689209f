"""The readiness exports of the dashboard: CSV and the printable page (server.readiness_export / _html)."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from collector.store.readiness_report import ReadinessTable, readiness_table
from server.readiness_export import render_csv
from server.readiness_html import render_html
from server.web.context import Page


def _table(page: Page, unit: str | None) -> ReadinessTable:
    with page.db() as session:
        return readiness_table(session, page.me.scope, unit, page.state.clock())


@get("/readiness.csv", sync_to_thread=True)
def readiness_csv(page: NamedDependency[Page], unit: FromQuery[str | None] = None) -> Response[bytes]:
    table = _table(page, unit)
    name = f"readiness-{table.unit.code}-{table.as_of:%Y%m%d}.csv"
    return Response(render_csv(table), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/readiness/print", sync_to_thread=True)
def readiness_print(page: NamedDependency[Page], unit: FromQuery[str | None] = None) -> Response[str]:
    return Response(render_html(_table(page, unit)), media_type="text/html",
                    headers={"Cache-Control": "no-store"})


READINESS_ROUTES = [readiness_csv, readiness_print]
