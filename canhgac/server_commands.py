"""Collector/server commands: serve, units, tokens, users, machines. Needs the server extra."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
from sqlalchemy.orm import Session

from canhgac.options import db_option
from collector.config import DEFAULT_PORT, CollectorConfig, ConfigError, default_db_url
from collector.db import open_database
from collector.errors import CanhgacError
from collector.models.people import PersonRole
from collector.models.units import UnitKind
from collector.secrets import parse_duration
from collector.store import enrollment as token_store
from collector.store import machines as machine_store
from collector.store import people as people_store
from collector.store import units as unit_store
from collector.store.scope import EVERYTHING

F = TypeVar("F", bound=Callable[..., Any])


def utcnow() -> datetime:
    return datetime.now(UTC)


def cli_errors(fn: F) -> F:
    """Turn the library's typed errors into a message and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CanhgacError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


@contextmanager
def db_session(db_url: str | None) -> Iterator[Session]:
    db = open_database(db_url or default_db_url())
    try:
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def duration_option(default: str, help_text: str) -> Callable[[F], F]:
    def convert(_ctx: click.Context, _param: click.Parameter, value: str) -> Any:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return click.option("--expires", default=default, show_default=True, callback=convert, help=help_text)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


# --- serve ----------------------------------------------------------------------------------


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CANHGAC_HOST", show_envvar=True,
              help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, envvar="CANHGAC_PORT", show_envvar=True)
@click.option("--max-body-bytes", default=1024 * 1024, show_default=True, type=int,
              envvar="CANHGAC_MAX_BODY_BYTES", show_envvar=True, help="Largest report body accepted.")
@click.option("--signature-window-s", default=300, show_default=True, type=int,
              envvar="CANHGAC_SIGNATURE_WINDOW_S", show_envvar=True, help="Allowed clock skew of a signed report.")
@click.option("--log-level", default="info", show_default=True, envvar="CANHGAC_LOG_LEVEL", show_envvar=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--scan-interval-minutes", type=click.FloatRange(0), default=15, show_default=True,
              envvar="CANHGAC_SCAN_INTERVAL_MINUTES", show_envvar=True,
              help="Run the compliance scan (LAN sweep, SNMP, links, fleet rules) this often; 0: never.")
@click.option("--notify-interval-s", type=click.FloatRange(0), default=60, show_default=True,
              envvar="CANHGAC_NOTIFY_INTERVAL_S", show_envvar=True,
              help="Send pending alert changes, batched per unit, this often (needs a channel); 0: never.")
