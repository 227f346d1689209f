"""The collector's one configuration: every key of the ``[collector]`` table, typed, with its
default spelled here only.

``load_collector_config`` builds it from raw values by key, already merged by the command line
(the TOML file's ``[collector]`` table, then the environment, then the options: each later one
wins); each bad value is refused with its key and the value. ``canhgac/options.py`` makes the
command-line options from :data:`KEYS`, so a key added here is an option, an environment
variable and a TOML key at once. Nothing in a value is ever executed.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORT = 8470
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_SIGNATURE_WINDOW_S = 300
LOG_LEVELS = ("debug", "info", "warning", "error")


class CollectorConfigError(ValueError):
    """A configuration value is wrong; the message names the key and the value."""

    def __init__(self, key: str, value: object, problem: str) -> None:
        super().__init__(f"{key} = {value!r}: {problem}")
        self.key = key
        self.value = value


def default_data_dir() -> Path:
    """The platform's data directory for the collector (the ``data_dir`` key overrides it)."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "canhgac"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/canhgac")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "canhgac"


def default_db_url(data_dir: Path | None = None) -> str:
    return f"sqlite:///{(data_dir or default_data_dir()) / 'canhgac.db'}"


@dataclass(frozen=True)
class CollectorConfig:
    """What a collector runs with (``canhgac serve``, and every command that reads its database)."""

    db_url: str
    data_dir: Path | None = None
    """Where the SQLite file (when ``db`` is not given) and the dashboard's secret live; None: the platform's."""
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    signature_window_s: int = DEFAULT_SIGNATURE_WINDOW_S
    log_level: str = "info"
    scan_interval_minutes: float = 15.0
    """The compliance scan (LAN sweep, SNMP, links, fleet rules) this often; 0: never."""
    notify_interval_s: float = 60.0
    """Pending alert changes, batched per unit, sent this often (needs a channel); 0: never."""
    rules_dir: Path | None = None
    """The operator's rule packs, judged with the built-in ones by ingest, import and the scan."""
    listen_iface: str | None = None
    listen_unit: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_to: tuple[str, ...] = ()
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    webhook_urls: tuple[str, ...] = ()
    tls_cert: Path | None = None
    """PEM certificate (chain) that ``serve`` presents over HTTPS; with ``tls_key``."""
    tls_key: Path | None = None
    enroll_per_address: int = 60
    """Enrollment attempts allowed from one client address within ``enroll_window_s``."""
    enroll_per_token: int = 30
    """Enrollment attempts allowed with one token within ``enroll_window_s``."""
    enroll_window_s: int = 600
    keep_all_days: int = 30
    """Every report is kept this many days; then one a day per machine (collector.retention)."""
    keep_daily_days: int = 400
    """One report a day per machine is kept this many days; then one a week, for ever."""
    prune_max_seconds: float = 20.0
    """The longest one thinning run of the scheduled scan takes (it goes on at the next scan)."""
    workers: int = 1
    """``serve`` processes sharing its port (uvicorn's workers); more than one needs PostgreSQL."""
    report_writers: int = 1
    """Batches of reports in flight at once in each ``serve`` process (collector.intake.http);
    more than one needs PostgreSQL, and pays only when the database answers from another host."""

    def __post_init__(self) -> None:
        if not self.db_url.startswith(("sqlite", "postgresql")):
            raise CollectorConfigError("db", self.db_url, "expected a sqlite:///FILE or postgresql+psycopg://... URL")
        _check_port("port", self.port, allow_zero=True)
        _check_port("smtp_port", self.smtp_port, allow_zero=False)
        if self.max_body_bytes < 1024:
            raise CollectorConfigError("max_body_bytes", self.max_body_bytes, "expected at least 1024")
        if self.signature_window_s < 1:
            raise CollectorConfigError("signature_window_s", self.signature_window_s,
                                       "expected a whole number above zero")
        if self.log_level not in LOG_LEVELS:
            raise CollectorConfigError("log_level", self.log_level, f"expected one of {', '.join(LOG_LEVELS)}")
        for key in ("scan_interval_minutes", "notify_interval_s"):
            value = getattr(self, key)
            if not math.isfinite(value) or value < 0:
                raise CollectorConfigError(key, value, "expected a number of at least 0 (0: never)")
        if self.listen_unit and not self.listen_iface:
            raise CollectorConfigError("listen_unit", self.listen_unit,
                                       "needs listen_iface (the interface to listen on)")
        if self.keep_all_days < 1:
            raise CollectorConfigError("keep_all_days", self.keep_all_days, "expected a whole number of at least 1")
        if self.keep_daily_days < self.keep_all_days:
            raise CollectorConfigError("keep_daily_days", self.keep_daily_days,
                                       f"expected at least keep_all_days ({self.keep_all_days})")
        if not math.isfinite(self.prune_max_seconds) or self.prune_max_seconds <= 0:
            raise CollectorConfigError("prune_max_seconds", self.prune_max_seconds, "expected a number above 0")
        for url in self.webhook_urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise CollectorConfigError("webhook_urls", url, "expected an http:// or https:// URL")
        if (self.tls_cert is None) != (self.tls_key is None):
            given, missing = ("tls_cert", "tls_key") if self.tls_key is None else ("tls_key", "tls_cert")
            raise CollectorConfigError(given, str(getattr(self, given)), f"needs {missing} as well")
        _check_workers(self)
        for key in ("enroll_per_address", "enroll_per_token", "enroll_window_s"):
            if getattr(self, key) < 1:
                raise CollectorConfigError(key, getattr(self, key), "expected a whole number above zero")

    @property
    def data_path(self) -> Path:
        return self.data_dir or default_data_dir()


