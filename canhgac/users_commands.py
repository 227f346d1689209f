"""``canhgac users``: people, their roles, passwords, sessions and API tokens (needs the server extra).
Every change is written to the audit log under ``cli:<operating-system user>``."""

from __future__ import annotations

import sys
from typing import Any

import click

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, db_session, duration_option, echo_json, local_time
from canhgac.collector_options import db_option
from collector.models.people import PersonRole
from collector.store import people as people_store


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
        people_store.add_user(session, name, role, clock.utcnow(), unit_code, password_hash, actor=cli_actor())
    click.echo(f"Đã thêm người dùng / user added: {name} ({role}{', ' + unit_code if unit_code else ''})")


def _read_password_hash() -> str:
    from argon2 import PasswordHasher

    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise click.ClickException("the password must have at least 8 characters")
    return PasswordHasher().hash(password)


@users.command("password")
@click.argument("name")
@db_option
@cli_errors
def users_password(name: str, db_url: str | None) -> None:
    """Set NAME's dashboard password from stdin; every session of theirs ends."""
    password_hash = _read_password_hash()
    with db_session(db_url) as session:
        ended = people_store.set_password(session, name, password_hash, clock.utcnow(), actor=cli_actor())
    click.echo(f"Đã đổi mật khẩu / password changed: {name}; {ended} session(s) ended")


@users.command("end-sessions")
@click.argument("name")
@db_option
@cli_errors
def users_end_sessions(name: str, db_url: str | None) -> None:
    """End every dashboard session of NAME (each browser must sign in again)."""
    with db_session(db_url) as session:
        ended = people_store.end_person_sessions(session, name, clock.utcnow(), actor=cli_actor())
    click.echo(f"Đã kết thúc phiên / sessions ended: {name}: {ended}")


@users.command("disable")
@click.argument("name")
@db_option
@cli_errors
def users_disable(name: str, db_url: str | None) -> None:
    """Disable NAME: out at the next request (dashboard sessions end, API tokens are refused)."""
    with db_session(db_url) as session:
        ended = people_store.set_disabled(session, name, True, clock.utcnow(), actor=cli_actor())
    click.echo(f"Đã khóa / disabled: {name}; {ended} session(s) ended, API tokens refused")


@users.command("enable")
@click.argument("name")
@db_option
@cli_errors
def users_enable(name: str, db_url: str | None) -> None:
    """Enable NAME again (their unrevoked, unexpired API tokens work again)."""
    with db_session(db_url) as session:
        people_store.set_disabled(session, name, False, clock.utcnow(), actor=cli_actor())
    click.echo(f"Đã mở khóa / enabled: {name}")


@users.command("token")
@click.argument("name")
@duration_option("30d", "Lifetime: 12h, 30d, 2w.")
@db_option
@cli_errors
def users_token(name: str, expires: Any, db_url: str | None) -> None:
    """Print a new API token for NAME (shown only once; sent as Authorization: Bearer)."""
    with db_session(db_url) as session:
        token = people_store.issue_api_token(session, name, expires, clock.utcnow(), actor=cli_actor())
    click.echo(token)


@users.command("tokens")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def users_tokens(name: str, as_json: bool, db_url: str | None) -> None:
    """List NAME's API tokens (never their value)."""
    now = clock.utcnow()
    with db_session(db_url) as session:
        rows = people_store.list_api_tokens(session, name)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = ("revoked / đã thu hồi" if row.revoked_at else "expired / hết hạn" if row.expires_at <= now
                 else "valid / còn hiệu lực")
        click.echo(f"{row.id:>5}  created {local_time(row.created_at)}  expires {local_time(row.expires_at)} "
                   f"(UTC+7)  {state}")


@users.command("revoke-token")
@click.argument("token")
@db_option
@cli_errors
def users_revoke_token(token: str, db_url: str | None) -> None:
    """Revoke an API token: its id (from `users tokens NAME`) or its value (a leaked cgt_...)."""
    with db_session(db_url) as session:
        row = people_store.revoke_api_token(session, token, clock.utcnow(), actor=cli_actor())
    click.echo(f"Đã thu hồi / revoked: API token {row.id} of {row.user}")
