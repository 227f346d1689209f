"""The licence register page: entries with their installs; registering, editing and deleting one
(officers and admins, within their subtree, each audited by collector.store.licences)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from collector.errors import InvalidInput
from collector.store.licences import add_licence, delete_licence, edit_licence, licence_lines
from collector.store.units import list_units
from server.web.context import Form, Page, PageNumber
from server.web.i18n import parse_day


@get("/licences", sync_to_thread=True)
def licences(page: NamedDependency[Page], p: PageNumber = 1, edit: FromQuery[int | None] = None) -> Response[Any]:
    """With ``?edit=ID``: that entry's form filled in under the list."""
    return _licences_page(page, number=p, editing=edit)


def _licences_page(page: Page, status: int = 200, error: str = "", form: dict[str, str] | None = None,
                   number: int = 1, editing: int | None = None) -> Response[Any]:
    with page.db() as session:
        lines = licence_lines(session, page.me.scope, page.state.clock().date(), number)
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
    names = dict(units)
    edited = next((line.licence for line in lines.items if line.licence.id == editing), None)
    return page.render("licences.html", status=status, lines=lines, units=units, names=names, error=error,
                       form=form or {}, edited=edited)


def _terms(data: Form) -> tuple[int, date, date | None]:
    """Seats, expiry and start of a posted entry; ValueError when one is not a number or a date."""
    seats = int(data.get("seats", ""))
    expires = parse_day(data.get("expires", ""))
    starts = parse_day(data["starts"]) if data.get("starts", "").strip() else None
    return seats, expires, starts


@post("/licences/{licence_id:int}/edit", sync_to_thread=True)
def change_licence(page: NamedDependency[Page], licence_id: FromPath[int], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    try:
        seats, expires, starts = _terms(data)
    except ValueError:
        return _licences_page(page, 400, "bad_number_or_date", data, editing=licence_id)
    with page.db() as session:
        try:
            edit_licence(session, licence_id, data.get("product", ""), data.get("match", ""), seats, expires, starts,
                         page.state.clock(), page.me.scope, page.me.name)
        except InvalidInput:
            session.rollback()
            return _licences_page(page, 400, "invalid_licence", data, editing=licence_id)
    return page.redirect("/licences")


@post("/licences/{licence_id:int}/delete", sync_to_thread=True)
def remove_licence(page: NamedDependency[Page], licence_id: FromPath[int], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    with page.db() as session:
        delete_licence(session, licence_id, page.state.clock(), page.me.scope, page.me.name)
    return page.redirect("/licences")


@post("/licences", sync_to_thread=True)
def register_licence(page: NamedDependency[Page], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    try:
        seats, expires, starts = _terms(data)
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


LICENCE_ROUTES = [licences, register_licence, change_licence, remove_licence]
