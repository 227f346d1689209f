"""The agent's typed configuration, validated once, failing fast with the key and the value.

Values come from the command line, the environment or the ``[agent]`` table of the TOML file
(see canhgac/options.py); :func:`make_config` turns them into an :class:`AgentConfig` or raises
:class:`ConfigError` naming the key and the bad value.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from agent.wire.schema import Role

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


# Plain value types are msgspec Structs, not dataclasses: a frozen dataclass costs about 1 ms
# of CPU to define (it compiles its methods), a Struct about 20 us, and every collect pays it.
class AgentConfig(msgspec.Struct, frozen=True):
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
    probes: ProbeSettings = msgspec.field(default_factory=lambda: QUIET)
    """What the probes look at. Built directly, an AgentConfig sends nothing (QUIET);
    :func:`make_config` gives the documented defaults (gateway probing on)."""
    local_values: dict[str, object] = msgspec.field(default_factory=dict)
    """The probe keys and ``interval_minutes`` as this PC's own file and environment gave them: they
    win over the centre's settings key by key (agent/central.py)."""


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
    probes: Mapping[str, object] | None = None,
) -> AgentConfig:
    """An AgentConfig from raw values (None = the default); raises ConfigError on a bad one.

    ``probes`` are the probe keys of the ``[agent]`` table (see :data:`PROBE_KEYS`); their
    environment forms (``CANHGAC_INTERNET_TARGETS``, ...) win over them.
    """
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
        probes=make_probe_settings(local := {**(probes or {}), **probe_values_from_env(os.environ)}),
        local_values={**local, **({} if interval_minutes is None else {"interval_minutes": interval_minutes})},
    )


API_SUFFIX = "/api/v1"
"""What people copy from the dashboard or the API's address; the agent adds it itself."""


