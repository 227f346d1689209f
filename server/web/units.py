"""The unit tree page (every unit of the person's subtree with its machines and open alerts) and,
for admins, reorganising it (``/admin/units``): rename, move, merge, set, retire and import the
official list, each through collector.store's own functions (so each is audited), within the
admin's subtree."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta, timezone
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.orm import Session

from agent.wire.settings import SETTING_KEYS, SettingsError, parse_setting
from collector.errors import CanhgacError, Forbidden, InvalidInput, NotFound
from collector.models.people import PersonRole
from collector.models.units import UnitKind
from collector.store.merge import merge_units
from collector.store.reorganisation import move_unit, rename_unit, retire_unit, set_unit
from collector.store.settings import set_unit_settings, unit_settings_of
from collector.store.unit_import import import_units, parse_units_csv
from collector.store.units import add_sub_unit, list_units, unit_tree
from server.params import Word
from server.web.context import Form, Page
from server.web.i18n import day, parse_day

VIETNAM = timezone(timedelta(hours=7))


@get("/units", sync_to_thread=True)
def units(page: NamedDependency[Page]) -> Response[Any]:
    with page.db() as session:
        nodes = unit_tree(session, page.me.scope)
    return page.render("units.html", nodes=nodes, may_reorganise=page.me.role is PersonRole.ADMIN)


@get("/admin/units", sync_to_thread=True)
def unit_admin(page: NamedDependency[Page], done: FromQuery[Word] = "") -> Response[Any]:
    """Officers see the page with its one form they may use: adding a unit in their subtree."""
    page.require_officer()
    return _admin_page(page, done=done if done in CHANGES else "")


def _admin_page(page: Page, status: int = 200, error: str = "", done: str = "") -> Response[Any]:
    with page.db() as session:
        every = list_units(session, page.me.scope, include_ended=True)
        settings = [(u.code, version, json.dumps(values, ensure_ascii=False))
                    for u in every for version, values in [unit_settings_of(session, u.id)] if version]
    codes = {u.id: u.code for u in every}
    live = [u for u in every if u.live]
    ended = [(u, codes.get(u.merged_into_id or 0)) for u in every if not u.live]
    return page.render("unit_admin.html", status=status, live=live, ended=ended, kinds=list(UnitKind),
                       may_reorganise=page.me.role is PersonRole.ADMIN,
                       settings=settings, setting_keys=SETTING_KEYS, error=error, done=done,
                       today=day(page.state.clock()))


def _require_admin(page: Page) -> None:
    if page.me.role is not PersonRole.ADMIN:
        raise Forbidden("only an admin may reorganise units", code="role_forbidden")


Change = Callable[[Session, Form, Page], str]
"""A change made from a posted form; what it did, in a few words (for the log of tests and people)."""


def _day(data: Form, page: Page) -> date:
    try:
        return parse_day(data["on"]) if data.get("on", "").strip() else page.state.clock().astimezone(VIETNAM).date()
    except ValueError:
        raise InvalidInput(f"date {data.get('on')!r}: use dd/mm/yyyy") from None


def _number(data: Form, key: str) -> int | None:
    text = data.get(key, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(f"{key} {text!r}: a whole number")
    return int(text)


def _add(session: Session, data: Form, page: Page) -> str:
    unit = add_sub_unit(session, data.get("code", ""), data.get("name", ""), data.get("kind", UnitKind.OFFICE),
                        page.state.clock(), data.get("parent", ""), _number(data, "staff") or 0, page.me.name,
                        page.me.scope)
    return unit.code


def _rename(session: Session, data: Form, page: Page) -> str:
    unit = rename_unit(session, data.get("code", ""), data.get("name", ""), page.state.clock(), page.me.name,
                       page.me.scope)
    return f"{unit.code}: {unit.name}"


def _move(session: Session, data: Form, page: Page) -> str:
    unit = move_unit(session, data.get("code", ""), data.get("parent", ""), page.state.clock(), page.me.name,
                     page.me.scope)
    return f"{unit.code} → {data.get('parent', '')}"


def _merge(session: Session, data: Form, page: Page) -> str:
    sources = data.get("sources", "").replace(",", " ").split()
    result = merge_units(session, sources, data.get("into", ""), _day(data, page), page.state.clock(),
                         page.me.name, page.me.scope)
    return f"{', '.join(u.code for u in result.merged)} → {result.survivor.code}"


def _set(session: Session, data: Form, page: Page) -> str:
    admin_code = data.get("admin_code")
    unit = set_unit(session, data.get("code", ""), page.state.clock(), page.me.name, page.me.scope,
                    staff=_number(data, "staff"), kind=data.get("kind") or None,
                    admin_code=None if admin_code is None else admin_code)
    return unit.code


def _retire(session: Session, data: Form, page: Page) -> str:
    retired = retire_unit(session, data.get("code", ""), _day(data, page), page.state.clock(), page.me.name,
                          page.me.scope)
    return retired.unit.code


def _import(session: Session, data: Form, page: Page) -> str:
    result = import_units(session, parse_units_csv(data.get("csv", "")), page.state.clock(), page.me.name,
                          page.me.scope)
    return f"+{len(result.added)} ~{len(result.changed)} ={result.unchanged}"


def _config(session: Session, data: Form, page: Page) -> str:
    values = {}
    for line in data.get("set", "").splitlines():
        if line.strip():
            try:
                key, value = parse_setting(line)
            except SettingsError as exc:
                raise InvalidInput(str(exc), code="invalid_setting") from None
            values[key] = value
    unset = data.get("unset", "").replace(",", " ").split()
    result = set_unit_settings(session, data.get("code", ""), values, unset, page.state.clock(), page.me.name,
                               page.me.scope)
    return f"version {result.version}"


OFFICER_CHANGES = frozenset({"add"})
"""What an officer may change in their subtree; the rest reorganises the tree: admins only."""
CHANGES: dict[str, Change] = {"add": _add, "rename": _rename, "move": _move, "merge": _merge, "set": _set,
                              "retire": _retire, "import": _import, "config": _config}


@post("/admin/units/{action:str}", sync_to_thread=True)
def change_units(page: NamedDependency[Page], action: FromPath[Word], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    if action in OFFICER_CHANGES:
        page.require_officer()
    else:
        _require_admin(page)
    change = CHANGES.get(action)
    if change is None:
        raise NotFound(f"no such change {action!r}")
    with page.db() as session:
        try:
            change(session, data, page)
        except CanhgacError as exc:
            session.rollback()
            return _admin_page(page, status=exc.status if exc.status < 500 else 400, error=exc.detail)
    return page.redirect(f"/admin/units?done={action}")


UNIT_ROUTES = [units, unit_admin, change_units]
