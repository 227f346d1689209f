"""The machines pages: the filterable list, and one machine with every section of its last report,
its alerts and its report history."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from agent.wire.schema import Report, Role
from collector.store.alerts import machine_alerts
from collector.store.machines import get_machine, machine_history, machines_page
from server.web.context import Page, PageNumber
from server.web.report_view import report_sections


@get("/machines", sync_to_thread=True)
def machines(page: NamedDependency[Page], unit: FromQuery[str | None] = None, q: FromQuery[str] = "",
             role: FromQuery[Role | None] = None, p: PageNumber = 1) -> Response[Any]:
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


MACHINE_ROUTES = [machines, machine]
