"""Enrollment tokens (scoped to one unit, expiring, revocable) and enrolling a machine."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from agent.wire.schema import EnrollRequest, EnrollResponse
from agent.wire.signing import new_key
from collector.errors import InvalidInput, NotFound, Unauthorized
from collector.models.enrollment import Agent, EnrollmentToken
from collector.models.machines import Machine
from collector.secrets import ENROLLMENT_PREFIX, hash_token, new_token
from collector.store.units import get_unit


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    """An enrollment token as people see it (never its value)."""

    id: int
    unit_code: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int
    token_hash: str
    """SHA-256 of the token: what an offline PC's enrollment file is sealed with (agent.wire.media)."""


def _token_row(row: EnrollmentToken) -> TokenRow:
    return TokenRow(id=row.id, unit_code=row.unit.code, created_at=row.created_at, expires_at=row.expires_at,
                    revoked_at=row.revoked_at, uses=row.uses, token_hash=row.token_hash)


def create_enrollment_token(
    session: Session, unit_code: str, lifetime: timedelta, now: datetime
) -> tuple[str, TokenRow]:
    """A new token for ``unit_code``; the clear token is returned here and never stored."""
    unit = get_unit(session, unit_code)
    token = new_token(ENROLLMENT_PREFIX)
    row = EnrollmentToken(token_hash=hash_token(token), unit_id=unit.id, created_at=now,
                          expires_at=now + lifetime, uses=0)
    session.add(row)
    session.flush()
    return token, _token_row(row)


def revoke_enrollment_token(session: Session, token_id: int, now: datetime) -> TokenRow:
    row = session.get(EnrollmentToken, token_id)
    if row is None:
        raise NotFound(f"no enrollment token {token_id}", code="token_not_found")
    row.revoked_at = row.revoked_at or now
    return _token_row(row)


def list_enrollment_tokens(session: Session) -> list[TokenRow]:
    return [_token_row(row) for row in session.scalars(select(EnrollmentToken).order_by(EnrollmentToken.id))]


def find_token(session: Session, matches: Callable[[str], bool]) -> TokenRow | None:
    """The first token whose hash ``matches`` (expired and revoked ones included, so a refusal can
    say which); None when this collector never issued one."""
    return next((_token_row(row) for row in session.scalars(select(EnrollmentToken).order_by(EnrollmentToken.id))
                 if matches(row.token_hash)), None)


def _usable_token(session: Session, token: str, now: datetime) -> EnrollmentToken:
    """The token's row if it exists, is not revoked and has not expired; Unauthorized otherwise."""
    row = session.scalar(select(EnrollmentToken).where(EnrollmentToken.token_hash == hash_token(token)))
    if row is None:
        raise Unauthorized("unknown enrollment token", code="invalid_token")
    check_token_usable(row.revoked_at, row.expires_at, now)
    return row


def check_token_usable(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    """Unauthorized when the token was revoked or has expired."""
    if revoked_at is not None:
        raise Unauthorized("this enrollment token was revoked", code="token_revoked")
    if expires_at <= now:
        raise Unauthorized(f"this enrollment token expired at {expires_at:%Y-%m-%d %H:%M} UTC",
                           code="token_expired")


def ping(session: Session) -> None:
    """A round trip to the database (the health check)."""
    session.execute(text("SELECT 1"))


def agent_enrolled_at(session: Session, agent_id: str) -> datetime | None:
    """When the agent ``agent_id`` was enrolled; None when it never was."""
    return session.scalar(select(Agent.created_at).where(Agent.id == agent_id))


def enroll(session: Session, request: EnrollRequest, now: datetime) -> EnrollResponse:
    """Register (or re-register) a machine: a new agent id and key each time, one machine row.

    A re-enrolled machine keeps its id; its earlier agents are revoked, so their keys no longer
    sign anything, and the new agent numbers its reports from 1 without clashing with history.
    """
    if not request.machine_uid.strip() or not request.hostname.strip():
        raise InvalidInput("machine_uid and hostname must not be empty")
    token = _usable_token(session, request.token, now)
    return _register(session, request, token, now, uuid.uuid4().hex, new_key())


def register_agent(session: Session, request: EnrollRequest, token_id: int, now: datetime,
                   agent_id: str, key: str) -> EnrollResponse:
    """The registration part of :func:`enroll`, for the token ``token_id`` (checked again here) and a
    given agent id and key (the offline PC makes its own; see collector/intake/importer.py)."""
    token = session.get(EnrollmentToken, token_id)
    if token is None:
        raise Unauthorized("unknown enrollment token", code="invalid_token")
    check_token_usable(token.revoked_at, token.expires_at, now)
    return _register(session, request, token, now, agent_id, key)


def _register(session: Session, request: EnrollRequest, token: EnrollmentToken, now: datetime,
              agent_id: str, key: str) -> EnrollResponse:
    machine = _upsert_machine(session, request, token.unit_id, now)
    session.execute(update(Agent).where(Agent.machine_id == machine.id, Agent.revoked_at.is_(None))
                    .values(revoked_at=now))
    agent = Agent(id=agent_id, machine_id=machine.id, key=key,
                  enrollment_token_id=token.id, created_at=now)
    session.add(agent)
    machine.current_agent_id = agent.id
    machine.state_sequence = 0
    token.uses += 1
    session.flush()
    return EnrollResponse(agent_id=agent.id, key=agent.key, unit_code=token.unit.code, machine_id=machine.id)


def _upsert_machine(session: Session, request: EnrollRequest, unit_id: int, now: datetime) -> Machine:
    machine = session.scalar(select(Machine).where(Machine.machine_uid == request.machine_uid))
    if machine is None:
        machine = Machine(machine_uid=request.machine_uid, created_at=now, state_sequence=0)
        session.add(machine)
    machine.unit_id = unit_id
    machine.hostname = request.hostname
    machine.role = str(request.role)
    machine.os_name = request.os_name
    session.flush()
    return machine
