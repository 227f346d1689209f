"""The people's JSON API (``/api/v1``), one module per area; every handler is scoped to the
caller's unit subtree (outside looks exactly like absent: 404) and runs its work in a worker
thread inside one database session (collector.intake.http.in_session)."""

from __future__ import annotations

from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler

from collector.errors import Forbidden
from collector.models.people import PersonRole
from collector.store.people import Person


def require_officer(person: Person) -> None:
    """Acting (acknowledging, registering) needs an officer or an admin."""
    if person.role not in (PersonRole.OFFICER, PersonRole.ADMIN):
        raise Forbidden("only an officer or an admin may do this (you are a viewer)", code="role_forbidden")


def people_routes() -> tuple[list[HTTPRouteHandler], dict[str, Provide]]:
    """Every people's route and the dependency that names the caller (``person``)."""
    from server.api.alerts import ALERT_ROUTES
    from server.api.audit import AUDIT_ROUTES
    from server.api.auth import current_person
    from server.api.incidents import INCIDENT_ROUTES
    from server.api.licences import LICENCE_ROUTES
    from server.api.machines import MACHINE_ROUTES
    from server.api.network import NETWORK_ROUTES
    from server.api.officials import OFFICIAL_ROUTES
    from server.api.readiness import READINESS_ROUTES
    from server.api.users import USER_ROUTES

    routes = [*MACHINE_ROUTES, *NETWORK_ROUTES, *ALERT_ROUTES, *LICENCE_ROUTES, *READINESS_ROUTES, *USER_ROUTES,
              *AUDIT_ROUTES, *OFFICIAL_ROUTES, *INCIDENT_ROUTES]
    return routes, {"person": Provide(current_person)}
