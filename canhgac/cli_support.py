"""What the collector's commands share: typed errors as one readable line and exit code 1,
a database session for one command, ``--expires`` durations, and JSON output."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
from sqlalchemy.orm import Session

from collector.config import CollectorConfig, CollectorConfigError, default_db_url
from collector.db import Database, open_database, require_existing_database
from collector.errors import CanhgacError
from collector.secrets import parse_duration

F = TypeVar("F", bound=Callable[..., Any])


def cli_errors(fn: F) -> F:
    """Turn the library's typed errors into a message and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CanhgacError, CollectorConfigError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


@contextmanager
def db_session(db_url: str | None) -> Iterator[Session]:
    """A session on the existing database ``db_url`` (a missing SQLite file is refused, not created)."""
    db = open_existing_database(db_url or default_db_url())
    try:
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def open_existing_database(db_url: str, data_dir: Path | None = None) -> Database:
    """``open_database`` for a command that reads or changes a database but must not create one."""
    require_existing_database(db_url)
    return open_database(db_url, data_dir=data_dir)


def open_collector_database(config: CollectorConfig, create: bool = False) -> Database:
    """The database of a collector that starts (serve, import): its agent-keys secret checked (the
    documented lost-key error otherwise, and nothing else is done; a missing SQLite file refused
    unless ``create``, which only serve asks) and the plain keys of a database
    from before revision 0010 sealed (collector.store.agent_keys), which the audit log records."""
    from agent.wire import clock
    from collector.store.agent_keys import check_and_seal
    from collector.store.audit import AuditAction, record_audit

    if not create:
        require_existing_database(config.db_url)
    db = open_database(config.db_url, data_dir=config.data_dir)
    try:
        with db.session() as session:
            checked = check_and_seal(session)
            if checked.newly_sealed:
                record_audit(session, cli_actor(), AuditAction.AGENT_KEYS_SEALED, clock.utcnow(), "agents",
                             detail=f"{checked.newly_sealed} plain agent key(s) sealed under {db.agent_keys.source}")
    except BaseException:
        db.dispose()
        raise
    return db


def check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, a port another program already listens on (before anything starts);
    port 0 (any free port) always passes."""
    import errno
    import socket

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror} "
                                           f"/ không mở được cổng {port}") from exc
            raise click.ClickException(
                f"port {port} on {host} is already in use (another canhgac serve or demo?): choose another with "
                f"--port / cổng {port} đang được chương trình khác dùng, chọn cổng khác bằng --port") from exc


def duration_option(default: str, help_text: str) -> Callable[[F], F]:
    def convert(_ctx: click.Context, _param: click.Parameter, value: str) -> Any:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return click.option("--expires", default=default, show_default=True, callback=convert, help=help_text)


def cli_actor() -> str:
    """Who the audit log names for a collector command: ``cli:<the operating-system user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return "cli"


VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Vietnam keeps UTC+7 all year: what a person reads; JSON keeps ISO 8601 with its offset."""


def local_time(moment: datetime | None, never: str = "—") -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time, as the dashboard shows it (``never`` for None)."""
    return never if moment is None else f"{moment.astimezone(VIETNAM):%d/%m/%Y %H:%M}"


def echo_json(value: Any) -> None:
    """Indented JSON, Vietnamese letters as they are, times in ISO 8601; Structs and dataclasses
    as objects, anything else msgspec does not know as its text."""
    click.echo(msgspec.json.format(msgspec.json.encode(value, enc_hook=str), indent=2).decode())
