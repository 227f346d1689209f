"""Bearer-token authentication for people's API calls, as a Litestar dependency."""

from __future__ import annotations

from typing import Any

from litestar import Request

from collector.errors import Unauthorized
from collector.intake.http import in_session
from collector.store.people import Person, person_for_token


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; Unauthorized otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <API token> (canhgac users token NAME)",
                           code="missing_token")
    return token.strip()


async def current_person(request: Request[Any, Any, Any]) -> Person:
    token = bearer_token(request.headers.get("authorization"))
    return await in_session(request, lambda session, state: person_for_token(session, token, state.clock()))
