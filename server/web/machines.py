"""The machines pages: the filterable list, and one machine with every section of its last report,
its alerts and its report history."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from agent import __version__
from agent.wire.schema import Report, Role
from collector.errors import InvalidInput
from collector.models.machines import MachineUsage
from collector.store.agents import is_older
from collector.store.alerts import machine_alerts
from collector.store.machine_list import all_machines, find_machines
from collector.store.machines import declare_agentless, get_machine, machine_history, set_machine_usage
from collector.store.officials import machine_official, machine_users
from server.list_exports import machines_sheet
from server.params import RowId
from server.web.context import Form, Page, PageNumber
from server.web.downloads import download
from server.web.i18n import VIETNAM, moment
from server.web.machine_filters import COLUMNS, INDICATOR_LABELS, export_query, machine_filter
from server.web.report_view import report_sections


@get("/machines", sync_to_thread=True)
def machines(page: NamedDependency[Page], p: PageNumber = 1) -> Response[Any]:
    wanted = machine_filter(page.request.query_params)
    with page.db() as session:
        result = find_machines(session, page.me.scope, wanted, page.state.clock(), __version__, p)
    return page.render("machines.html", result=result, wanted=wanted, indicators=INDICATOR_LABELS,
                       columns=COLUMNS, export_query=export_query(page.request.query_params))


@get("/machines.csv", sync_to_thread=True)
def machines_csv(page: NamedDependency[Page]) -> Response[Any]:
    return _export(page, "csv")


@get("/machines.xlsx", sync_to_thread=True)
def machines_xlsx(page: NamedDependency[Page]) -> Response[Any]:
    return _export(page, "xlsx")


def _export(page: Page, kind: str) -> Response[Any]:
    """Every machine the list shows with the same filters and order, not only its page."""
    wanted = machine_filter(page.request.query_params)
    now = page.state.clock()
    with page.db() as session:
        lines = all_machines(session, page.me.scope, wanted, now, __version__)
    sheet = machines_sheet(lines, f"Danh sách máy tính, xuất lúc {moment(now)}")
    return download(sheet, kind, f"may-tinh-{now.astimezone(VIETNAM):%Y%m%d-%H%M}")


@get("/machines/{machine_id:int}", sync_to_thread=True)
def machine(page: NamedDependency[Page], machine_id: FromPath[RowId]) -> Response[Any]:
    with page.db() as session:
        row, state_json = get_machine(session, page.me.scope, machine_id)
        history = machine_history(session, machine_id)
        alerts = machine_alerts(session, machine_id)
        users, official = machine_users(session, machine_id), machine_official(session, machine_id)
    report = msgspec.json.decode(state_json, type=Report) if state_json else None
    sections = report_sections(report, page.lang) if report else []
    older = report is not None and is_older(report.identity.agent_version, report.schema_version, __version__)
    return page.render("machine.html", machine=row, report=report, sections=sections, history=history,
                       alerts=alerts, users=users, official=official, usages=tuple(MachineUsage),
                       agent_older=older, collector_version=__version__)


@post("/machines/{machine_id:int}/usage", sync_to_thread=True)
def usage(page: NamedDependency[Page], machine_id: FromPath[RowId], data: Form) -> Response[Any]:
    """Mark a machine personal or shared (the one-stop desk: nobody's own computer)."""
    page.check_csrf(data.get("csrf"))
    with page.db() as session:
        get_machine(session, page.me.scope, machine_id)  # 404 outside the scope comes before 403
        page.require_officer()
        try:
            chosen = MachineUsage(data.get("usage", ""))
        except ValueError:
            raise InvalidInput(f"usage: one of {', '.join(MachineUsage)}", code="invalid_usage") from None
        set_machine_usage(session, page.me.scope, machine_id, chosen, page.state.clock(), page.me.name)
    return page.redirect(f"/machines/{machine_id}")


@post("/machines/declare", sync_to_thread=True)
def declare(page: NamedDependency[Page], data: Form) -> Response[Any]:
    """A LAN device declared a machine the agent cannot run on (from the network page)."""
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    try:
        role, chosen = Role(data.get("role", Role.NORMAL)), MachineUsage(data.get("usage", MachineUsage.PERSONAL))
    except ValueError:
        raise InvalidInput("role or usage not known", code="invalid_declaration") from None
    with page.db() as session:
        row = declare_agentless(session, page.me.scope, data.get("mac", ""), data.get("hostname", ""),
                                data.get("os", ""), page.state.clock(), page.me.name, None, role, chosen)
    return page.redirect(f"/machines/{row.id}")


MACHINE_ROUTES = [machines, machines_csv, machines_xlsx, machine, usage, declare]
