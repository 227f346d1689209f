"""The dashboard at ``/``: server-rendered pages (Jinja, Babel catalogs, Vietnamese by default)
for signed-in people, each read and form scoped to the person's unit subtree like the API."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from collector.config import CollectorConfig


def dashboard_router(config: CollectorConfig) -> Router:
    from server.web.context import WEB_EXCEPTION_HANDLERS, page_context
    from server.web.pages import PAGE_ROUTES
    from server.web.records import RECORD_ROUTES

    static = create_static_files_router(path="/static", directories=[Path(__file__).parent / "static"],
                                        include_in_schema=False, cache_control=None)
    return Router(path="/", route_handlers=[*PAGE_ROUTES, *RECORD_ROUTES, static],
                  dependencies={"page": Provide(page_context, sync_to_thread=True)},
                  exception_handlers=WEB_EXCEPTION_HANDLERS, include_in_schema=False)


def install_dashboard(app: Litestar, config: CollectorConfig) -> None:
    """The session secret (read or created on the first page request), the overview's readiness cache
    and the sign-in throttle (in memory: serve runs one process; server.web.throttle)."""
    from server.web.cache import ReadinessCache
    from server.web.session import SecretKey
    from server.web.throttle import SignInThrottle

    app.state.dashboard_secret = SecretKey(config.db_url)
    app.state.dashboard_readiness = ReadinessCache()
    app.state.dashboard_throttle = SignInThrottle()
