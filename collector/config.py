"""The collector/server's typed configuration: one object, from CLI options, env and TOML."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 8470
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_SIGNATURE_WINDOW_S = 300


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and the value."""


def default_data_dir() -> Path:
    """CANHGAC_DATA_DIR, else the platform's data directory for the collector."""
    if env := os.environ.get("CANHGAC_DATA_DIR"):
        return Path(env)
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
    db_url: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    signature_window_s: int = DEFAULT_SIGNATURE_WINDOW_S

    def __post_init__(self) -> None:
        if not self.db_url.startswith(("sqlite", "postgresql")):
            raise ConfigError(f"db: {self.db_url!r} is not a sqlite:// or postgresql+psycopg:// URL")
        if not 0 <= self.port < 65536:
            raise ConfigError(f"port: {self.port!r} is not a TCP port (0 picks a free one)")
        if self.max_body_bytes < 1024:
            raise ConfigError(f"max_body_bytes: {self.max_body_bytes!r} is below 1024")
        if self.signature_window_s < 1:
            raise ConfigError(f"signature_window_s: {self.signature_window_s!r} must be positive")