def parse_server_url(key: str, value: str) -> str:
    """An http(s) URL with a host, without a trailing slash or ``/api/v1`` (both are accepted)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(key, value, "expected an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise ConfigError(key, value, "the server URL takes no query or fragment")
    url = value.strip().rstrip("/")
    return url.removesuffix(API_SUFFIX).rstrip("/") if url.endswith(API_SUFFIX) else url


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


# --- probe settings -------------------------------------------------------------------------

PROBE_KEYS = frozenset(
    {
        "internet_targets",
        "dedicated_line_targets",
        "probe_gateway",
        "backup_folders",
        "restic_repos",
        "borg_repos",
        "certificate_files",
        "certificate_password_file",
    }
)
"""Keys of the ``[agent]`` table that configure what the probes look at (none is built in)."""

# Environment forms of the probe keys whose values are a list ("," separated) or a boolean.
PROBE_ENV = {
    "internet_targets": "CANHGAC_INTERNET_TARGETS",
    "dedicated_line_targets": "CANHGAC_DEDICATED_LINE_TARGETS",
    "probe_gateway": "CANHGAC_PROBE_GATEWAY",
    "backup_folders": "CANHGAC_BACKUP_FOLDERS",
    "certificate_files": "CANHGAC_CERTIFICATE_FILES",
    "certificate_password_file": "CANHGAC_CERTIFICATE_PASSWORD_FILE",
}
LIST_KEYS = frozenset({"internet_targets", "dedicated_line_targets", "backup_folders", "certificate_files"})


class Target(msgspec.Struct, frozen=True):
    """A reachability target: TCP connect to ``host:port``, or ICMP echo to ``host``."""

    method: str  # "tcp" or "icmp"
    host: str
    port: int | None = None

    def __str__(self) -> str:
        return f"icmp:{self.host}" if self.method == "icmp" else f"{_bracket(self.host)}:{self.port}"


class Repository(msgspec.Struct, frozen=True):
    """A restic or borg repository and the file holding its password (never the password)."""

    location: str
    password_file: Path | None = None


class ProbeSettings(msgspec.Struct, frozen=True):
    """What the probes are told to look at. Nothing is built in: with no targets the network
    probe reports "not configured"; with no sources the backup probe has nothing to check.

    A ProbeSettings() as built here probes the default gateway (the configuration's default);
    a bare :class:`agent.probes.ProbeContext` uses :data:`QUIET` and sends nothing at all.
    """

    internet_targets: tuple[Target, ...] = ()
    dedicated_line_targets: tuple[Target, ...] = ()
    probe_gateway: bool = True
    backup_folders: tuple[Path, ...] = ()
    restic_repos: tuple[Repository, ...] = ()
    borg_repos: tuple[Repository, ...] = ()
    certificate_files: tuple[Path, ...] = ()
    certificate_password_file: Path | None = None


QUIET = ProbeSettings(probe_gateway=False)
"""Settings that make the network probe send nothing (no gateway, no targets)."""


def probe_values_from_env(environ: Mapping[str, str]) -> dict[str, object]:
    """The probe keys set in the environment: lists split on ",", the rest as given."""
    values: dict[str, object] = {}
    for key, name in PROBE_ENV.items():
        raw = environ.get(name)
        if raw is not None:
            values[key] = [item.strip() for item in raw.split(",") if item.strip()] if key in LIST_KEYS else raw
    return values


def make_probe_settings(values: Mapping[str, object]) -> ProbeSettings:
    """ProbeSettings from TOML/environment values; raises ConfigError naming the key and value."""
    unknown = sorted(set(values) - PROBE_KEYS)
    if unknown:
        raise ConfigError(unknown[0], values[unknown[0]], "not a probe setting")
    password_file = values.get("certificate_password_file")
    return ProbeSettings(
        internet_targets=tuple(parse_target("internet_targets", v) for v in _strings(values, "internet_targets")),
        dedicated_line_targets=tuple(
            parse_target("dedicated_line_targets", v) for v in _strings(values, "dedicated_line_targets")
        ),
        probe_gateway=parse_bool("probe_gateway", values.get("probe_gateway", True)),
        backup_folders=tuple(Path(v) for v in _strings(values, "backup_folders")),
        restic_repos=_repositories(values, "restic_repos"),
        borg_repos=_repositories(values, "borg_repos"),
        certificate_files=tuple(Path(v) for v in _strings(values, "certificate_files")),
        certificate_password_file=Path(str(password_file)) if password_file else None,
    )


def parse_target(key: str, value: str) -> Target:
    """``host:port`` (``[v6]:port`` for IPv6) or ``icmp:host``; the host is kept as text and
    resolved only when probed. Nothing in the value is ever executed."""
    text = value.strip()
    if text.lower().startswith("icmp:"):
        host = text[5:].strip().strip("[]")
        if not _is_host(host):
            raise ConfigError(key, value, "expected icmp:HOST")
        return Target("icmp", host)
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not _is_host(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(key, value, "expected HOST:PORT (port 1-65535) or icmp:HOST")
    return Target("tcp", host, int(port))


def parse_bool(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(key, value, "expected true or false")


def _strings(values: Mapping[str, object], key: str) -> list[str]:
    raw = values.get(key, [])
    if isinstance(raw, str) or not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(key, raw, "expected a list of strings")
    return [v for v in raw if v.strip()]


def _repositories(values: Mapping[str, object], key: str) -> tuple[Repository, ...]:
    """Each item a location string, or a table ``{repository = "...", password_file = "..."}``."""
    raw = values.get(key, [])
    if not isinstance(raw, list | tuple):
        raise ConfigError(key, raw, "expected a list of repositories")
    found = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            found.append(Repository(item.strip()))
        elif isinstance(item, Mapping) and isinstance(item.get("repository"), str) and set(item) <= {
            "repository", "password_file"
        }:
            password_file = item.get("password_file")
            found.append(Repository(str(item["repository"]), Path(str(password_file)) if password_file else None))
        else:
            raise ConfigError(key, item, 'expected "REPOSITORY" or {repository = "...", password_file = "..."}')
    return tuple(found)


def _is_host(text: str) -> bool:
    """A host name, IPv4 or IPv6 address: letters, digits, ``.-_:%`` only (a value is never
    handed to a shell, and this keeps it from looking like it could be)."""
    return re.fullmatch(r"[A-Za-z0-9._:%-]+", text) is not None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
