"""Enrollment tokens (scoped to one unit, expiring, revocable) and enrolling a machine."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.wire.schema import EnrollRequest, EnrollResponse
from agent.wire.signing import new_key
from collector.errors import InvalidInput, NotFound, Unauthorized
from collector.models.enrollment import Agent, EnrollmentToken
from collector.models.machines import Machine
from collector.secrets import ENROLLMENT_PREFIX, hash_token, new_token
from collector.store.units import get_unit


def create_enrollment_token(
    session: Session, unit_code: str, lifetime: timedelta, now: datetime
) -> tuple[str, EnrollmentToken]:
    """A new token for ``unit_code``; the clear token is returned here and never stored."""
    unit = get_unit(session, unit_code)
    token = new_token(ENROLLMENT_PREFIX)
    row = EnrollmentToken(token_hash=hash_token(token), unit_id=unit.id, created_at=now,
                          expires_at=now + lifetime, uses=0)
    session.add(row)
    session.flush()
    return token, row


def revoke_enrollment_token(session: Session, token_id: int, now: datetime) -> EnrollmentToken:
    row = session.get(EnrollmentToken, token_id)
    if row is None:
        raise NotFound(f"no enrollment token {token_id}", code="token_not_found")
    row.revoked_at = row.revoked_at or now
    return row


def list_enrollment_tokens(session: Session) -> list[EnrollmentToken]:
    return list(session.scalars(select(EnrollmentToken).order_by(EnrollmentToken.id)))


def usable_token(session: Session, token: str, now: datetime) -> EnrollmentToken:
    """The token's row if it exists, is not revoked and has not expired; Unauthorized otherwise."""
    row = session.scalar(select(EnrollmentToken).where(EnrollmentToken.token_hash == hash_token(token)))
    if row is None:
        raise Unauthorized("unknown enrollment token", code="invalid_token")
    check_token_usable(row, now)
    return row


def check_token_usable(row: EnrollmentToken, now: datetime) -> None:
    """Unauthorized when the token was revoked or has expired."""
    if row.revoked_at is not None:
        raise Unauthorized("this enrollment token was revoked", code="token_revoked")
    if row.expires_at <= now:
        raise Unauthorized(f"this enrollment token expired at {row.expires_at:%Y-%m-%d %H:%M} UTC",
                           code="token_expired")


def enroll(session: Session, request: EnrollRequest, now: datetime) -> EnrollResponse:
    """Register (or re-register) a machine: a new agent id and key each time, one machine row.

    A re-enrolled machine keeps its id; its earlier agents are revoked, so their keys no longer
    sign anything, and the new agent numbers its reports from 1 without clashing with history.
    """
    if not request.machine_uid.strip() or not request.hostname.strip():
        raise InvalidInput("machine_uid and hostname must not be empty")
    token = usable_token(session, request.token, now)
    return register_agent(session, request, token, now, uuid.uuid4().hex, new_key())


def register_agent(session: Session, request: EnrollRequest, token: EnrollmentToken, now: datetime,
                   agent_id: str, key: str) -> EnrollResponse:
    """The registration part of :func:`enroll`, for an already checked ``token`` and a given
    agent id and key (the offline PC makes its own; see collector/intake/importer.py)."""
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
