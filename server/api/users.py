"""People for admins (``/api/v1/users``): ending a person's dashboard sessions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.orm import Session

from collector.errors import Forbidden
from collector.intake.http import in_session
from collector.models.people import PersonRole
from collector.state import CollectorState
from collector.store.people import Person, end_person_sessions
from server.params import UserName


class SessionsEnded(msgspec.Struct, kw_only=True):
    user: str
    ended: int
    """How many live sessions ended."""


def require_admin(person: Person) -> None:
    if person.role is not PersonRole.ADMIN:
        raise Forbidden("only an admin may do this", code="role_forbidden")


@post("/users/{name:str}/end-sessions", status_code=200,
      summary="End every dashboard session of a person of your subtree (admin)")
async def post_end_sessions(request: Request[Any, Any, Any], person: NamedDependency[Person],
                            name: FromPath[UserName]) -> SessionsEnded:
    require_admin(person)

    def act(session: Session, state: CollectorState) -> SessionsEnded:
        ended = end_person_sessions(session, name, state.clock(), actor=person.name, scope=person.scope)
        return SessionsEnded(user=name, ended=ended)

    return await in_session(request, act)


USER_ROUTES = [post_end_sessions]
