"""``GET /metrics``: the collector in the Prometheus text format (collector.metrics), for a scraper on
the collector itself (a loopback client) or one that sends an admin's API token as a bearer token.

A scrape reads the process's counters and runs four cheap queries (alerts open by severity, silent
machines, machines, the database's size); ``python bench/metrics.py`` measures it on a province.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from collector.errors import Forbidden
from collector.intake.http import in_session
from collector.metrics import CONTENT_TYPE, Gauges, render
from collector.models.people import PersonRole
from collector.store.database import database_bytes
from collector.store.operations import machine_count, open_alerts_by_severity, silent_machines
from collector.store.people import person_for_token
from server.api.auth import bearer_token

SILENT_HOURS = 48
"""As the built-in rule agent.silent's default."""
LOOPBACK = ("127.", "::1", "localhost")


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    host = request.client.host if request.client else ""
    if not host.startswith(LOOPBACK):
        token = bearer_token(request.headers.get("authorization"))
        person = await in_session(request, lambda session, state: person_for_token(session, token, state.clock()))
        if person.role is not PersonRole.ADMIN or person.scope.unit_path is not None:
            raise Forbidden("/metrics is for the collector's own admins", code="role_forbidden")

    def read(session: Any, state: Any) -> Gauges:
        return Gauges(alerts_open=open_alerts_by_severity(session),
                      machines_silent=silent_machines(session, state.clock(), SILENT_HOURS), silent_hours=SILENT_HOURS,
                      database_bytes=database_bytes(state.db.engine), machines=machine_count(session))

    gauges = await in_session(request, read)
    return Response(render(request.app.state.collector.metrics, gauges), media_type=CONTENT_TYPE)
