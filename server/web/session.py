"""Dashboard sign-in: a signed session cookie (HMAC-SHA256, HttpOnly, SameSite=Lax) carrying the
user id, a per-session CSRF token and a fingerprint of the password hash (changing the password
ends every session). The secret comes from CANHGAC_SECRET_KEY, else a file beside the SQLite
database (or in the data directory) written once with mode 0600."""

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
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.store.people import Credentials, Person, credentials_by_id, credentials_by_name

COOKIE = "canhgac_session"
LIFETIME_S = 12 * 3600
SECRET_ENV = "CANHGAC_SECRET_KEY"
SECRET_FILE = "dashboard_secret_key"


def secret_path(config: CollectorConfig) -> Path:
    """Beside a SQLite file database, else in the collector's data directory."""
    url = make_url(config.db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / SECRET_FILE
    return config.data_path / SECRET_FILE


def load_or_create_secret(path: Path) -> bytes:
    """The secret in ``path``; created (0600, exclusively) when absent."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: read its secret
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


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
    user_id: int | None = None
    fingerprint: str = ""
    issued_at: int = 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(data: SessionData, key: bytes) -> str:
    body = _b64(json.dumps([data.csrf, data.user_id, data.fingerprint, data.issued_at]).encode())
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_session(value: str | None, key: bytes, now: float | None = None) -> SessionData | None:
    """The session in a cookie value; None when absent, tampered with, malformed or expired."""
    if not value or "." not in value:
        return None
    body, _, mac = value.partition(".")
    try:
        good = hmac.compare_digest(_unb64(mac), hmac.new(key, body.encode(), hashlib.sha256).digest())
        if not good:
            return None
        csrf, user_id, fingerprint, issued_at = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if user_id is not None and (now or time.time()) - issued_at > LIFETIME_S:
        return None
    return SessionData(csrf=str(csrf), user_id=user_id, fingerprint=str(fingerprint), issued_at=int(issued_at))


def new_session(user_id: int | None = None, fingerprint: str = "") -> SessionData:
    return SessionData(csrf=secrets.token_urlsafe(24), user_id=user_id, fingerprint=fingerprint,
                       issued_at=int(time.time()))


def fingerprint_of(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def csrf_ok(session: SessionData | None, sent: str | None) -> bool:
    return session is not None and bool(sent) and hmac.compare_digest(session.csrf, sent or "")


def session_person(db_session: Session, data: SessionData | None) -> Person | None:
    """The signed-in person; None when signed out, the user is gone or the password changed."""
    if data is None or data.user_id is None:
        return None
    found = credentials_by_id(db_session, data.user_id)
    if found is None or not hmac.compare_digest(fingerprint_of(found.password_hash), data.fingerprint):
        return None
    return found.person


def check_password(db_session: Session, name: str, password: str) -> Credentials | None:
    """The person and their hash when the argon2 hash matches; None otherwise (also for users
    without a password)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    found = credentials_by_name(db_session, name)
    hasher = PasswordHasher()
    if found is None or not found.password_hash:
        hasher.hash(password)  # spend the same time as a real check: no user-name oracle
        return None
    try:
        hasher.verify(found.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return found
