"""Dashboard sessions, kept on the server (rows only: collector.store.people speaks of people and
uses these): the cookie carries a random secret, the row its SHA-256 and its end.

A session opens the dashboard while its row is not ended, not expired, and its person is not
disabled. Signing out ends that session; a password change, an admin, or disabling the person
ends every session of theirs: a cookie copied before is worth nothing afterwards."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from collector.models.people import User, WebSession
from collector.secrets import hash_token, new_token

SESSION_PREFIX = "cgs_"
LIFETIME = timedelta(hours=12)
KEEP_ENDED = timedelta(days=30)
"""Ended and expired sessions are forgotten this long after their end."""


class SessionEnd(enum.StrEnum):
    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    ENDED_BY_ADMIN = "ended_by_admin"
    DISABLED = "disabled"


def open_session(session: Session, user_id: int, now: datetime, lifetime: timedelta = LIFETIME) -> str:
    """A new session for ``user_id``; its secret (for the cookie) is returned once, never stored."""
    token = new_token(SESSION_PREFIX)
    session.add(WebSession(token_hash=hash_token(token), user_id=user_id, created_at=now, expires_at=now + lifetime))
    session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_ENDED))
    return token


def live_session_user(session: Session, token: str, now: datetime) -> User | None:
    """The person (a row, for collector.store.people) whose live session ``token`` is; None when it
    is unknown, ended, expired, or the person is disabled."""
    return session.scalar(select(User).join(WebSession, WebSession.user_id == User.id).where(
        WebSession.token_hash == hash_token(token), WebSession.ended_at.is_(None), WebSession.expires_at > now,
        User.disabled_at.is_(None)))


def end_session(session: Session, token: str, now: datetime, why: SessionEnd = SessionEnd.SIGNED_OUT) -> int | None:
    """End the session ``token`` (signing out); the id of its person, None when it was not live."""
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(token),
                                                  WebSession.ended_at.is_(None)))
    if row is None:
        return None
    row.ended_at, row.ended_why = now, str(why)
    return row.user_id


def end_sessions_of(session: Session, user_id: int, now: datetime, why: SessionEnd) -> int:
    """End every live session of ``user_id``; how many there were."""
    result = session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None),
                                                      WebSession.expires_at > now)
                             .values(ended_at=now, ended_why=str(why)))
    return int(result.rowcount or 0)
