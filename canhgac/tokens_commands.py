"""``canhgac tokens``: enrollment tokens, one unit each (needs the server extra)."""

from __future__ import annotations

from typing import Any

import click

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session, duration_option, echo_json
from canhgac.collector_options import db_option
from collector.store import enrollment as token_store


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
        token, row = token_store.create_enrollment_token(session, unit_code, expires, clock.utcnow())
        click.echo(f"# token {row.id} for {unit_code}, expires {row.expires_at:%d/%m/%Y %H:%M} UTC", err=True)
    click.echo(token)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def tokens_list(as_json: bool, db_url: str | None) -> None:
    """List enrollment tokens (never their value)."""
    with db_session(db_url) as session:
        data = [{"id": t.id, "unit": t.unit_code, "expires_at": t.expires_at.isoformat(), "uses": t.uses,
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
        token_store.revoke_enrollment_token(session, token_id, clock.utcnow())
    click.echo(f"Đã thu hồi / revoked: token {token_id}")