def _check_workers(config: CollectorConfig) -> None:
    if config.workers < 1:
        raise CollectorConfigError("workers", config.workers, "expected a whole number above zero")
    if config.workers > 1 and not config.db_url.startswith("postgresql"):
        raise CollectorConfigError("workers", config.workers, "more than one worker needs PostgreSQL (--db "
                                   "postgresql+psycopg://...): SQLite takes one writer at a time, so one process "
                                   "serves it / SQLite chỉ chạy một tiến trình")
    if config.report_writers < 1:
        raise CollectorConfigError("report_writers", config.report_writers, "expected a whole number above zero")
    if config.report_writers > 1 and not config.db_url.startswith("postgresql"):
        raise CollectorConfigError("report_writers", config.report_writers, "more than one writer needs "
                                   "PostgreSQL: SQLite stores one batch at a time")
    if config.workers > 1 and config.listen_iface:
        raise CollectorConfigError("workers", config.workers, "the passive listener (listen_iface) runs in one "
                                   "process: run it in a serve of its own with workers = 1")


def _check_port(key: str, port: int, allow_zero: bool) -> None:
    if not (0 if allow_zero else 1) <= port < 65536:
        raise CollectorConfigError(key, port, "expected a TCP port" + (" (0 picks a free one)" if allow_zero else ""))


# --- raw values -> typed ---------------------------------------------------------------------

