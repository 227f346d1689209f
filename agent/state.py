"""The agent's persistent state: who it is (agent id, key, unit) and its next sequence number.

One JSON file, ``<state_dir>/state.json``, owner-only (0600, in a 0700 directory), always
replaced atomically (agent/files.py). It holds the agent's secret key, so it is never logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from agent.files import ensure_private_dir, exclusive_lock, write_atomic
from agent.wire.schema import Role
from agent.wire.settings import SignedSettings

STATE_FILE = "state.json"
LOCK_FILE = "state.lock"


class StateError(Exception):
    """The state file exists but cannot be read or is not valid, or the agent is not enrolled."""


class AgentState(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    agent_id: str
    key: str
    """Hex HMAC key from the collector; signs every report."""
    server: str
    unit_code: str
    role: Role = Role.NORMAL
    machine_uid: str = ""
    next_sequence: int = 1
    """The number the next report gets; numbers are never reused (see take_next_sequence)."""
    server_ca: str = ""
    """PEM of the CA given at enrollment (``--ca``): only certificates it signed are trusted."""
    server_fingerprint: str = ""
    """SHA-256 (hex) of the collector's certificate pinned at enrollment (``--fingerprint``)."""
    settings: SignedSettings | None = None
    """The centre's settings last received (signature checked), or None (agent/central.py)."""
    acked_sections: dict[str, str] = {}
    """Shared section -> hash in the last report the collector acknowledged: a section still equal
    to it is sent as its hash only (agent/delivery.py)."""

    def __repr__(self) -> str:
        # The key is a secret: keep it out of logs and tracebacks.
        return f"AgentState(agent_id={self.agent_id!r}, unit_code={self.unit_code!r}, key=<hidden>)"


def state_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def load_state(state_dir: Path) -> AgentState | None:
    """The saved state, or None when the agent is not enrolled (no state file).

    Raises StateError when the file exists but is unreadable or malformed.
    """
    path = state_path(state_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return msgspec.json.decode(data, type=AgentState)
    except msgspec.DecodeError as exc:
        raise StateError(f"{path} is not a valid agent state ({exc}); enroll again") from exc


def save_state(state_dir: Path, state: AgentState) -> None:
    """Write ``state`` atomically, creating the directory (0700) if needed."""
    ensure_private_dir(state_dir)
    write_atomic(state_path(state_dir), msgspec.json.encode(state))


@contextmanager
def state_lock(state_dir: Path) -> Iterator[None]:
    """Exclusive use of the state between agent processes, for read-modify-write changes."""
    ensure_private_dir(state_dir)
    with exclusive_lock(state_dir / LOCK_FILE):
        yield


def take_next_sequence(state_dir: Path) -> int:
    """Reserve the next report sequence number and persist the increment before returning it,
    so a number is never handed out twice: not after a crash, not to two processes at once.

    Raises StateError when the agent is not enrolled.
    """
    if not state_path(state_dir).exists():
        raise StateError(f"not enrolled (no {state_path(state_dir)})")
    with state_lock(state_dir):
        state = load_state(state_dir)
        if state is None:
            raise StateError(f"not enrolled (no {state_path(state_dir)})")
        save_state(state_dir, msgspec.structs.replace(state, next_sequence=state.next_sequence + 1))
    return state.next_sequence


def update_state(state_dir: Path, change: Callable[[AgentState], AgentState]) -> AgentState | None:
    """Apply ``change`` to the saved state under the lock (None when not enrolled); the new state."""
    with state_lock(state_dir):
        state = load_state(state_dir)
        if state is None:
            return None
        changed = change(state)
        if changed != state:
            save_state(state_dir, changed)
        return changed
