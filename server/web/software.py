"""The software page: which programs the machines of the person's scope have, on how many
machines, which machines have a given one, and both as CSV or XLSX for Excel in Vietnamese."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from collector.store.software import all_program_counts, machines_with_program, program_counts
from server.list_exports import machines_sheet, software_sheet
from server.web.context import Page, PageNumber
from server.web.downloads import download
from server.web.i18n import VIETNAM, moment

TEXT_MAX = 100


@get("/software", sync_to_thread=True)
def software(page: NamedDependency[Page], unit: FromQuery[str] = "", q: FromQuery[str] = "",
             name: FromQuery[str] = "", p: PageNumber = 1) -> Response[Any]:
    """With ``?name=``: that program's machines under the list."""
    with page.db() as session:
        result = program_counts(session, page.me.scope, unit.strip() or None, q.strip()[:TEXT_MAX], p)
        holders = machines_with_program(session, page.me.scope, name, unit.strip() or None) if name else []
    return page.render("software.html", result=result, unit=unit, q=q, name=name, holders=holders)


@get("/software.csv", sync_to_thread=True)
def software_csv(page: NamedDependency[Page], unit: FromQuery[str] = "", q: FromQuery[str] = "",
                 name: FromQuery[str] = "") -> Response[Any]:
    return _export(page, "csv", unit, q, name)


@get("/software.xlsx", sync_to_thread=True)
def software_xlsx(page: NamedDependency[Page], unit: FromQuery[str] = "", q: FromQuery[str] = "",
                  name: FromQuery[str] = "") -> Response[Any]:
    return _export(page, "xlsx", unit, q, name)


def _export(page: Page, kind: str, unit: str, q: str, name: str) -> Response[Any]:
    """The program list (or, with ``name``, that program's machines) as the page filters it."""
    now = page.state.clock()
    stamp = f"{now.astimezone(VIETNAM):%Y%m%d-%H%M}"
    with page.db() as session:
        if name:
            sheet = machines_sheet(machines_with_program(session, page.me.scope, name, unit.strip() or None),
                                   f"Máy tính có cài {name}, xuất lúc {moment(now)}")
            return download(sheet, kind, f"may-co-phan-mem-{stamp}")
        counts = all_program_counts(session, page.me.scope, unit.strip() or None, q.strip()[:TEXT_MAX])
    return download(software_sheet(counts, f"Phần mềm đã cài đặt, xuất lúc {moment(now)}"), kind, f"phan-mem-{stamp}")


SOFTWARE_ROUTES = [software, software_csv, software_xlsx]
