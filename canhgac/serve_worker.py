"""One worker of ``serve --workers N``: uvicorn's supervisor starts each in a fresh process, which
builds its app here from the configuration the ``serve`` command left in the environment (JSON of
the CollectorConfig's values: data only, nothing executed)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.config import CollectorConfig

if TYPE_CHECKING:
    from litestar import Litestar

CONFIG_ENV = "CANHGAC_SERVE_WORKER_CONFIG"


def encode_config(config: CollectorConfig) -> str:
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    return json.dumps({key: _plain(value) for key, value in values.items()})


def decode_config(text: str) -> CollectorConfig:
    """The CollectorConfig ``encode_config`` wrote (its checks run again)."""
    raw = json.loads(text)
    types = {f.name: str(f.type) for f in dataclasses.fields(CollectorConfig)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, list):
            value = tuple(value)
        elif value is not None and "Path" in types[key]:
            value = Path(value)
        values[key] = value
    return CollectorConfig(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def create_worker_app() -> Litestar:
    """The app of one worker: its own database connections (the schema was migrated by ``serve``),
    its scheduler (whose scan and notifications take the database's lease first), its dashboard cache."""
    from canhgac.serve_command import _log_to_stderr
    from collector.db import open_database
    from server.app import create_app

    config = decode_config(os.environ[CONFIG_ENV])
    _log_to_stderr(config.log_level)
    db = open_database(config.db_url, migrate=False, data_dir=config.data_dir)
    return create_app(config, db, keep_dashboard_fresh=True, scheduled=True)
