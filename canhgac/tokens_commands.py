"""``canhgac tokens``: enrollment tokens, one unit each (needs the server extra)."""

from __future__ import annotations

from typing import Any

import click

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, db_session, duration_option, echo_json, local_time
from canhgac.collector_options import db_option
from collector.store import enrollment as token_store


@click.group("tokens")
def tokens() -> None:
    """Enrollment tokens: one unit each, expiring, revocable."""


@tokens.command("create")
@click.option("--unit", "unit_code", required=True, metavar="CODE")
@duration_option("7d", "Lifetime: 30m, 12h, 7d, 2w.")
@click.option("--max-machines", type=click.IntRange(min=1), default=None, metavar="N",
              help="How many machines it may enroll. [default: the unit subtree's staff count plus "
                   f"max({token_store.MARGIN_MIN}, 20%)]")
@click.option("--unlimited", is_flag=True, help="No limit on the machines it enrolls.")
@db_option
@cli_errors
def tokens_create(unit_code: str, expires: Any, max_machines: int | None, unlimited: bool, db_url: str | None) -> None:
    """Create an enrollment token for a unit and print it (shown only once)."""
    if unlimited and max_machines is not None:
        raise click.UsageError("--unlimited and --max-machines exclude each other")
    limit: int | None | token_store.TokenLimit = None if unlimited else max_machines or token_store.TokenLimit.DEFAULT
    with db_session(db_url) as session:
        token, row = token_store.create_enrollment_token(session, unit_code, expires, clock.utcnow(), limit,
                                                         actor=cli_actor())
        most = "no machine limit" if row.max_machines is None else f"at most {row.max_machines} machines"
        click.echo(f"# token {row.id} for {unit_code}, hết hạn / expires {local_time(row.expires_at)} (UTC+7), {most}",
                   err=True)
    click.echo(token)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def tokens_list(as_json: bool, db_url: str | None) -> None:
    """List enrollment tokens (never their value)."""
    with db_session(db_url) as session:
        tokens = token_store.list_enrollment_tokens(session)
        data = [{"id": t.id, "unit": t.unit_code, "expires_at": t.expires_at.isoformat(), "uses": t.uses,
                 "max_machines": t.max_machines, "revoked": t.revoked_at is not None}
                for t in tokens]
    if as_json:
        echo_json(data)
        return
    for row, token in zip(data, tokens, strict=True):
        state = "revoked" if row["revoked"] else f"expires {local_time(token.expires_at)} (UTC+7)"
        most = "∞" if row["max_machines"] is None else row["max_machines"]
        click.echo(f"{row['id']:>5}  {row['unit']:<16} uses={row['uses']:<4} max={most!s:<5} {state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@db_option
@cli_errors
def tokens_revoke(token_id: int, db_url: str | None) -> None:
    """Revoke enrollment token TOKEN_ID (from `tokens list`)."""
    with db_session(db_url) as session:
        token_store.revoke_enrollment_token(session, token_id, clock.utcnow(), actor=cli_actor())
    click.echo(f"Đã thu hồi / revoked: token {token_id}")
