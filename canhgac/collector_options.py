"""Command-line options of the collector's commands, made from ``collector.config.KEYS``: each key
is an option (``--max-body-bytes``), an environment variable (``CANHGAC_MAX_BODY_BYTES``) and a
key of the TOML file's ``[collector]`` table, with its default spelled once, in CollectorConfig.

Precedence (click's): the command line, then the environment, then ``--config FILE``'s table.
The decorated command receives the built :class:`CollectorConfig` as ``config``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from canhgac.options import config_option
from collector.config import (
    KEYS,
    CollectorConfig,
    CollectorConfigError,
    default_of,
    env_name,
    load_collector_config,
    toml_name,
)

F = TypeVar("F", bound=Callable[..., Any])


def _option(key: str) -> Callable[[F], F]:
    spec = KEYS[key]
    name = spec.option or f"--{key.replace('_', '-')}"
    default = default_of(key)
    common: dict[str, Any] = {"envvar": env_name(key), "show_envvar": True, "help": spec.help,
                              "default": default, "show_default": default not in (None, ())}
    if spec.flag:
        return click.option(f"{name}/--no-{name[2:]}", key, **common)
    return click.option(name, key, type=click.STRING, metavar=spec.metavar or None, multiple=spec.many, **common)


def collector_options(*keys: str) -> Callable[[F], F]:
    """Options for ``keys`` (all of them when none is named) plus ``--config FILE``; the command
    gets ``config: CollectorConfig`` built from them (a bad value exits 2 naming its key and value)."""
    chosen = keys or tuple(KEYS)

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {key: kwargs.pop(key) for key in chosen}
            return command(*args, config=build_config(values), **kwargs)

        wrapped: Any = wrapper
        for key in reversed(chosen):
            wrapped = _option(key)(wrapped)
        return collector_config_option(wrapped)  # type: ignore[no-any-return]

    return decorate


class BadConfigValue(click.ClickException):
    """A configuration value that cannot be right: one line naming the key and the value, exit 2."""

    exit_code = 2


def build_config(values: dict[str, Any]) -> CollectorConfig:
    try:
        return load_collector_config(values)
    except CollectorConfigError as exc:
        raise BadConfigValue(f"{exc} / giá trị cấu hình không hợp lệ") from exc


def db_option(command: F) -> F:
    """``--db URL`` and ``--data-dir DIR`` (+ ``--config FILE``): the command gets ``db_url``,
    SQLite in the data directory when neither names a database."""

    @functools.wraps(command)
    def wrapper(*args: Any, config: CollectorConfig, **kwargs: Any) -> Any:
        return command(*args, db_url=config.db_url, **kwargs)

    return collector_options("db_url", "data_dir")(wrapper)  # type: ignore[return-value]


def collector_config_option(command: F) -> F:
    """``--config FILE``: its ``[collector]`` table gives the defaults of the options (no
    ``smtp_password`` key: a secret comes from CANHGAC_SMTP_PASSWORD or smtp_password_file)."""
    names = {toml_name(key): key for key in KEYS}
    return config_option("collector", names, names)(command)
