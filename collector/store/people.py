"""People: users with a role and a unit, their API tokens (stored hashed), and their scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import Conflict, InvalidInput, NotFound, Unauthorized
from collector.models.people import ApiToken, PersonRole, User
from collector.secrets import API_PREFIX, hash_token, new_token
from collector.store.scope import Scope
from collector.store.units import get_unit


@dataclass(frozen=True)
class Person:
    """Who is calling, as the API sees them."""

    user_id: int
    name: str
    role: PersonRole
    scope: Scope


def add_user(session: Session, name: str, role: str, now: datetime, unit_code: str | None = None,
             password_hash: str | None = None) -> Person:
    """Create a person. Viewers and officers need a unit; an admin without one sees everything."""
    if not name.strip():
        raise InvalidInput("user name must not be empty")
    if role not in set(PersonRole):
        raise InvalidInput(f"role {role!r}: one of {', '.join(PersonRole)}")
    if role != PersonRole.ADMIN and unit_code is None:
        raise InvalidInput(f"a {role} needs a unit (--unit CODE)")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists", code="user_exists")
    unit = get_unit(session, unit_code) if unit_code else None
    user = User(name=name, role=role, unit_id=unit.id if unit else None, password_hash=password_hash,
                created_at=now)
    session.add(user)
    session.flush()
    return _person(user, unit.path if unit else None)


def issue_api_token(session: Session, user_name: str, lifetime: timedelta, now: datetime) -> str:
    """A new API token for the user; only its hash is stored, the clear token is returned once."""
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None:
        raise NotFound(f"no user {user_name!r}", code="user_not_found")
    token = new_token(API_PREFIX)
    session.add(ApiToken(token_hash=hash_token(token), user_id=user.id, created_at=now,
                         expires_at=now + lifetime))
    return token


def person_for_token(session: Session, token: str, now: datetime) -> Person:
    """The person behind a bearer token; Unauthorized when unknown, revoked or expired."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("invalid or expired API token", code="invalid_token")
    user = row.user
    return _person(user, user.unit.path if user.unit else None)


def _person(user: User, unit_path: str | None) -> Person:
    return Person(user_id=user.id, name=user.name, role=PersonRole(user.role), scope=Scope(unit_path=unit_path))


@dataclass(frozen=True)
class Credentials:
    """A person and the argon2 hash of their dashboard password (None: no password set)."""

    person: Person
    password_hash: str | None


def credentials_by_name(session: Session, name: str) -> Credentials | None:
    user = session.scalar(select(User).where(User.name == name.strip()))
    return Credentials(_person(user, user.unit.path if user.unit else None), user.password_hash) if user else None


def credentials_by_id(session: Session, user_id: int) -> Credentials | None:
    user = session.get(User, user_id)
    return Credentials(_person(user, user.unit.path if user.unit else None), user.password_hash) if user else None
