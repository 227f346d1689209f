"""``canhgac users``: people, their roles and API tokens (needs the server extra)."""

from __future__ import annotations

import sys
from typing import Any

import click

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session, duration_option
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
        people_store.add_user(session, name, role, clock.utcnow(), unit_code, password_hash)
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
        token = people_store.issue_api_token(session, name, expires, clock.utcnow())
    click.echo(token)
