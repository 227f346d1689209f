"""The agent's typed configuration, validated once, failing fast with the key and the value.

Values come from the command line, the environment or the ``[agent]`` table of the TOML file
(see canhgac/options.py); :func:`make_config` turns them into an :class:`AgentConfig` or raises
:class:`ConfigError` naming the key and the bad value.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from agent.schema import Role

STATE_DIR_ENV = "CANHGAC_AGENT_DIR"
DEFAULT_INTERVAL_MINUTES = 15.0
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_SPOOL_MAX_REPORTS = 3000
"""About a month of reports at the default interval (15 min)."""
DEFAULT_SPOOL_MAX_BYTES = 100 * 2**20
DEFAULT_SEND_RETRIES = 3
DEFAULT_RETRY_BASE_S = 2.0


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and the value."""

    def __init__(self, key: str, value: object, problem: str) -> None:
        super().__init__(f"{key} = {value!r}: {problem}")
        self.key = key
        self.value = value


@dataclass(frozen=True)
class AgentConfig:
    """What the agent runs with. ``server`` None means "the one saved at enrollment"."""

    state_dir: Path
    server: str | None = None
    role: Role = Role.NORMAL
    interval_minutes: float = DEFAULT_INTERVAL_MINUTES
    timeout_s: float = DEFAULT_TIMEOUT_S
    spool_max_reports: int = DEFAULT_SPOOL_MAX_REPORTS
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES
    """Past either bound the oldest unsent reports are dropped (with a warning)."""
    send_retries: int = DEFAULT_SEND_RETRIES
    """Retries of a transient send failure within a cycle, after 1, 2, 4... x retry_base_s
    (full jitter); what still fails waits in the spool for the next cycle."""
    retry_base_s: float = DEFAULT_RETRY_BASE_S


def default_state_dir() -> Path:
    """$CANHGAC_AGENT_DIR, else %PROGRAMDATA%\\canhgac\\agent on Windows, else
    /var/lib/canhgac/agent for root and $XDG_DATA_HOME/canhgac/agent (~/.local/share) for others."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV])
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "canhgac" / "agent"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/canhgac/agent")
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "canhgac" / "agent"


def make_config(
    *,
    state_dir: str | Path | None = None,
    server: str | None = None,
    role: str | Role | None = None,
    interval_minutes: float | str | None = None,
    timeout_s: float | str | None = None,
    spool_max_reports: int | str | None = None,
    spool_max_bytes: int | str | None = None,
    send_retries: int | str | None = None,
    retry_base_s: float | str | None = None,
) -> AgentConfig:
    """An AgentConfig from raw values (None = the default); raises ConfigError on a bad one."""
    return AgentConfig(
        state_dir=Path(state_dir) if state_dir else default_state_dir(),
        server=parse_server_url("server", server) if server else None,
        role=parse_role("role", role) if role else Role.NORMAL,
        interval_minutes=parse_positive("interval_minutes", interval_minutes, DEFAULT_INTERVAL_MINUTES),
        timeout_s=parse_positive("timeout_s", timeout_s, DEFAULT_TIMEOUT_S),
        spool_max_reports=parse_count("spool_max_reports", spool_max_reports, DEFAULT_SPOOL_MAX_REPORTS, 1),
        spool_max_bytes=parse_count("spool_max_bytes", spool_max_bytes, DEFAULT_SPOOL_MAX_BYTES, 1024),
        send_retries=parse_count("send_retries", send_retries, DEFAULT_SEND_RETRIES, 0),
        retry_base_s=parse_positive("retry_base_s", retry_base_s, DEFAULT_RETRY_BASE_S),
    )


def parse_server_url(key: str, value: str) -> str:
    """An http(s) URL with a host, without a trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, value, "expected an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise ConfigError(key, value, "the server URL takes no query or fragment")
    return value.strip().rstrip("/")


def parse_role(key: str, value: str | Role) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise ConfigError(key, value, f"expected one of {choices}") from None


def parse_count(key: str, value: int | str | None, default: int, minimum: int) -> int:
    """A whole number of at least ``minimum``; ``default`` when None."""
    if value is None:
        return default
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise TypeError("not a whole number")
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "expected a whole number") from None
    if number < minimum:
        raise ConfigError(key, value, f"expected a whole number of at least {minimum}")
    return number


def parse_positive(key: str, value: float | str | None, default: float) -> float:
    """A finite number above zero; ``default`` when None."""
    if value is None:
        return default
    try:
        if isinstance(value, bool):
            raise TypeError("a boolean is not a number")
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "expected a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(key, value, "expected a number above zero")
    return number
