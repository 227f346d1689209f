"""Signing in and out of the dashboard (throttled per name and per address: server.web.throttle)."""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from collector.store.people import record_failed_sign_in, sign_in, sign_out
from server.web.context import Form, Page
from server.web.session import check_password, new_session
from server.web.throttle import SignInThrottle


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme) may follow sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@get("/login", sync_to_thread=True)
def login_form(page: NamedDependency[Page],
               next_: Annotated[str | None, QueryParameter(name="next")] = None) -> Response[Any]:
    if page.person is not None:
        return page.redirect(safe_next(next_))
    return page.render("login.html", next=safe_next(next_), failed=False)


@post("/login", sync_to_thread=True)
def login(page: NamedDependency[Page], data: Form) -> Response[Any]:
    """Refused with 429 (password not checked) while the name or the address is throttled. Each
    sign-in and each refused one is written to the audit log."""
    page.check_csrf(data.get("csrf"))
    name, now, address = data.get("name", ""), page.state.clock(), client_address(page)
    throttle: SignInThrottle = page.request.app.state.dashboard_throttle
    if (retry_at := throttle.retry_at(name, address, now)) is not None:
        response = page.render("login.html", status=429, next=safe_next(data.get("next")), name=name,
                               retry_at=retry_at)
        response.headers["Retry-After"] = str(max(1, ceil((retry_at - now).total_seconds())))
        return response
    with page.db() as session:
        found = check_password(session, name, data.get("password", ""))
        if found is None:
            record_failed_sign_in(session, name, now, address)
            token = None
        else:
            token = sign_in(session, found.person, now, address)
    if token is None:
        throttle.failed(name, address, now)
        return page.render("login.html", status=401, next=safe_next(data.get("next")), failed=True, name=name)
    throttle.succeeded(name)
    page.start_session(new_session(token))  # a fresh CSRF token once signed in
    return page.redirect(safe_next(data.get("next")))


def client_address(page: Page) -> str:
    client = page.request.client
    return client.host if client else ""


@post("/logout", sync_to_thread=True)
def logout(page: NamedDependency[Page], data: Form) -> Response[Any]:
    """Ends the session on the server: the cookie, and any copy of it, opens nothing afterwards."""
    page.check_csrf(data.get("csrf"))
    if page.session.token is not None:
        with page.db() as session:
            sign_out(session, page.session.token, page.state.clock(), client_address(page))
    page.start_session(new_session())
    return page.redirect("/login")


SIGNIN_ROUTES = [login_form, login, logout]
