"""Sign-in, the overview (readiness per child unit against targets, open alerts by severity), the
unit tree and the readiness exports (CSV, printable page: server.readiness_export / _html)."""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter

from collector.store.dashboard import SEVERITIES, alert_counts, recent_alerts, top_unit, unit_trail, unit_tree
from collector.store.readiness_report import ReadinessTable, readiness_table
from collector.store.units import get_unit
from server.readiness_export import render_csv
from server.readiness_html import render_html
from server.web import kept_readiness_counts
from server.web.context import Page
from server.web.session import check_password, fingerprint_of, new_session
from server.web.throttle import SignInThrottle

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
HEADLINE = ("av_installed", "av_licensed", "av_up_to_date", "os_activated", "backup_within_policy",
            "machines_internet", "units_dedicated_line", "computers_per_official")


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
    """Refused with 429 (password not checked) while the name or the address is throttled."""
    page.check_csrf(data.get("csrf"))
    name, now, address = data.get("name", ""), page.state.clock(), client_address(page)
    throttle: SignInThrottle = page.request.app.state.dashboard_throttle
    if (retry_at := throttle.retry_at(name, address, now)) is not None:
        response = page.render("login.html", status=429, next=safe_next(data.get("next")), name=name,
                               retry_at=retry_at)
        response.headers["Retry-After"] = str(max(1, ceil((retry_at - now).total_seconds())))
        return response
    with page.db() as session:
        user = check_password(session, name, data.get("password", ""))
        fingerprint = fingerprint_of(user.password_hash) if user else ""
        user_id = user.id if user else None
    if user_id is None:
        throttle.failed(name, address, now)
        return page.render("login.html", status=401, next=safe_next(data.get("next")), failed=True, name=name)
    throttle.succeeded(name)
    page.start_session(new_session(user_id, fingerprint))  # a fresh CSRF token once signed in
    return page.redirect(safe_next(data.get("next")))


def client_address(page: Page) -> str:
    client = page.request.client
    return client.host if client else ""


@post("/logout", sync_to_thread=True)
def logout(page: NamedDependency[Page], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.start_session(new_session())
    return page.redirect("/login")


def _table(page: Page, unit: str | None) -> ReadinessTable:
    with page.db() as session:
        return readiness_table(session, page.me.scope, unit, page.state.clock())


@get("/", sync_to_thread=True)
def overview(page: NamedDependency[Page]) -> Response[Any]:
    return _unit_page(page, None)


@get("/units/{code:str}", sync_to_thread=True)
def unit_page(page: NamedDependency[Page], code: FromPath[str]) -> Response[Any]:
    return _unit_page(page, code)


def _unit_page(page: Page, code: str | None) -> Response[Any]:
    with page.db() as session:
        unit = get_unit(session, code, page.me.scope) if code else top_unit(session, page.me.scope)
        trail = unit_trail(session, unit, page.me.scope)
        counts = alert_counts(session, page.me.scope, unit.path)
        recent = recent_alerts(session, page.me.scope, unit.path, open_counts=counts["open"])
        table = readiness_table(session, page.me.scope, unit.code, page.state.clock(),
                                counts=kept_readiness_counts(page.request.app))
    indicators = {info.id: info for info in table.indicators}
    headline = [indicators[i] for i in HEADLINE if i in indicators]
    return page.render("overview.html", table=table, trail=trail, counts=counts, severities=SEVERITIES,
                       recent=recent, headline=headline)


@get("/units", sync_to_thread=True)
def units(page: NamedDependency[Page]) -> Response[Any]:
    with page.db() as session:
        nodes = unit_tree(session, page.me.scope)
    return page.render("units.html", nodes=nodes)


@get("/readiness.csv", sync_to_thread=True)
def readiness_csv(page: NamedDependency[Page], unit: FromQuery[str | None] = None) -> Response[bytes]:
    table = _table(page, unit)
    name = f"readiness-{table.unit.code}-{table.as_of:%Y%m%d}.csv"
    return Response(render_csv(table), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/readiness/print", sync_to_thread=True)
def readiness_print(page: NamedDependency[Page], unit: FromQuery[str | None] = None) -> Response[str]:
    return Response(render_html(_table(page, unit)), media_type="text/html",
                    headers={"Cache-Control": "no-store"})


PAGE_ROUTES = [login_form, login, logout, overview, unit_page, units, readiness_csv, readiness_print]
