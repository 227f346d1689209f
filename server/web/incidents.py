"""The incident register page: a period's incidents in the person's subtree with their handling
(effect, what was done, outcome; officers close them), and the export for the report Law 116/2025
asks of a reporting unit (CSV for Excel set to Vietnamese, XLSX)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from collector.errors import InvalidInput
from collector.store.incidents import IncidentRow, get_incident, list_incidents, update_incident
from collector.store.unit_context import period_bounds, report_year
from collector.store.units import list_units
from server.incidents_export import render_incidents_csv, render_incidents_xlsx
from server.params import RowId, UnitFilter
from server.web.context import Form, Page
from server.web.readiness import XLSX


def _rows(page: Page, unit: str | None, period: int | None) -> tuple[int, list[IncidentRow]]:
    year = period or report_year(page.state.clock())
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"period {year}: a year from 2000 to 2100", code="invalid_period")
    with page.db() as session:
        return year, list_incidents(session, page.me.scope, unit, *period_bounds(year))


@get("/incidents", sync_to_thread=True)
def incidents(page: NamedDependency[Page], unit: FromQuery[UnitFilter] = None,
              period: FromQuery[int | None] = None) -> Response[Any]:
    year, rows = _rows(page, unit or None, period)
    with page.db() as session:
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
    return page.render("incidents.html", rows=rows, year=year, unit=unit or "", units=units)


@get("/incidents.csv", sync_to_thread=True)
def incidents_csv(page: NamedDependency[Page], unit: FromQuery[UnitFilter] = None,
                  period: FromQuery[int | None] = None) -> Response[bytes]:
    year, rows = _rows(page, unit or None, period)
    return Response(render_incidents_csv(rows), media_type="text/csv", headers=_download(unit, year, "csv"))


@get("/incidents.xlsx", sync_to_thread=True)
def incidents_xlsx(page: NamedDependency[Page], unit: FromQuery[UnitFilter] = None,
                   period: FromQuery[int | None] = None) -> Response[bytes]:
    year, rows = _rows(page, unit or None, period)
    title = f"Sổ sự cố an toàn thông tin năm {year}" + (f" — {unit}" if unit else "")
    return Response(render_incidents_xlsx(rows, title), media_type=XLSX, headers=_download(unit, year, "xlsx"))


def _download(unit: str | None, year: int, extension: str) -> dict[str, str]:
    name = f"su-co-{unit or 'tat-ca'}-{year}.{extension}"
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@post("/incidents/{incident_id:int}", sync_to_thread=True)
def update(page: NamedDependency[Page], incident_id: FromPath[RowId], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    with page.db() as session:
        get_incident(session, page.me.scope, incident_id)  # 404 outside the scope comes before 403
        page.require_officer()
        update_incident(session, page.me.scope, incident_id, page.state.clock(), page.me.name,
                        effect=data.get("effect"), handling=data.get("handling"), outcome=data.get("outcome"),
                        close=data.get("close") == "1")
    return page.redirect("/incidents")


INCIDENT_ROUTES = [incidents, incidents_csv, incidents_xlsx, update]
