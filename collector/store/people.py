"""People: users with a role and a unit, their API tokens (stored hashed, listed, revocable), their
dashboard sessions (collector.store.sessions), disabling them, and their scope. Every change is
written to the audit log in the change's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from collector.models.people import ApiToken, PersonRole, User
from collector.secrets import API_PREFIX, hash_token, new_token
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.sessions import SessionEnd, end_session, end_sessions_of, live_session_user, open_session
from collector.store.units import get_unit


@dataclass(frozen=True)
class Person:
    """Who is calling, as the API sees them."""

    user_id: int
    name: str
    role: PersonRole
    scope: Scope


def add_user(session: Session, name: str, role: str, now: datetime, unit_code: str | None = None,
             password_hash: str | None = None, actor: str = "cli", scope: Scope = EVERYTHING) -> Person:
    """Create a person. Viewers and officers need a unit; an admin without one sees everything
    (only someone who sees everything may make one). The unit must be inside ``scope``."""
    if not name.strip():
        raise InvalidInput("user name must not be empty")
    if role not in set(PersonRole):
        raise InvalidInput(f"role {role!r}: one of {', '.join(PersonRole)}")
    if role != PersonRole.ADMIN and unit_code is None:
        raise InvalidInput(f"a {role} needs a unit (--unit CODE)")
    if unit_code is None and scope.unit_path is not None:
        raise Forbidden("only an admin who sees every unit may add an admin without a unit", code="scope_forbidden")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists", code="user_exists")
    unit = get_unit(session, unit_code, scope) if unit_code else None
    user = User(name=name, role=role, unit_id=unit.id if unit else None, password_hash=password_hash,
                created_at=now)
    session.add(user)
    session.flush()
    record_audit(session, actor, AuditAction.USER_ADDED, now, f"user:{name}", user.unit_id, f"role {role}")
    return person_of(user)


def _user(session: Session, name: str, scope: Scope = EVERYTHING) -> User:
    """The user ``name`` whose unit is inside ``scope`` (an unscoped admin only for EVERYTHING);
    NotFound otherwise, exactly as when there is none."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not _in_scope(user, scope):
        raise NotFound(f"no user {name!r}", code="user_not_found")
    return user


def _in_scope(user: User, scope: Scope) -> bool:
    if scope.unit_path is None:
        return True
    return user.unit is not None and user.unit.path.startswith(scope.unit_path)


