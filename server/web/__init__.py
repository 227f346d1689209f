"""The dashboard at ``/``: server-rendered pages (Jinja, Babel catalogs, Vietnamese by default)
for signed-in people, each read and form scoped to the person's unit subtree like the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from collector.config import CollectorConfig

if TYPE_CHECKING:
    from collector.store.readiness import CountsSnapshot
    from server.web.cache import ReadinessCache


def dashboard_router(config: CollectorConfig) -> Router:
    from server.web.agents import AGENT_PAGE_ROUTES
    from server.web.alerts import ALERT_ROUTES
    from server.web.audit import AUDIT_ROUTES
    from server.web.context import WEB_EXCEPTION_HANDLERS, page_context
    from server.web.incidents import INCIDENT_ROUTES
    from server.web.licences import LICENCE_ROUTES
    from server.web.machines import MACHINE_ROUTES
    from server.web.network import NETWORK_ROUTES
    from server.web.network_admin import NETWORK_ADMIN_ROUTES
    from server.web.officials import OFFICIAL_ROUTES
    from server.web.overview import OVERVIEW_ROUTES
    from server.web.people import PEOPLE_ROUTES
    from server.web.readiness import READINESS_ROUTES
    from server.web.signin import SIGNIN_ROUTES
    from server.web.software import SOFTWARE_ROUTES
    from server.web.tokens import TOKEN_ROUTES
    from server.web.units import UNIT_ROUTES

    static = create_static_files_router(path="/static", directories=[Path(__file__).parent / "static"],
                                        include_in_schema=False, cache_control=None)
    pages = [*SIGNIN_ROUTES, *OVERVIEW_ROUTES, *UNIT_ROUTES, *READINESS_ROUTES, *MACHINE_ROUTES, *ALERT_ROUTES,
             *NETWORK_ROUTES, *LICENCE_ROUTES, *AUDIT_ROUTES, *OFFICIAL_ROUTES, *INCIDENT_ROUTES,
             *AGENT_PAGE_ROUTES, *TOKEN_ROUTES, *PEOPLE_ROUTES, *SOFTWARE_ROUTES, *NETWORK_ADMIN_ROUTES]
    return Router(path="/", route_handlers=[*pages, static],
                  dependencies={"page": Provide(page_context, sync_to_thread=True)},
                  exception_handlers=WEB_EXCEPTION_HANDLERS, include_in_schema=False)


def install_dashboard(app: Litestar, config: CollectorConfig, keep_fresh: bool = False) -> None:
    """The session secret (read or created on the first page request), the overview's readiness
    figures (server.web.cache; ``keep_fresh``: computed as the app starts and every 45 s until it
    stops, as ``serve`` runs it) and the sign-in throttle (in memory: serve runs one process;
    server.web.throttle)."""
    from server.web.cache import ReadinessCache, keep_fresh_in_thread
    from server.web.session import SecretKey
    from server.web.throttle import SignInThrottle

    app.state.dashboard_secret = SecretKey(config)
    app.state.dashboard_readiness = ReadinessCache()
    app.state.dashboard_throttle = SignInThrottle()
    if keep_fresh:
        stopping: list[Callable[[], None]] = []
        app.on_startup.append(lambda: stopping.append(keep_fresh_in_thread(
            app.state.dashboard_readiness, READINESS_KEY, lambda: compute_readiness_counts(app))))
        app.on_shutdown.append(lambda: [stop() for stop in stopping])


READINESS_KEY = "*"  # one set of figures: every unit's counts


def compute_readiness_counts(app: Litestar) -> CountsSnapshot:
    from collector.store.readiness_report import readiness_counts

    state = app.state.collector
    with state.db.session() as session:
        return readiness_counts(session, state.clock(), state.rules.indicators)


def kept_readiness_counts(app: Litestar) -> CountsSnapshot:
    """Every unit's readiness counts at most a minute old, shared by every overview (server.web.cache)."""
    cache: ReadinessCache[CountsSnapshot] = app.state.dashboard_readiness
    return cache.get(READINESS_KEY, lambda: compute_readiness_counts(app))
