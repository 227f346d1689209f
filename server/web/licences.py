"""The licence register page: entries with their installs, and registering one (officers and admins)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency

from collector.errors import InvalidInput
from collector.store.licences import add_licence, licence_lines
from collector.store.units import list_units
from server.web.context import Form, Page, PageNumber
from server.web.i18n import parse_day


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
        expires = parse_day(data.get("expires", ""))
        starts = parse_day(data["starts"]) if data.get("starts", "").strip() else None
    except ValueError:
        return _licences_page(page, 400, "bad_number_or_date", data)
    with page.db() as session:
        try:
            add_licence(session, data.get("product", ""), data.get("match", ""), seats, expires,
                        data.get("unit", ""), page.state.clock(), starts, page.me.scope, actor=page.me.name)
        except InvalidInput:
            session.rollback()
            return _licences_page(page, 400, "invalid_licence", data)
    return page.redirect("/licences")


LICENCE_ROUTES = [licences, register_licence]
