"""The ASGI application: agents' and people's API under /api/v1, one error shape for both."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from agent import __version__
from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import CanhgacError, TooManyRequests
from collector.intake.enroll_limits import EnrollLimiter
from collector.intake.http import AGENT_ROUTES, install_group_commit
from collector.state import CollectorState, build_state
from server.api import people_routes
from server.metrics import metrics
from server.web import dashboard_router, install_dashboard

log = logging.getLogger("canhgac.server")

API_PREFIX = "/api/v1"
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
               429: "too_many_requests"}



def error_response(status: int, code: str, detail: str, extra: Any = None) -> Response[dict[str, Any]]:
    content: dict[str, Any] = {"error": code, "detail": detail}
    if extra:
        content["extra"] = extra
    return Response(content, status_code=status)


def is_api(request: Request[Any, Any, Any]) -> bool:
    """Machines' and scripts' paths answer errors in JSON; every other path is the dashboard's (HTML)."""
    path = request.url.path
    return path == API_PREFIX or path.startswith(f"{API_PREFIX}/") or path == "/metrics"


def _canhgac_error(request: Request[Any, Any, Any], exc: CanhgacError) -> Response[Any]:
    if not is_api(request):
        from server.web.context import canhgac_error

        return canhgac_error(request, exc)
    response = error_response(exc.status, exc.code, exc.detail)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Also what an unknown path or method gets (no route, so no router's handler applies)."""
    if not is_api(request):
        from server.web.context import http_error

        return http_error(request, exc)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "extra", None))


def _nested_too_deeply(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """A JSON body nested past the decoder's depth (msgspec raises RecursionError before any handler
    runs, e.g. 1,000 brackets to the unauthenticated /enroll): the client's fault, not the server's."""
    log.warning("refused %s %s: JSON nested too deeply", request.method, request.url.path)
    return error_response(400, "malformed_json", "body is JSON nested too deeply")


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if not is_api(request):
        from server.web.context import internal_error

        return internal_error(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; see the collector's log")


def _json_not_found(response: Response[Any]) -> Response[Any]:
    """The OpenAPI router answers an unknown ``/api/v1/<name>`` with an HTML page of its own
    (litestar._openapi.plugin.handle_schema_path_not_found); the API answers JSON, as for any
    other unknown path under /api/v1."""
    if response.status_code == 404:
        answer = error_response(404, "not_found", "no such API route / không có đường dẫn API này")
        answer.media_type = "application/json"  # the handler's own media type is HTML
        return answer
    return response


def create_app(config: CollectorConfig, db: Database, clock: Callable[[], datetime] | None = None,
               keep_dashboard_fresh: bool = False, scheduled: bool = False) -> Litestar:
    """The collector's app on ``db``, its state (rules, limits, clock: collector.state) built once
    from ``config``. What ``serve`` adds: ``keep_dashboard_fresh``, the overview's readiness figures
    computed as the app starts and kept fresh in a thread (server.web.cache), and ``scheduled``,
    the scheduler (scan, notifications, passive listener) running while the app runs. The demo,
    which stores its data after its server started, and the tests go without them."""
    state = build_state(config, db, clock)
    people_handlers, people_dependencies = people_routes()
    people = Router(path="/", route_handlers=people_handlers, dependencies=people_dependencies)
    api = Router(path=API_PREFIX, route_handlers=[*AGENT_ROUTES, people])
    app = Litestar(
        route_handlers=[api, metrics, dashboard_router(config)],
        exception_handlers={CanhgacError: _canhgac_error, HTTPException: _http_error,
                            RecursionError: _nested_too_deeply, Exception: _internal_error},
        request_max_body_size=config.max_body_bytes,
        openapi_config=OpenAPIConfig(title="canhgac", version=__version__, path=API_PREFIX,
                                     render_plugins=[JsonRenderPlugin()],
                                     openapi_router=Router(API_PREFIX, route_handlers=[], include_in_schema=False,
                                                           after_request=_json_not_found)),
    )
    app.state.collector = state
    app.state.enroll_limiter = EnrollLimiter(state.enroll_limits)
    install_group_commit(app, state)
    install_dashboard(app, config, keep_fresh=keep_dashboard_fresh)
    if scheduled:
        install_scheduler(app, state)
    return app


def install_scheduler(app: Litestar, state: CollectorState) -> None:
    """The scheduler's jobs, from the state: the scan with its rules, the notifications through the
    configured channels (none: the outbox waits, nothing is marked sent), the passive listener.
    A half-configured channel or an unknown listen_unit is refused here, before serving."""
    from collector.network.listener import PassiveListener
    from collector.scheduler import Scheduler, listener_job, scan_job
    from collector.store.units import get_unit
    from server.notify.config import build_channels
    from server.notify.dispatch import notify_job

    config = state.config
    channels = build_channels(config)
    jobs = []
    if config.scan_interval_minutes > 0:
        jobs.append(scan_job(state))
    if config.notify_interval_s > 0 and channels:
        jobs.append(notify_job(state, channels))
    listener = None
    if config.listen_iface:
        with state.db.session() as session:
            unit_id = get_unit(session, config.listen_unit).id if config.listen_unit else None
        listener = PassiveListener(state.db, config.listen_iface, unit_id)
        jobs.append(listener_job(listener))
    scheduler = Scheduler(jobs)
    app.state.scheduler = scheduler

    def start() -> None:
        if listener is not None:
            listener.start()
        scheduler.start()

    def stop() -> None:
        scheduler.stop()
        if listener is not None:
            listener.stop()

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