@click.option("--rules-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              envvar="CANHGAC_RULES_DIR", show_envvar=True, help="Folder of the operator's packs.")
@click.option("--smtp-host", default=None, envvar="CANHGAC_SMTP_HOST", show_envvar=True,
              help="SMTP server for e-mail notifications (none: no e-mail).")
@click.option("--smtp-port", type=int, default=25, show_default=True, envvar="CANHGAC_SMTP_PORT", show_envvar=True)
@click.option("--smtp-from", default=None, envvar="CANHGAC_SMTP_FROM", show_envvar=True, help="Sender address.")
@click.option("--smtp-to", multiple=True, envvar="CANHGAC_SMTP_TO", show_envvar=True,
              help="Recipient (repeat; the environment form is space-separated).")
@click.option("--smtp-starttls/--no-smtp-starttls", default=False, show_default=True,
              envvar="CANHGAC_SMTP_STARTTLS", show_envvar=True)
@click.option("--smtp-user", default=None, envvar="CANHGAC_SMTP_USER", show_envvar=True,
              help="SMTP login; the password comes from CANHGAC_SMTP_PASSWORD or --smtp-password-file.")
@click.option("--smtp-password-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="CANHGAC_SMTP_PASSWORD_FILE", show_envvar=True, help="File holding the SMTP password.")
@click.option("--webhook-url", "webhook_urls", multiple=True, envvar="CANHGAC_WEBHOOK_URLS", show_envvar=True,
              help="JSON webhook for notifications (repeat; the environment form is space-separated).")
@click.option("--listen-iface", default=None, envvar="CANHGAC_LISTEN_IFACE", show_envvar=True, metavar="IF",
              help="Passive mode: record LAN devices heard in ARP traffic on IF (root or CAP_NET_RAW). Off by default.")
@click.option("--listen-unit", default=None, envvar="CANHGAC_LISTEN_UNIT", show_envvar=True, metavar="CODE",
              help="With --listen-iface: the unit that LAN belongs to.")
@cli_errors
def serve(db_url: str | None, host: str, port: int, max_body_bytes: int, signature_window_s: int,
          log_level: str, scan_interval_minutes: float, notify_interval_s: float, rules_dir: Path | None,
          smtp_host: str | None, smtp_port: int, smtp_from: str | None, smtp_to: tuple[str, ...],
          smtp_starttls: bool, smtp_user: str | None, smtp_password_file: Path | None,
          webhook_urls: tuple[str, ...], listen_iface: str | None, listen_unit: str | None) -> None:
    """Run the collector and the API (SQLite in the data dir unless --db is given), with its
    scheduler: the compliance scan every --scan-interval-minutes, notifications every
    --notify-interval-s through the configured e-mail / webhook channels."""
    import uvicorn

    from server.app import create_app
    from server.notify.config import NotifySettings, build_channels

    config = CollectorConfig(db_url=db_url or default_db_url(), host=host, port=port,
                             max_body_bytes=max_body_bytes, signature_window_s=signature_window_s)
    channels = build_channels(NotifySettings(
        smtp_host=smtp_host, smtp_port=smtp_port, smtp_from=smtp_from, smtp_to=tuple(smtp_to),
        smtp_starttls=smtp_starttls, smtp_user=smtp_user, smtp_password_file=smtp_password_file,
        webhook_urls=tuple(webhook_urls)))
    _log_to_stderr(log_level)
    db = open_database(config.db_url)
    scheduler, listener = _scheduler(db, scan_interval_minutes * 60, notify_interval_s, rules_dir, channels,
                                     listen_iface, listen_unit)
    click.echo(f"canhgac: serving http://{host}:{port}/api/v1 on {_safe_url(config.db_url)}", err=True)
    scheduler.start()
    try:
        uvicorn.run(create_app(config, db, keep_dashboard_fresh=True), host=host, port=port, log_level=log_level,
                    access_log=False)
    finally:
        scheduler.stop()
        if listener is not None:
            listener.stop()


def _scheduler(db: Any, scan_every_s: float, notify_every_s: float, rules_dir: Path | None, channels: list[Any],
               listen_iface: str | None, listen_unit: str | None) -> tuple[Any, Any]:
    from collector.scheduler import PassiveListener, Scheduler, notify_job, scan_job

    jobs = []
    if scan_every_s > 0:
        from collector.judging.rules import load_rules

        jobs.append(scan_job(db, scan_every_s, load_rules(rules_dir) if rules_dir else None))
    if notify_every_s > 0 and channels:  # no channel: the outbox waits, nothing is marked sent
        jobs.append(notify_job(db, notify_every_s, channels))
    listener = None
    if listen_iface:
        with db.session() as session:
            unit_id = unit_store.get_unit(session, listen_unit).id if listen_unit else None
        listener = PassiveListener(db, listen_iface, unit_id)
        listener.start()
        from collector.scheduler import Job

        jobs.append(Job("passive ARP", 2.0, listener.store_arrivals))
    return Scheduler(jobs), listener


def _log_to_stderr(level: str) -> None:
    import logging

    logger = logging.getLogger("canhgac")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- units ----------------------------------------------------------------------------------


@click.group("units")
def units() -> None:
    """Units (đơn vị): province > commune > office; district in older data."""


@units.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Vietnamese name, e.g. 'UBND phường Tân Hòa'.")
@click.option("--parent", "parent_code", default=None, metavar="CODE", help="Parent unit's code.")
@click.option("--kind", type=click.Choice([k.value for k in UnitKind]), default=UnitKind.OFFICE.value,
              show_default=True)
@click.option("--staff", type=click.IntRange(min=0), default=0, show_default=True,
              help="Number of officials (for computers per official).")
@db_option
@cli_errors
def units_add(code: str, name: str, parent_code: str | None, kind: str, staff: int, db_url: str | None) -> None:
    """Add a unit with CODE."""
    with db_session(db_url) as session:
        unit = unit_store.add_unit(session, code, name, kind, utcnow(), parent_code, staff)
        click.echo(f"Đã thêm đơn vị / unit added: {unit.code} ({unit.name})")


@units.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@db_option
@cli_errors
def units_list(as_json: bool, db_url: str | None) -> None:
    """List units as a tree."""
    with db_session(db_url) as session:
        rows = unit_store.list_units(session, EVERYTHING)
        by_id = {unit.id: unit.code for unit in rows}
        data = [{"code": u.code, "name": u.name, "kind": u.kind, "parent": by_id.get(u.parent_id or 0),
                 "staff": u.staff_count, "depth": u.path.count("/") - 2} for u in rows]
    if as_json:
        echo_json(data)
        return
    for row in data:
        click.echo(f"{'  ' * row['depth']}{row['code']:<16} {row['kind']:<9} {row['staff']:>4}  {row['name']}")


# --- tokens ---------------------------------------------------------------------------------


@click.group("tokens")
def tokens() -> None:
    """Enrollment tokens: one unit each, expiring, revocable."""


@tokens.command("create")
@click.option("--unit", "unit_code", required=True, metavar="CODE")
@duration_option("7d", "Lifetime: 30m, 12h, 7d, 2w.")
@db_option
@cli_errors
def tokens_create(unit_code: str, expires: Any, db_url: str | None) -> None:
    """Create an enrollment token for a unit and print it (shown only once)."""
    with db_session(db_url) as session:
        token, row = token_store.create_enrollment_token(session, unit_code, expires, utcnow())
        click.echo(f"# token {row.id} for {unit_code}, expires {row.expires_at:%d/%m/%Y %H:%M} UTC", err=True)
    click.echo(token)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def tokens_list(as_json: bool, db_url: str | None) -> None:
    """List enrollment tokens (never their value)."""
    with db_session(db_url) as session:
        data = [{"id": t.id, "unit": t.unit.code, "expires_at": t.expires_at.isoformat(), "uses": t.uses,
                 "revoked": t.revoked_at is not None} for t in token_store.list_enrollment_tokens(session)]
    if as_json:
        echo_json(data)
        return
    for row in data:
        state = "revoked" if row["revoked"] else f"expires {row['expires_at']}"
        click.echo(f"{row['id']:>5}  {row['unit']:<16} uses={row['uses']:<4} {state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@db_option
@cli_errors
def tokens_revoke(token_id: int, db_url: str | None) -> None:
    """Revoke enrollment token TOKEN_ID (from `tokens list`)."""
    with db_session(db_url) as session:
        token_store.revoke_enrollment_token(session, token_id, utcnow())
    click.echo(f"Đã thu hồi / revoked: token {token_id}")


# --- users ----------------------------------------------------------------------------------


@click.group("users")
def users() -> None:
    """People: a role (viewer, officer, admin) and a unit whose subtree they see."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in PersonRole]), required=True)
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Required except for an admin.")
@click.option("--password-stdin", is_flag=True, help="Read a password for the dashboard from stdin.")
@db_option
@cli_errors
def users_add(name: str, role: str, unit_code: str | None, password_stdin: bool, db_url: str | None) -> None:
    """Add a person NAME."""
    password_hash = _read_password_hash() if password_stdin else None
    with db_session(db_url) as session:
        people_store.add_user(session, name, role, utcnow(), unit_code, password_hash)
    click.echo(f"Đã thêm người dùng / user added: {name} ({role}{', ' + unit_code if unit_code else ''})")


def _read_password_hash() -> str:
    from argon2 import PasswordHasher

    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise click.ClickException("the password must have at least 8 characters")
    return PasswordHasher().hash(password)


@users.command("token")
@click.argument("name")
@duration_option("30d", "Lifetime: 12h, 30d, 2w.")
@db_option
@cli_errors
def users_token(name: str, expires: Any, db_url: str | None) -> None:
    """Print a new API token for NAME (shown only once; sent as Authorization: Bearer)."""
    with db_session(db_url) as session:
        token = people_store.issue_api_token(session, name, expires, utcnow())
    click.echo(token)


# --- machines -------------------------------------------------------------------------------


@click.group("machines")
def machines() -> None:
    """Machines known to the collector."""


@machines.command("list")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Only this unit's subtree.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def machines_list(unit_code: str | None, as_json: bool, db_url: str | None) -> None:
    """List machines with their unit and when they last reported."""
    with db_session(db_url) as session:
        rows, total = machine_store.list_machines(session, EVERYTHING, unit_code, limit=1_000_000)
    if as_json:
        echo_json([msgspec.structs.asdict(row) for row in rows])
        return
    for row in rows:
        seen = row.last_seen_at.strftime("%d/%m/%Y %H:%M") if row.last_seen_at else "chưa / never"
        click.echo(f"{row.id:>6}  {row.hostname:<24} {row.unit_code:<14} {row.role:<8} {seen}")
    click.echo(f"{total} máy / machines", err=True)
