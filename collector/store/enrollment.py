"""Enrollment tokens (scoped to one unit, expiring, revocable, each enrolling at most so many
machines) and enrolling a machine.

A machine_uid is no secret (/etc/machine-id, MachineGuid; it travels in clear in offline
enrollment files), so a token enrolls a new machine or re-enrolls one of its own unit's subtree,
which keeps its unit; a machine of another unit is refused (409 ``machine_in_other_unit``, nothing
changed) until a person whose scope covers both units moves it (collector.store.machine_moves).
Every enrollment and every token change is written to the audit log in its own transaction.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from agent.wire.schema import EnrollRequest, EnrollResponse
from agent.wire.signing import new_key
from collector.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from collector.models.enrollment import Agent, EnrollmentToken
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.secrets import ENROLLMENT_PREFIX, hash_token, new_token
from collector.store.agent_keys import seal_for
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit

MARGIN_MIN = 5
MARGIN_SHARE = 0.2
"""A token's default limit: the unit subtree's staff count plus max(MARGIN_MIN, 20%) (the offline
PC, shared desks, replacements)."""


class TokenLimit(enum.Enum):
    DEFAULT = "default"
    """The unit subtree's staff count plus a margin (:func:`default_max_machines`)."""


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    """An enrollment token as people see it (never its value)."""

    id: int
    unit_code: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int
    max_machines: int | None
    """None: no limit."""
    token_hash: str
    """SHA-256 of the token: what an offline PC's enrollment file is sealed with (agent.wire.media)."""


def _token_row(row: EnrollmentToken) -> TokenRow:
    return TokenRow(id=row.id, unit_code=row.unit.code, created_at=row.created_at, expires_at=row.expires_at,
                    revoked_at=row.revoked_at, uses=row.uses, max_machines=row.max_machines,
                    token_hash=row.token_hash)


def default_max_machines(staff: int) -> int:
    return staff + max(MARGIN_MIN, math.ceil(staff * MARGIN_SHARE))


def _subtree_staff(session: Session, unit_path: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Unit.staff_count), 0))
                              .where(Unit.path.startswith(unit_path, autoescape=True))) or 0)