def issue_api_token(session: Session, user_name: str, lifetime: timedelta, now: datetime, actor: str = "cli") -> str:
    """A new API token for the user; only its hash is stored, the clear token is returned once."""
    user = _user(session, user_name)
    token = new_token(API_PREFIX)
    row = ApiToken(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    record_audit(session, actor, AuditAction.API_TOKEN_ISSUED, now, f"user:{user.name}", user.unit_id,
                 f"API token {row.id}, expires {row.expires_at:%Y-%m-%d %H:%M} UTC")
    return token


def person_for_token(session: Session, token: str, now: datetime) -> Person:
    """The person behind a bearer token; Unauthorized when unknown, revoked, expired or the person
    is disabled."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.user.disabled_at is not None:
        raise Unauthorized("invalid or expired API token", code="invalid_token")
    return person_of(row.user)


def person_of(user: User) -> Person:
    return Person(user_id=user.id, name=user.name, role=PersonRole(user.role),
                  scope=Scope(unit_path=user.unit.path if user.unit else None))


class ApiTokenRow(msgspec.Struct, frozen=True, kw_only=True):
    """An API token as people see it (never its value)."""

    id: int
    user: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def list_api_tokens(session: Session, user_name: str, scope: Scope = EVERYTHING) -> list[ApiTokenRow]:
    user = _user(session, user_name, scope)
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [ApiTokenRow(id=r.id, user=user.name, created_at=r.created_at, expires_at=r.expires_at,
                        revoked_at=r.revoked_at) for r in rows]


def revoke_api_token(session: Session, which: str, now: datetime, actor: str = "cli",
                     scope: Scope = EVERYTHING) -> ApiTokenRow:
    """Revoke an API token named by its id (from :func:`list_api_tokens`) or by its value (a leaked
    ``cgt_...``); NotFound when there is none in ``scope``."""
    which = which.strip()
    found = (session.get(ApiToken, int(which)) if which.isdigit() and len(which) < 19
             else session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(which))))
    if found is None or not _in_scope(found.user, scope):
        raise NotFound("no such API token", code="api_token_not_found")
    if found.revoked_at is None:
        found.revoked_at = now
        record_audit(session, actor, AuditAction.API_TOKEN_REVOKED, now, f"user:{found.user.name}",
                     found.user.unit_id, f"API token {found.id}")
    return ApiTokenRow(id=found.id, user=found.user.name, created_at=found.created_at, expires_at=found.expires_at,
                       revoked_at=found.revoked_at)


def set_password(session: Session, user_name: str, password_hash: str, now: datetime, actor: str = "cli",
                 scope: Scope = EVERYTHING) -> int:
    """A new dashboard password; every session of the person ends (how many did)."""
    user = _user(session, user_name, scope)
    user.password_hash = password_hash
    ended = end_sessions_of(session, user.id, now, SessionEnd.PASSWORD_CHANGED)
    record_audit(session, actor, AuditAction.PASSWORD_CHANGED, now, f"user:{user.name}", user.unit_id,
                 f"{ended} session(s) ended")
    return ended


def end_person_sessions(session: Session, user_name: str, now: datetime, actor: str = "cli",
                        scope: Scope = EVERYTHING) -> int:
    """An admin ends every session of ``user_name`` (in their scope); how many were live."""
    user = _user(session, user_name, scope)
    ended = end_sessions_of(session, user.id, now, SessionEnd.ENDED_BY_ADMIN)
    record_audit(session, actor, AuditAction.SESSIONS_ENDED, now, f"user:{user.name}", user.unit_id,
                 f"{ended} session(s) ended")
    return ended


def set_disabled(session: Session, user_name: str, disabled: bool, now: datetime, actor: str = "cli",
                 scope: Scope = EVERYTHING) -> int:
    """Disable (out at the next request: no session, no API token) or enable a person; how many
    sessions ended."""
    user = _user(session, user_name, scope)
    if disabled == (user.disabled_at is not None):
        return 0
    user.disabled_at = now if disabled else None
    ended = end_sessions_of(session, user.id, now, SessionEnd.DISABLED) if disabled else 0
    action = AuditAction.USER_DISABLED if disabled else AuditAction.USER_ENABLED
    record_audit(session, actor, action, now, f"user:{user.name}", user.unit_id,
                 f"{ended} session(s) ended" if disabled else "")
    return ended


@dataclass(frozen=True)
class Credentials:
    """A person and the argon2 hash of their dashboard password (None: no password set)."""

    person: Person
    password_hash: str | None
    unit_id: int | None = None
    disabled: bool = False


def credentials_by_name(session: Session, name: str) -> Credentials | None:
    user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None:
        return None
    return Credentials(person_of(user), user.password_hash, user.unit_id, user.disabled_at is not None)


def sign_in(session: Session, person: Person, now: datetime, address: str) -> str:
    """Open a dashboard session for ``person`` (checked by the caller); its secret for the cookie."""
    token = open_session(session, person.user_id, now)
    record_audit(session, person.name, AuditAction.SIGN_IN, now, f"user:{person.name}", _unit_id(session, person),
                 f"from {address}" if address else "")
    return token


def sign_out(session: Session, token: str, now: datetime, address: str) -> bool:
    """End the dashboard session ``token`` on the server; False when it was not live."""
    user_id = end_session(session, token, now, SessionEnd.SIGNED_OUT)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        return False
    record_audit(session, user.name, AuditAction.SIGNED_OUT, now, f"user:{user.name}", user.unit_id,
                 f"from {address}" if address else "")
    return True


def record_failed_sign_in(session: Session, name: str, now: datetime, address: str) -> None:
    """An audit entry for a refused sign-in (under the person's unit when the name is known)."""
    known = credentials_by_name(session, name) if name.strip() else None
    record_audit(session, name.strip()[:160] or "?", AuditAction.SIGN_IN_FAILED, now, f"user:{name.strip()}"[:160],
                 known.unit_id if known else None, f"from {address}" if address else "")


def person_for_session(session: Session, token: str, now: datetime) -> Person | None:
    """The person of a live dashboard session (collector.store.sessions); None otherwise."""
    user = live_session_user(session, token, now)
    return person_of(user) if user is not None else None


def _unit_id(session: Session, person: Person) -> int | None:
    return session.scalar(select(User.unit_id).where(User.id == person.user_id))


class PersonLine(msgspec.Struct, frozen=True, kw_only=True):
    """A person as the people page lists them (never their password hash)."""

    name: str
    role: str
    unit_code: str | None
    unit_name: str | None
    created_at: datetime
    disabled: bool


def list_people(session: Session, scope: Scope = EVERYTHING, limit: int = 2000) -> list[PersonLine]:
    """The people whose unit is inside ``scope`` (unit-less admins only for EVERYTHING), by name."""
    query = select(User).outerjoin(User.unit).order_by(User.name).limit(limit)
    if scope.unit_path is not None:
        query = query.where(scope.units_clause())
    return [PersonLine(name=u.name, role=u.role, unit_code=u.unit.code if u.unit else None,
                       unit_name=u.unit.name if u.unit else None, created_at=u.created_at,
                       disabled=u.disabled_at is not None) for u in session.scalars(query)]


def role_of(session: Session, user_name: str, scope: Scope = EVERYTHING) -> PersonRole:
    """The role of ``user_name`` inside ``scope``; NotFound otherwise."""
    return PersonRole(_user(session, user_name, scope).role)


def may_manage(actor: PersonRole, target: PersonRole | str) -> bool:
    """Whether ``actor`` may add, disable, reset or end the sessions of a person with role
    ``target``: an admin anyone (in their scope), an officer viewers and officers, a viewer nobody."""
    if actor is PersonRole.ADMIN:
        return True
    return actor is PersonRole.OFFICER and target != PersonRole.ADMIN
