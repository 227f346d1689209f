"""Machines (filterable list, detail with every section of the last report and its history),
alerts (filter, acknowledge with a comment, history), the network and the licence register."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from agent.wire.schema import Report
from collector.errors import InvalidInput
from collector.store.alerts import ack_alert, alert_history, get_alert
from collector.store.dashboard import (
    SEVERITIES,
    STATUSES,
    alerts_page,
    licence_lines,
    machine_alerts,
    machine_history,
    machines_page,
    network_page,
)
from collector.store.licences import add_licence
from collector.store.machines import get_machine
from collector.store.units import list_units
from server.web.context import Page
from server.web.overview import Form
from server.web.report_view import report_sections

PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]


@get("/machines", sync_to_thread=True)
def machines(page: NamedDependency[Page], unit: FromQuery[str | None] = None, q: FromQuery[str] = "",
             role: FromQuery[Literal["normal", "offline"] | None] = None, p: PageNumber = 1) -> Response[Any]:
    with page.db() as session:
        result = machines_page(session, page.me.scope, unit or None, q.strip()[:100], role, p)
    return page.render("machines.html", result=result, unit=unit or "", q=q, role=role or "")


@get("/machines/{machine_id:int}", sync_to_thread=True)
def machine(page: NamedDependency[Page], machine_id: FromPath[int]) -> Response[Any]:
    with page.db() as session:
        row, state_json = get_machine(session, page.me.scope, machine_id)
        history = machine_history(session, machine_id)
        alerts = machine_alerts(session, machine_id)
    report = msgspec.json.decode(state_json, type=Report) if state_json else None
    sections = report_sections(report, page.lang) if report else []
    return page.render("machine.html", machine=row, report=report, sections=sections, history=history,
                       alerts=alerts)


@get("/alerts", sync_to_thread=True)
def alerts(page: NamedDependency[Page],
           status: FromQuery[Literal["open", "acknowledged", "resolved", "all"]] = "open",
           severity: FromQuery[Literal["critical", "high", "medium", "low", "info"] | None] = None,
           unit: FromQuery[str | None] = None, p: PageNumber = 1) -> Response[Any]:
    with page.db() as session:
        result = alerts_page(session, page.me.scope, None if status == "all" else status, severity, unit or None, p)
    return page.render("alerts.html", result=result, chosen=status, severity=severity or "", unit=unit or "",
                       statuses=STATUSES, severities=SEVERITIES)


@get("/alerts/{alert_id:int}", sync_to_thread=True)
def alert(page: NamedDependency[Page], alert_id: FromPath[int]) -> Response[Any]:
    with page.db() as session:
        row, unit_code = get_alert(session, page.me.scope, alert_id)
        history = alert_history(session, alert_id)
        session.expunge_all()
    return page.render("alert.html", alert=row, unit_code=unit_code, history=history)


@post("/alerts/{alert_id:int}/ack", sync_to_thread=True)
def acknowledge(page: NamedDependency[Page], alert_id: FromPath[int], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    comment = data.get("comment", "").strip()
    with page.db() as session:
        get_alert(session, page.me.scope, alert_id)  # 404 outside the scope comes before 403 for viewers
        page.require_officer()
        if not comment or len(comment) > 2000:
            raise InvalidInput("a comment of 1 to 2000 characters is needed", code="comment_required")
        ack_alert(session, page.me.scope, alert_id, page.me.name, comment, page.state.clock())
    return page.redirect(f"/alerts/{alert_id}")


@get("/network", sync_to_thread=True)
def network(page: NamedDependency[Page], kp: PageNumber = 1, up: PageNumber = 1, lp: PageNumber = 1,
            sp: PageNumber = 1) -> Response[Any]:
    """Links (``kp``), devices without an agent (``up``), LAN devices (``lp``), SNMP devices (``sp``):
    each list paged on its own."""
    with page.db() as session:
        lists = network_page(session, page.me.scope, page.state.clock(), kp, up, lp, sp)
    return page.render("network.html", lists=lists)


@get("/licences", sync_to_thread=True)
def licences(page: NamedDependency[Page], p: PageNumber = 1) -> Response[Any]:
    return _licences_page(page, number=p)


def _licences_page(page: Page, status: int = 200, error: str = "", form: dict[str, str] | None = None,
                   number: int = 1) -> Response[Any]:
    with page.db() as session:
        lines = licence_lines(session, page.me.scope, page.state.clock().date(), number)
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
    return page.render("licences.html", status=status, lines=lines, units=units, error=error, form=form or {})


@post("/licences", sync_to_thread=True)
def register_licence(page: NamedDependency[Page], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    try:
        seats = int(data.get("seats", ""))
        expires = date.fromisoformat(data.get("expires", ""))
        starts = date.fromisoformat(data["starts"]) if data.get("starts") else None
    except ValueError:
        return _licences_page(page, 400, "bad_number_or_date", data)
    with page.db() as session:
        try:
            add_licence(session, data.get("product", ""), data.get("match", ""), seats, expires,
                        data.get("unit", ""), page.state.clock(), starts, page.me.scope)
        except InvalidInput:
            session.rollback()
            return _licences_page(page, 400, "invalid_licence", data)
    return page.redirect("/licences")


RECORD_ROUTES = [machines, machine, alerts, alert, acknowledge, network, licences, register_licence]