def create_enrollment_token(
    session: Session, unit_code: str, lifetime: timedelta, now: datetime,
    max_machines: int | None | TokenLimit = TokenLimit.DEFAULT, actor: str = "cli", scope: Scope = EVERYTHING,
) -> tuple[str, TokenRow]:
    """A new token for ``unit_code`` (inside ``scope``) enrolling at most ``max_machines`` (None: no
    limit; DEFAULT: the subtree's staff plus a margin); the clear token is returned here and never stored."""
    unit = get_unit(session, unit_code, scope)
    if isinstance(max_machines, TokenLimit):
        max_machines = default_max_machines(_subtree_staff(session, unit.path))
    elif max_machines is not None and max_machines < 1:
        raise InvalidInput(f"a token must enroll at least one machine, not {max_machines}")
    token = new_token(ENROLLMENT_PREFIX)
    row = EnrollmentToken(token_hash=hash_token(token), unit_id=unit.id, created_at=now,
                          expires_at=now + lifetime, uses=0, max_machines=max_machines)
    session.add(row)
    session.flush()
    limit = "no machine limit" if max_machines is None else f"at most {max_machines} machines"
    record_audit(session, actor, AuditAction.TOKEN_CREATED, now, f"token:{row.id}", unit.id,
                 f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC, {limit}")
    return token, _token_row(row)


def revoke_enrollment_token(session: Session, token_id: int, now: datetime, actor: str = "cli",
                            scope: Scope = EVERYTHING) -> TokenRow:
    row = session.get(EnrollmentToken, token_id)
    if row is None or not _token_in_scope(row, scope):
        raise NotFound(f"no enrollment token {token_id}", code="token_not_found")
    if row.revoked_at is None:
        row.revoked_at = now
        record_audit(session, actor, AuditAction.TOKEN_REVOKED, now, f"token:{row.id}", row.unit_id)
    return _token_row(row)


def list_enrollment_tokens(session: Session, scope: Scope = EVERYTHING) -> list[TokenRow]:
    query = select(EnrollmentToken).join(Unit, EnrollmentToken.unit_id == Unit.id).where(scope.units_clause())
    return [_token_row(row) for row in session.scalars(query.order_by(EnrollmentToken.id))]


def _token_in_scope(row: EnrollmentToken, scope: Scope) -> bool:
    return scope.unit_path is None or row.unit.path.startswith(scope.unit_path)


def token_by_value(session: Session, token: str, scope: Scope = EVERYTHING) -> TokenRow:
    """The token whose clear value is ``token`` inside ``scope`` (revoked and expired ones too);
    NotFound otherwise (outside the scope looks like absent)."""
    row = session.scalar(select(EnrollmentToken).where(EnrollmentToken.token_hash == hash_token(token.strip())))
    if row is None or not _token_in_scope(row, scope):
        raise NotFound("no such enrollment token", code="token_not_found")
    return _token_row(row)


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


def agent_units(session: Session, agent_ids: Collection[str]) -> dict[str, int]:
    """The unit id of each known agent's machine (unknown ids left out)."""
    if not agent_ids:
        return {}
    return dict(session.execute(select(Agent.id, Machine.unit_id).join(Machine, Agent.machine_id == Machine.id)
                                .where(Agent.id.in_(list(agent_ids)))).all())


def ping(session: Session) -> None:
    """A round trip to the database (the health check)."""
    session.execute(text("SELECT 1"))


def agent_enrolled_at(session: Session, agent_id: str) -> datetime | None:
    """When the agent ``agent_id`` was enrolled; None when it never was."""
    return session.scalar(select(Agent.created_at).where(Agent.id == agent_id))


class MachineInOtherUnit(Conflict):
    """The machine_uid names a machine of a unit outside the token's subtree."""

    code = "machine_in_other_unit"

    def __init__(self, machine_id: int, unit_id: int, token_id: int, token_unit: str, hostname: str) -> None:
        super().__init__("this machine is registered in another unit: the token of this unit cannot enroll it; "
                         "an officer of both units can move it (canhgac machines move) / máy này thuộc đơn vị khác")
        self.machine_id, self.unit_id = machine_id, unit_id
        self.token_id, self.token_unit, self.hostname = token_id, token_unit, hostname


def enroll(session: Session, request: EnrollRequest, now: datetime, source: str = "") -> EnrollResponse:
    """Register (or re-register) a machine: a new agent id and key each time, one machine row.

    A re-enrolled machine keeps its id and its unit; its earlier agents are revoked, so their keys
    no longer sign anything, and the new agent numbers its reports from 1 without clashing with
    history. ``source`` (the client's address) goes into the audit entry. Raises Unauthorized for a
    bad token, MachineInOtherUnit, Forbidden ``token_exhausted`` past the token's limit.
    """
    if not request.machine_uid.strip() or not request.hostname.strip():
        raise InvalidInput("machine_uid and hostname must not be empty")
    token = _usable_token(session, request.token, now)
    return _register(session, request, token, now, uuid.uuid4().hex, new_key(), source)


def register_agent(session: Session, request: EnrollRequest, token_id: int, now: datetime,
                   agent_id: str, key: str, source: str = "") -> EnrollResponse:
    """The registration part of :func:`enroll`, for the token ``token_id`` (checked again here) and a
    given agent id and key (the offline PC makes its own; see collector/intake/importer.py)."""
    token = session.get(EnrollmentToken, token_id)
    if token is None:
        raise Unauthorized("unknown enrollment token", code="invalid_token")
    check_token_usable(token.revoked_at, token.expires_at, now)
    return _register(session, request, token, now, agent_id, key, source)


def _register(session: Session, request: EnrollRequest, token: EnrollmentToken, now: datetime,
              agent_id: str, key: str, source: str) -> EnrollResponse:
    machine = session.scalar(select(Machine).where(Machine.machine_uid == request.machine_uid))
    known = machine is not None
    if machine is not None:
        _check_in_subtree(session, machine, token, request.hostname)
    _check_token_limit(session, token, machine.id if machine else None)
    machine = _upsert_machine(session, machine, request, token.unit_id, now)
    session.execute(update(Agent).where(Agent.machine_id == machine.id, Agent.revoked_at.is_(None))
                    .values(revoked_at=now))
    agent = Agent(id=agent_id, machine_id=machine.id, key=seal_for(session, agent_id, key),
                  enrollment_token_id=token.id, created_at=now)
    session.add(agent)
    machine.current_agent_id = agent.id
    machine.state_sequence = 0
    token.uses += 1
    session.flush()
    action = AuditAction.MACHINE_REENROLLED if known else AuditAction.MACHINE_ENROLLED
    record_audit(session, f"token:{token.id}", action, now, f"machine:{machine.id}", machine.unit_id,
                 _enrolled_detail(request, agent_id, source))
    unit_code = session.scalar(select(Unit.code).where(Unit.id == machine.unit_id)) or token.unit.code
    return EnrollResponse(agent_id=agent.id, key=key, unit_code=unit_code, machine_id=machine.id)


def _enrolled_detail(request: EnrollRequest, agent_id: str, source: str) -> str:
    where = f" from {source}" if source else ""
    return f"{request.hostname} ({request.role}) as agent {agent_id}{where}"


def _check_in_subtree(session: Session, machine: Machine, token: EnrollmentToken, hostname: str) -> None:
    paths = dict(session.execute(select(Unit.id, Unit.path).where(Unit.id.in_((machine.unit_id, token.unit_id)))).all())
    if not paths[machine.unit_id].startswith(paths[token.unit_id]):
        raise MachineInOtherUnit(machine.id, machine.unit_id, token.id, token.unit.code, hostname)


def _check_token_limit(session: Session, token: EnrollmentToken, machine_id: int | None) -> None:
    """Forbidden when a machine this token never enrolled would be one too many."""
    if token.max_machines is None:
        return
    enrolled = set(session.scalars(select(Agent.machine_id).where(Agent.enrollment_token_id == token.id).distinct()))
    if machine_id not in enrolled and len(enrolled) >= token.max_machines:
        raise Forbidden(f"this enrollment token has enrolled its {token.max_machines} machines (its limit): "
                        "ask for a new token (canhgac tokens create) / mã đăng ký đã dùng hết số máy cho phép",
                        code="token_exhausted")


def record_refused_enrollment(session: Session, refused: MachineInOtherUnit, now: datetime, source: str) -> None:
    """An audit entry for the machine's own unit: another unit's token tried to take it (in a
    transaction of its own: the refused one changed nothing)."""
    where = f" from {source}" if source else ""
    record_audit(session, f"token:{refused.token_id}", AuditAction.ENROLLMENT_REFUSED, now,
                 f"machine:{refused.machine_id}", refused.unit_id,
                 f"refused: a token of unit {refused.token_unit} tried to enroll this machine as "
                 f"{refused.hostname!r}{where}")


def _upsert_machine(session: Session, machine: Machine | None, request: EnrollRequest, unit_id: int,
                    now: datetime) -> Machine:
    """The machine row, created in ``unit_id`` when new; a known machine keeps its unit."""
    if machine is None:
        machine = Machine(machine_uid=request.machine_uid, created_at=now, state_sequence=0, unit_id=unit_id)
        session.add(machine)
    machine.hostname = request.hostname
    machine.role = str(request.role)
    machine.os_name = request.os_name
    session.flush()
    return machine


class KeyHistory(msgspec.Struct, frozen=True):
    """A machine's enrollments as rules see them."""

    reenrolled: bool
    """Its current agent replaced an earlier one."""
    enrolled_at: datetime
    """When its current (newest) agent was enrolled."""
    agents: int = 1
    """How many agents it had (the incremental scan compares it, collector.store.scan_marks)."""


def key_histories(session: Session, machine_id: int | None = None) -> dict[int, KeyHistory]:
    """Per machine (one, or every machine with an agent): how many agents it had, and the newest's time."""
    query = select(Agent.machine_id, func.count(Agent.id), func.max(Agent.created_at)).group_by(Agent.machine_id)
    if machine_id is not None:
        query = query.where(Agent.machine_id == machine_id)
    return {row[0]: KeyHistory(reenrolled=row[1] > 1, enrolled_at=_aware(row[2]), agents=row[1])
            for row in session.execute(query)}


def _aware(value: datetime) -> datetime:
    """func.max() bypasses the UTCDateTime type: SQLite hands back its stored text, naive."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
