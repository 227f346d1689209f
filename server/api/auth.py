"""Bearer-token authentication for people's API calls, as a Litestar dependency."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request

from collector.errors import Unauthorized
from collector.intake.http import collector_state
from collector.store.people import Person, person_for_token


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; Unauthorized otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <API token> (canhgac users token NAME)",
                           code="missing_token")
    return token.strip()


async def current_person(request: Request[Any, Any, Any]) -> Person:
    state = collector_state(request)
    token = bearer_token(request.headers.get("authorization"))

    def lookup() -> Person:
        with state.db.session() as session:
            return person_for_token(session, token, state.clock())

    return await to_thread.run_sync(lookup)
