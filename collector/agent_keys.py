"""Agent keys at rest: each agent's HMAC key is stored in the database sealed (AES-256-GCM) under
a key the collector keeps apart from the database, so a copied database file cannot sign reports.

That key (32 random bytes, hex) comes from ``CANHGAC_AGENT_KEYS_SECRET``, else from the file
``agent_keys_secret`` (mode 0600) beside the SQLite file or in the data directory, created on the
first enrollment when no sealed key exists yet. A sealed value reads ``k1.<key id>.<base64url>``:
the key id (8 hex characters derived from the key) tells a lost or wrong key from a damaged value,
and the agent's id is bound in as associated data, so a sealed key copied onto another agent's row
does not open. A value that is 64 hex characters is a key stored before revision 0010 (plain);
``collector.store.agent_keys.seal_plain_keys`` seals those when the collector starts.

No SQL here (collector.store.agent_keys holds it): this module is the cipher, the key's location
and its errors. Every session of a :class:`collector.db.Database` carries the database's vault
(:func:`vault_of`)."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from collector.errors import CanhgacError
from collector.secrets import load_or_create_secret_file, secret_file_path

SECRET_ENV = "CANHGAC_AGENT_KEYS_SECRET"
SECRET_FILE = "agent_keys_secret"
PREFIX = "k1"
SESSION_INFO_KEY = "canhgac_agent_keys"
_NONCE_BYTES = 12
_HEX = frozenset("0123456789abcdef")


class AgentKeysUnavailable(CanhgacError):
    """The key that opens the stored agent keys is missing or is not the one they were sealed
    with. Nothing can verify reports until it is restored (see README, "Security")."""

    status = 503
    code = "agent_keys_unavailable"
    transient = True


def is_plain(stored: str) -> bool:
    """A key stored before revision 0010: 64 lower-case hex characters, not sealed."""
    return len(stored) == 64 and set(stored) <= _HEX


def sealed_key_id(stored: str) -> str | None:
    """The key id a sealed value names; None for a plain (or unreadable) value."""
    parts = stored.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def key_id_of(secret: bytes) -> str:
    return hashlib.sha256(b"canhgac agent keys\0" + secret).hexdigest()[:8]


OPENED_KEPT = 100_000
"""Opened agent keys a vault keeps (a province's machines; about 25 MB at most)."""


class AgentKeyVault:
    """Seals and opens agent keys with the secret from ``SECRET_ENV`` or the file at ``path``;
    the secret is read on first use, so building a Database touches no file."""

    def __init__(self, path: Path, environ: Callable[[], str | None] = lambda: os.environ.get(SECRET_ENV)) -> None:
        self.path = path
        self._environ = environ
        self._secret: bytes | None = None
        self._lock = threading.Lock()
        self._opened: dict[tuple[str, str], str] = {}
        """(agent id, stored value) -> the key it opened to: a stored value opens to one key under the
        one secret a vault loads, so a report need not decrypt its agent's key again (bounded)."""

    @property
    def source(self) -> str:
        """Where the secret comes from, for messages (never the secret)."""
        return SECRET_ENV if self._environ() else str(self.path)

    def secret(self, may_create: Callable[[], bool] = lambda: False) -> bytes:
        """The secret; created in the file only when it is absent and ``may_create()`` says so
        (no sealed key exists that another secret opened). AgentKeysUnavailable otherwise."""
        with self._lock:
            if self._secret is None:
                self._secret = self._load(may_create)
            return self._secret

    def _load(self, may_create: Callable[[], bool]) -> bytes:
        env = (self._environ() or "").strip().lower()
        if env:
            if not is_plain(env):
                raise AgentKeysUnavailable(f"{SECRET_ENV} must be 64 hex characters (32 bytes)",
                                           code="agent_keys_secret_malformed")
            return bytes.fromhex(env)
        try:
            return _read_secret(self.path)
        except FileNotFoundError:
            if not may_create():
                raise lost_key_error(self.path, None) from None
        return load_or_create_secret_file(self.path)

    def secret_for(self, wanted: str) -> bytes:
        """The secret, to open values sealed under key ``wanted`` (named in the lost-key error)."""
        try:
            return self.secret()
        except AgentKeysUnavailable as exc:
            if exc.code == "agent_keys_lost":
                raise lost_key_error(self.path, wanted) from None
            raise

    def key_id(self, may_create: Callable[[], bool] = lambda: False) -> str:
        return key_id_of(self.secret(may_create))

    def seal(self, agent_id: str, key: str, may_create: Callable[[], bool] = lambda: False) -> str:
        """``key`` (64 hex characters) sealed for ``agent_id``."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        secret = self.secret(may_create)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(secret).encrypt(nonce, bytes.fromhex(key), agent_id.encode())
        return f"{PREFIX}.{key_id_of(secret)}.{_b64(nonce + sealed)}"

    def open(self, agent_id: str, stored: str) -> str:
        """The agent's key (64 hex characters) from its stored value; a plain value as it is.
        AgentKeysUnavailable when the secret is missing, is another one, or the value is damaged."""
        if is_plain(stored):
            return stored
        opened = self._opened.get((agent_id, stored))
        if opened is None:
            opened = self._open_sealed(agent_id, stored)
            if len(self._opened) >= OPENED_KEPT:
                self._opened.pop(next(iter(self._opened)), None)  # the oldest
            self._opened[(agent_id, stored)] = opened
        return opened

    def _open_sealed(self, agent_id: str, stored: str) -> str:
        wanted = sealed_key_id(stored)
        if wanted is None:
            raise AgentKeysUnavailable(f"the stored key of agent {agent_id} is neither sealed nor a key",
                                       code="agent_key_damaged")
        secret = self.secret_for(wanted)
        if key_id_of(secret) != wanted:
            raise lost_key_error(self.path, wanted, found=key_id_of(secret), source=self.source)
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        blob = _unb64(stored.split(".")[2])
        try:
            return AESGCM(secret).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], agent_id.encode()).hex()
        except (InvalidTag, ValueError):
            raise AgentKeysUnavailable(f"the stored key of agent {agent_id} does not open (damaged, or copied "
                                       "from another agent's row)", code="agent_key_damaged") from None


def lost_key_error(path: Path, wanted: str | None, found: str | None = None,
                   source: str | None = None) -> AgentKeysUnavailable:
    """The documented error for a lost or wrong key (README, "Security": restore it)."""
    sealed = f"sealed under key {wanted}" if wanted else "sealed"
    if found is None:
        english = (f"the agent keys in the database are {sealed}, but {path} is missing and {SECRET_ENV} is not "
                   "set: restore that file from the collector's backup (or set the variable)")
    else:
        english = (f"the agent keys in the database are {sealed}, but {source} holds key {found}: "
                   "restore the right file from the collector's backup (or set the variable)")
    return AgentKeysUnavailable(
        f"{english}; without it no enrolled agent can report (re-enrolling every machine is the only other way) "
        "/ thiếu khóa mở khóa của phần mềm giám sát: hãy khôi phục tệp khóa từ bản sao lưu", code="agent_keys_lost")


def agent_keys_path(db_url: str, data_dir: Path | None) -> Path:
    """Beside a SQLite file database, else in the data directory (the platform's when None)."""
    return secret_file_path(db_url, data_dir, SECRET_FILE)


def vault_of(session: Any) -> AgentKeyVault:
    """The vault of the database ``session`` belongs to (collector.db.Database puts it there)."""
    vault = session.info.get(SESSION_INFO_KEY)
    if not isinstance(vault, AgentKeyVault):
        raise RuntimeError("this session was not opened by a collector.db.Database (no agent-key vault)")
    return vault


def _read_secret(path: Path) -> bytes:
    text = path.read_text().strip().lower()
    if not is_plain(text):
        raise AgentKeysUnavailable(f"{path} is not a canhgac agent-keys secret (64 hex characters)",
                                   code="agent_keys_secret_malformed")
    return bytes.fromhex(text)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return b""
