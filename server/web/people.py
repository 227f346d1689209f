"""People from the browser (``/admin/people``), for admins and officers within their subtree: the
list, adding a person with a role, a unit and a first password, disabling and enabling, a new
password (made here and shown once) and ending their sessions. An officer manages viewers and
officers only (collector.store.people.may_manage). Every change goes through collector.store.people,
so each is audited and scoped: a person outside the subtree looks like no person."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.orm import Session

from collector.errors import Forbidden, InvalidInput, NotFound
from collector.models.people import PersonRole
from collector.store.people import (
    add_user,
    end_person_sessions,
    list_people,
    may_manage,
    role_of,
    set_disabled,
    set_password,
)
from collector.store.units import list_units
from server.web.context import Form, Page

PASSWORD_BYTES = 12
"""A made password: 16 URL-safe characters."""


def _hash(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def _require_manager(page: Page, target: PersonRole | str) -> None:
    if not may_manage(page.me.role, target):
        raise Forbidden("you may not manage this person", code="role_forbidden")


@get("/admin/people", sync_to_thread=True)
def people(page: NamedDependency[Page]) -> Response[Any]:
    page.require_officer()
    return _people_page(page)


def _people_page(page: Page, status: int = 200, made: tuple[str, str] | None = None) -> Response[Any]:
    with page.db() as session:
        rows = list_people(session, page.me.scope)
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
    roles = [r for r in PersonRole if may_manage(page.me.role, r)]
    return page.render("people.html", status=status, rows=rows, units=units, roles=roles, made=made,
                       may_manage=lambda role: may_manage(page.me.role, role))


@post("/admin/people", sync_to_thread=True)
def add_person(page: NamedDependency[Page], data: Form) -> Response[Any]:
    """The first password is made here and shown once, on this answer."""
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    role = data.get("role", "")
    _require_manager(page, role)
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    with page.db() as session:
        add_user(session, data.get("name", "").strip(), role, page.state.clock(), data.get("unit") or None,
                 _hash(password), actor=page.me.name, scope=page.me.scope)
    return _people_page(page, 201, (data.get("name", "").strip(), password))


Change = Callable[[Session, str, Page], tuple[str, str] | None]
"""A change to the person named; a made password to show once (name, password), or None."""


def _disable(session: Session, name: str, page: Page) -> None:
    if name == page.me.name:
        raise InvalidInput("you cannot disable yourself", code="self_disable")
    set_disabled(session, name, True, page.state.clock(), page.me.name, page.me.scope)
    return None


def _enable(session: Session, name: str, page: Page) -> None:
    set_disabled(session, name, False, page.state.clock(), page.me.name, page.me.scope)
    return None


def _new_password(session: Session, name: str, page: Page) -> tuple[str, str]:
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    set_password(session, name, _hash(password), page.state.clock(), page.me.name, page.me.scope)
    return name, password


def _end_sessions(session: Session, name: str, page: Page) -> None:
    end_person_sessions(session, name, page.state.clock(), page.me.name, page.me.scope)
    return None


CHANGES: dict[str, Change] = {"disable": _disable, "enable": _enable, "password": _new_password,
                              "end-sessions": _end_sessions}


@post("/admin/people/{name:str}/{action:str}", sync_to_thread=True)
def change_person(page: NamedDependency[Page], name: FromPath[str], action: FromPath[str], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    change = CHANGES.get(action)
    if change is None:
        raise NotFound(f"no such change {action!r}")
    with page.db() as session:
        _require_manager(page, role_of(session, name, page.me.scope))
        made = change(session, name, page)
    if made is not None:
        return _people_page(page, 200, made)
    return page.redirect("/admin/people")


PEOPLE_ROUTES = [people, add_person, change_person]