def _text(key: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise CollectorConfigError(key, raw, "expected a string")
    return raw.strip()


def _optional_text(key: str, raw: object) -> str | None:
    return _text(key, raw) or None


def _whole(key: str, raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise CollectorConfigError(key, raw, "expected a whole number")


def _number(key: str, raw: object) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    try:
        return float(raw) if isinstance(raw, str) else _not_a_number(key, raw)
    except ValueError:
        return _not_a_number(key, raw)


def _not_a_number(key: str, raw: object) -> float:
    raise CollectorConfigError(key, raw, "expected a number")


def _flag(key: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise CollectorConfigError(key, raw, "expected true or false")


def _texts(key: str, raw: object) -> tuple[str, ...]:
    """A list, or one comma- or space-separated string (the environment form)."""
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise CollectorConfigError(key, raw, "expected a list of strings")
    return tuple(part for item in items for part in item.replace(",", " ").split() if part)


def _path(key: str, raw: object) -> Path | None:
    text = _text(key, raw)
    return Path(text).expanduser() if text else None


def _file(key: str, raw: object) -> Path | None:
    path = _path(key, raw)
    if path is not None and not path.is_file():
        raise CollectorConfigError(key, raw, "no such file")
    return path


def _folder(key: str, raw: object) -> Path | None:
    path = _path(key, raw)
    if path is not None and not path.is_dir():
        raise CollectorConfigError(key, raw, "no such folder")
    return path


def _log_level(key: str, raw: object) -> str:
    return _text(key, raw).lower()


@dataclass(frozen=True)
class Key:
    """One configuration key: its parser, its command-line help and how the option is spelled."""

    parse: Callable[[str, object], Any]
    help: str
    metavar: str = ""
    flag: bool = False
    many: bool = False
    option: str = ""
    """The command-line spelling when it is not ``--`` + the key with dashes."""


KEYS: dict[str, Key] = {
    "db_url": Key(_text, "Database URL (sqlite:///FILE or postgresql+psycopg://...). Default: SQLite in the "
                         "data directory.", "URL", option="--db"),
    "data_dir": Key(_path, "Data directory (the default SQLite file, the dashboard's secret).", "DIR"),
    "host": Key(_text, "Address to listen on.", "HOST"),
    "port": Key(_whole, "TCP port to listen on (0 picks a free one).", "PORT"),
    "max_body_bytes": Key(_whole, "Largest report body accepted (after gunzip).", "BYTES"),
    "signature_window_s": Key(_whole, "Allowed clock skew of a signed report, in seconds.", "S"),
    "log_level": Key(_log_level, f"Log level: {', '.join(LOG_LEVELS)}.", "LEVEL"),
    "scan_interval_minutes": Key(_number, "Run the compliance scan (LAN sweep, SNMP, links, fleet rules) this "
                                          "often; 0: never.", "MIN"),
    "notify_interval_s": Key(_number, "Send pending alert changes, batched per unit, this often (needs a "
                                      "channel); 0: never.", "S"),
    "rules_dir": Key(_folder, "Folder of the operator's rule packs (judged with the built-in ones).", "DIR"),
    "listen_iface": Key(_optional_text, "Passive mode: record LAN devices heard in ARP traffic on IF (root or "
                                        "CAP_NET_RAW). Off by default.", "IF"),
    "listen_unit": Key(_optional_text, "With --listen-iface: the unit that LAN belongs to.", "CODE"),
    "smtp_host": Key(_optional_text, "SMTP server for e-mail notifications (none: no e-mail).", "HOST"),
    "smtp_port": Key(_whole, "SMTP port.", "PORT"),
    "smtp_from": Key(_optional_text, "Sender address of the e-mails.", "ADDRESS"),
    "smtp_to": Key(_texts, "Recipient (repeat; the environment form is space-separated).", "ADDRESS", many=True),
    "smtp_starttls": Key(_flag, "Use STARTTLS with the SMTP server.", flag=True),
    "smtp_user": Key(_optional_text, "SMTP login; the password comes from CANHGAC_SMTP_PASSWORD or "
                                     "--smtp-password-file.", "NAME"),
    "smtp_password_file": Key(_path, "File holding the SMTP password.", "FILE"),
    "webhook_urls": Key(_texts, "JSON webhook for notifications (repeat; the environment form is "
                                "space-separated).", "URL", many=True, option="--webhook-url"),
    "tls_cert": Key(_file, "Serve HTTPS with this PEM certificate (chain); needs --tls-key.", "FILE"),
    "tls_key": Key(_file, "The certificate's PEM private key (keep it mode 0600).", "FILE"),
    "enroll_per_address": Key(_whole, "Enrollment attempts allowed from one client address per window.", "N"),
    "enroll_per_token": Key(_whole, "Enrollment attempts allowed with one token per window.", "N"),
    "enroll_window_s": Key(_whole, "The enrollment limits' window, in seconds.", "S"),
    "keep_all_days": Key(_whole, "Keep every report this many days; then one a day per machine.", "DAYS"),
    "keep_daily_days": Key(_whole, "Keep one report a day per machine this many days; then one a week.", "DAYS"),
    "prune_max_seconds": Key(_number, "The longest one thinning run of the scheduled scan takes.", "S"),
    "workers": Key(_whole, "serve: worker processes sharing the port (PostgreSQL only; the scheduled scan and "
                           "notifications still run once per database).", "N"),
    "report_writers": Key(_whole, "serve: batches of reports stored at once per process (PostgreSQL only; "
                                  "more than 1 helps when the database is on another host).", "N"),
}
"""Every key, by its name in :class:`CollectorConfig`. Its TOML spelling is the same except
``db`` for ``db_url``; its environment variable is ``CANHGAC_`` + the TOML spelling in capitals."""

TOML_NAMES = {"db_url": "db"}


def toml_name(key: str) -> str:
    return TOML_NAMES.get(key, key)


def env_name(key: str) -> str:
    return f"CANHGAC_{toml_name(key).upper()}"


def default_of(key: str) -> Any:
    """The default of a key, as :class:`CollectorConfig` spells it (None for ``db_url``)."""
    found = {f.name: f.default for f in fields(CollectorConfig)}
    default = found[key]
    return None if key == "db_url" else default


def load_collector_config(values: Mapping[str, object]) -> CollectorConfig:
    """A CollectorConfig from raw values by key (None, or an empty list, means "not given": the
    default). ``db_url`` not given is SQLite in the data directory. Raises CollectorConfigError naming the
    key and the value."""
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise CollectorConfigError(toml_name(unknown[0]), values[unknown[0]], f"not a [collector] key (known: "
                          f"{', '.join(sorted(toml_name(k) for k in KEYS))})")
    given = {key: KEYS[key].parse(toml_name(key), raw) for key, raw in values.items()
             if raw is not None and raw != () and raw != []}
    data_dir = given.get("data_dir")
    given["db_url"] = given.get("db_url") or default_db_url(data_dir)
    return CollectorConfig(**given)
