"""Dashboard sign-in: a signed session cookie (HMAC-SHA256, HttpOnly, SameSite=Lax) carrying a
per-session CSRF token and, once signed in, the secret of a session kept on the server
(collector.store.sessions): signing out, a password change, an admin ending the person's sessions
or disabling the person ends it there, so a copied cookie opens nothing afterwards. The signing
secret comes from CANHGAC_SECRET_KEY, else a file beside the SQLite database (or in the data
directory) written once with mode 0600."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.secrets import load_or_create_secret_file, secret_file_path
from collector.store.people import Credentials, Person, credentials_by_name, person_for_session
from collector.store.sessions import LIFETIME

COOKIE = "canhgac_session"
LIFETIME_S = int(LIFETIME.total_seconds())
SECRET_ENV = "CANHGAC_SECRET_KEY"
SECRET_FILE = "dashboard_secret_key"


def secret_path(config: CollectorConfig) -> Path:
    """Beside a SQLite file database, else in the collector's data directory."""
    return secret_file_path(config.db_url, config.data_dir, SECRET_FILE)


def load_or_create_secret(path: Path) -> bytes:
    """The secret in ``path``; created (0600, exclusively) when absent."""
    return load_or_create_secret_file(path)


class SecretKey:
    """Resolved on first use, so building the app touches no file."""

    def __init__(self, config: CollectorConfig) -> None:
        self._config = config
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def get(self) -> bytes:
        with self._lock:
            if self._value is None:
                env = os.environ.get(SECRET_ENV, "")
                self._value = env.encode() if env else load_or_create_secret(secret_path(self._config))
            return self._value


@dataclass(frozen=True)
class SessionData:
    csrf: str
    token: str | None = None
    """The server-side session's secret (collector.store.sessions); None: signed out."""
    issued_at: int = 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(data: SessionData, key: bytes) -> str:
    body = _b64(json.dumps([data.csrf, data.token, data.issued_at]).encode())
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_session(value: str | None, key: bytes) -> SessionData | None:
    """The session in a cookie value; None when absent, tampered with or malformed (whether a
    signed-in session is still live is the server's to say: :func:`session_person`)."""
    if not value or "." not in value:
        return None
    body, _, mac = value.partition(".")
    try:
        good = hmac.compare_digest(_unb64(mac), hmac.new(key, body.encode(), hashlib.sha256).digest())
        if not good:
            return None
        csrf, token, issued_at = json.loads(_unb64(body))
        if token is not None and not isinstance(token, str):
            return None
        return SessionData(csrf=str(csrf), token=token, issued_at=int(issued_at))
    except (ValueError, TypeError):
        return None


def new_session(token: str | None = None) -> SessionData:
    return SessionData(csrf=secrets.token_urlsafe(24), token=token, issued_at=int(time.time()))


def csrf_ok(session: SessionData | None, sent: str | None) -> bool:
    return session is not None and bool(sent) and hmac.compare_digest(session.csrf, sent or "")


def session_person(db_session: Session, data: SessionData | None, now: datetime) -> Person | None:
    """The signed-in person; None when signed out, or the session was ended on the server, expired,
    or its person is gone or disabled."""
    if data is None or data.token is None:
        return None
    return person_for_session(db_session, data.token, now)


def check_password(db_session: Session, name: str, password: str) -> Credentials | None:
    """The person and their hash when the argon2 hash matches; None otherwise (also for users
    without a password and for disabled ones)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    found = credentials_by_name(db_session, name)
    hasher = PasswordHasher()
    if found is None or not found.password_hash or found.disabled:
        hasher.hash(password)  # spend the same time as a real check: no user-name oracle
        return None
    try:
        hasher.verify(found.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return found
