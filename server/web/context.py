"""What every dashboard handler gets: the language, the session, the signed-in person and the
database; plus the errors pages turn into: a sign-in redirect, else an HTML page in the person's
language (403, 404, 429, 500, ...), never JSON or a traceback (those stay with /api/v1)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.params import Body, QueryParameter
from litestar.response import Redirect
from sqlalchemy.orm import Session

from collector.errors import CanhgacError, Forbidden
from collector.intake.http import CollectorState, collector_state
from collector.models.people import PersonRole
from collector.store.people import Person
from server.web import i18n
from server.web.error_words import error_detail
from server.web.render import render
from server.web.session import (
    COOKIE,
    SecretKey,
    SessionData,
    csrf_ok,
    new_session,
    read_session,
    session_person,
    sign_session,
)

log = logging.getLogger("canhgac.server.web")

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A posted HTML form."""
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]
"""Which page of a list (``?p=``)."""


class SignInNeeded(NotAuthorizedException):
    """No (valid) session: the page redirects to the sign-in form."""


@dataclass
class Page:
    request: Request[Any, Any, Any]
    state: CollectorState
    lang: str
    session: SessionData
    person: Person | None
    cookies: list[Cookie] = field(default_factory=list)
    _unit_names: dict[str, str] | None = None

    @contextmanager
    def db(self) -> Iterator[Session]:
        with self.state.db.session() as session:
            yield session

    @property
    def me(self) -> Person:
        if self.person is None:
            raise SignInNeeded("sign in")
        return self.person

    @property
    def may_act(self) -> bool:
        return self.person is not None and self.person.role in (PersonRole.OFFICER, PersonRole.ADMIN)

    def require_officer(self) -> None:
        if not self.may_act:
            raise Forbidden("only an officer or an admin may do this", code="role_forbidden")

    def check_csrf(self, sent: str | None) -> None:
        if not csrf_ok(self.session, sent):
            raise Forbidden("the form expired or did not come from this site; reload the page", code="csrf")

    def start_session(self, data: SessionData) -> None:
        self.session = data
        self.cookies.append(session_cookie(self.request, sign_session(data, secret(self.request).get())))

    def render(self, template: str, status: int = 200, **context: Any) -> Response[str]:
        response = render(self.lang, template, status, page=self, person=self.person, csrf=self.session.csrf,
                          path=self.request.url.path, query=dict(self.request.query_params),
                          unit_name=self.unit_name, **context)
        return self._with_cookies(response)

    def unit_name(self, code: str | None) -> str:
        """The name people know a unit by, for a table that holds its code (the names read once
        per page, when a table first asks); the code itself when no unit has it."""
        if not code:
            return ""
        if self._unit_names is None:
            from collector.store.units import unit_names

            with self.db() as session:
                self._unit_names = unit_names(session)
        return self._unit_names.get(code, code)

    def redirect(self, to: str) -> Response[Any]:
        return self._with_cookies(Redirect(to, status_code=303))

    def _with_cookies(self, response: Response[Any]) -> Response[Any]:
        response.cookies.extend(self.cookies)
        return response


def secret(request: Request[Any, Any, Any]) -> SecretKey:
    key: SecretKey = request.app.state.dashboard_secret
    return key


def session_cookie(request: Request[Any, Any, Any], value: str, max_age: int | None = None) -> Cookie:
    return Cookie(key=COOKIE, value=value, path="/", httponly=True, samesite="lax", max_age=max_age,
                  secure=request.url.scheme == "https")


def page_context(request: Request[Any, Any, Any]) -> Page:
    """Runs in a worker thread (it reads the database)."""
    state = collector_state(request)
    query_lang = request.query_params.get("lang")
    lang = i18n.pick_language(query_lang, request.cookies.get(i18n.LANG_COOKIE))
    data = read_session(request.cookies.get(COOKIE), secret(request).get())
    person = None
    if data is not None and data.token is not None:
        with state.db.session() as session:
            person = session_person(session, data, state.clock())
    page = Page(request=request, state=state, lang=lang, session=data or new_session(), person=person)
    if data is None or (data.token is not None and person is None):
        page.start_session(new_session())
    if query_lang in i18n.LANGUAGES:
        page.cookies.append(Cookie(key=i18n.LANG_COOKIE, value=lang, path="/", samesite="lax",
                                   max_age=365 * 86400))
    return page


def bare_page(request: Request[Any, Any, Any]) -> Page:
    """A signed-out page in the asked-for language, touching neither the database nor the cookie's secret."""
    lang = i18n.pick_language(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE))
    return Page(request=request, state=collector_state(request), lang=lang, session=new_session(), person=None)


def error_page(request: Request[Any, Any, Any], status: int, message: str, code: str = "",
               extra: Any = None) -> Response[Any]:
    """The error page; ``message`` (the library's or Litestar's detail) is shown in the page's
    language only (server.web.error_words), never as English on a Vietnamese page."""
    if status >= 500:
        page = bare_page(request)  # the database may be what failed: the error page must not need it
    else:
        page = page_context(request)
    if status == 401:
        return page.redirect(f"/login?next={quote(request.url.path)}")
    shown = error_detail(message, status, extra, page.lang, i18n.translations(page.lang).gettext)
    return page.render("error.html", status=status, status_code=status, message=shown, code=code)


def canhgac_error(request: Request[Any, Any, Any], exc: CanhgacError) -> Response[Any]:
    return error_page(request, exc.status, exc.detail, exc.code)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return error_page(request, exc.status_code, str(exc.detail), extra=getattr(exc, "extra", None))


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Logged with its traceback; the person sees a page without the error's text."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, "")


WEB_EXCEPTION_HANDLERS = {CanhgacError: canhgac_error, HTTPException: http_error, Exception: internal_error}
