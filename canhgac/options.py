"""Click options shared by every command: ``--config FILE`` (TOML) and the environment forms.

Precedence for every option: the command line, then its environment variable, then the TOML
file's table for that deployable (``[agent]`` or ``[collector]``), then the built-in default.
Nothing in a config value is ever executed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from agent.config import PROBE_KEYS

F = TypeVar("F", bound=Callable[..., Any])

AGENT_KEYS = frozenset({"server", "token", "state_dir", "role", "interval_minutes", "timeout_s",
                        "spool_max_reports", "spool_max_bytes", "send_retries", "retry_base_s"}) | PROBE_KEYS
"""``token``: the enrollment token, read by ``agent enroll`` only (the file the dashboard hands out
with a new token carries server and token: server/web/agent_file.py)."""
AGENT_PROBE_SETTINGS = "canhgac.agent_probe_settings"
"""ctx.meta key: the probe keys of the [agent] table (targets, backup sources, certificate files),
which are not command-line options; :func:`agent_probe_values` hands them to make_config."""


def read_config_table(path: Path, table: str, known: Iterable[str]) -> dict[str, Any]:
    """The ``[table]`` of a TOML file, keys checked against ``known``; {} when the table is absent.

    Raises click.BadParameter naming the file, the key and the value that is wrong.
    """
    import tomllib  # only when a --config file is given: most agents run on the defaults

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise click.BadParameter(f"{path} is not valid TOML: {exc}") from exc
    section = data.get(table, {})
    if not isinstance(section, dict):
        raise click.BadParameter(f"{path}: [{table}] must be a table, not {section!r}")
    values = {key.replace("-", "_"): value for key, value in section.items()}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise click.BadParameter(
            f"{path}: unknown key {unknown[0]!r} in [{table}] (known: {', '.join(sorted(known))})"
        )
    return values


def config_option(table: str, known: Iterable[str], parameter_names: dict[str, str] | None = None
                  ) -> Callable[[F], F]:
    """``--config FILE``: fills the command's defaults from the file's ``[table]`` (a key whose
    parameter is spelled otherwise is renamed by ``parameter_names``)."""
    known_keys = frozenset(known)
    renamed = parameter_names or {}

    def load(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value:
            table_values = read_config_table(Path(value), table, known_keys)
            if table == "agent":
                ctx.meta[AGENT_PROBE_SETTINGS] = {k: v for k, v in table_values.items() if k in PROBE_KEYS}
            defaults = {renamed.get(key, key): item for key, item in table_values.items()}
            ctx.default_map = {**(ctx.default_map or {}), **defaults}
        return value

    return click.option(
        "--config",
        type=click.Path(dir_okay=False),
        envvar="CANHGAC_CONFIG",
        is_eager=True,
        expose_value=False,
        callback=load,
        show_envvar=True,
        help=f"TOML file; its [{table}] table gives defaults for the other options.",
    )


def agent_probe_values() -> dict[str, Any]:
    """The probe settings of the ``[agent]`` table of the current command's --config ({} when
    none), for ``make_config(probes=...)``."""
    ctx = click.get_current_context(silent=True)
    return dict(ctx.meta.get(AGENT_PROBE_SETTINGS, {})) if ctx is not None else {}


def agent_config_option(fn: F) -> F:
    return config_option("agent", AGENT_KEYS)(fn)


def state_dir_option(fn: F) -> F:
    return click.option(
        "--state-dir",
        envvar="CANHGAC_AGENT_DIR",
        show_envvar=True,
        type=click.Path(file_okay=False),
        default=None,
        help="Where the agent keeps its id, key, sequence and spool. Default: the platform's data dir.",
    )(agent_config_option(fn))
