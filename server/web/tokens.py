"""Enrollment tokens from the browser (``/admin/tokens``), for officers and admins within their
subtree: the list, a new token with its expiry (its value shown once, on the answer to the form,
never stored in clear), the agent configuration file to download and the one-page instruction to
print for the PC (both posted back with the token, which the collector checks by its hash), and
revoking one. Every change goes through collector.store.enrollment, so each is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from collector.errors import InvalidInput
from collector.store.enrollment import (
    TokenLimit,
    create_enrollment_token,
    list_enrollment_tokens,
    revoke_enrollment_token,
    token_by_value,
)
from collector.store.settings import effective_settings
from collector.store.units import get_unit, list_units
from server.web.agent_file import FILE_NAME, agent_file, check_server_address, pc_commands
from server.web.context import Form, Page

LIFETIMES_DAYS = (1, 3, 7, 14, 30, 90)
DEFAULT_DAYS = 7


@get("/admin/tokens", sync_to_thread=True)
def tokens(page: NamedDependency[Page]) -> Response[Any]:
    page.require_officer()
    return _tokens_page(page)


def _server_address(page: Page) -> str:
    """Where this browser reached the collector: the PCs of an office usually reach it there too."""
    url = page.request.url
    return f"{url.scheme}://{url.netloc}"


def _tokens_page(page: Page, status: int = 200, error: str = "", form: Form | None = None) -> Response[Any]:
    with page.db() as session:
        rows = list_enrollment_tokens(session, page.me.scope)
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
    names = dict(units)
    return page.render("tokens.html", status=status, rows=list(reversed(rows)), units=units, names=names,
                       lifetimes=LIFETIMES_DAYS, default_days=DEFAULT_DAYS, error=error, form=form or {},
                       server=_server_address(page), now=page.state.clock())


def _lifetime(data: Form) -> timedelta:
    text = data.get("days", str(DEFAULT_DAYS)).strip()
    if not text.isdigit() or not 1 <= int(text) <= max(LIFETIMES_DAYS):
        raise InvalidInput(f"days {text!r}: 1 to {max(LIFETIMES_DAYS)}", code="invalid_lifetime")
    return timedelta(days=int(text))


@post("/admin/tokens", sync_to_thread=True)
def create_token(page: NamedDependency[Page], data: Form) -> Response[Any]:
    """The new token's value is on this answer only (no redirect: a reload must not show it again)."""
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    try:
        server = check_server_address(data.get("server", "") or _server_address(page))
        lifetime = _lifetime(data)
    except InvalidInput as exc:
        return _tokens_page(page, 400, exc.detail, data)
    with page.db() as session:
        token, row = create_enrollment_token(session, data.get("unit", "").strip(), lifetime, page.state.clock(),
                                             TokenLimit.DEFAULT, actor=page.me.name, scope=page.me.scope)
        unit = get_unit(session, row.unit_code, page.me.scope)
    return page.render("token_created.html", status=201, token=token, row=row, unit=unit, server=server,
                       file_name=FILE_NAME, commands=pc_commands(server, token))


def _checked_token(page: Page, data: Form) -> tuple[str, str, Any, Any, dict[str, Any]]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    token = data.get("token", "").strip()
    server = check_server_address(data.get("server", ""))
    with page.db() as session:
        row = token_by_value(session, token, page.me.scope)
        unit = get_unit(session, row.unit_code, page.me.scope)
        settings = effective_settings(session, unit.path).values
    return token, server, row, unit, settings


@post("/admin/tokens/agent-file", status_code=200, sync_to_thread=True)
def download_agent_file(page: NamedDependency[Page], data: Form) -> Response[Any]:
    token, server, row, unit, settings = _checked_token(page, data)
    return Response(agent_file(server, token, unit, row.expires_at, settings).encode(),
                    media_type="application/toml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{FILE_NAME}"',
                             "Cache-Control": "no-store"})


@post("/admin/tokens/instructions", status_code=200, sync_to_thread=True)
def instructions(page: NamedDependency[Page], data: Form) -> Response[Any]:
    """One A4 page for whoever installs the agent on the PC."""
    token, server, row, unit, settings = _checked_token(page, data)
    return page.render("token_instructions.html", token=token, server=server, row=row, unit=unit,
                       file_name=FILE_NAME, commands=pc_commands(server, token))


@post("/admin/tokens/{token_id:int}/revoke", sync_to_thread=True)
def revoke(page: NamedDependency[Page], token_id: FromPath[int], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    with page.db() as session:
        revoke_enrollment_token(session, token_id, page.state.clock(), page.me.name, page.me.scope)
    return page.redirect("/admin/tokens")


TOKEN_ROUTES = [tokens, create_token, download_agent_file, instructions, revoke]
