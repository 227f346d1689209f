"""``canhgac licences``: the licence register (sổ bản quyền) of the units (needs the server extra)."""

from __future__ import annotations

from datetime import date

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.store import licences as licence_store
from collector.store.scope import EVERYTHING


@click.group("licences")
def licences() -> None:
    """The licence register (sổ bản quyền, rules.glossary): what the office bought."""


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD") from None


@licences.command("add")
@click.option("--product", required=True, help="Product name, e.g. 'Kaspersky Endpoint Security'.")
@click.option("--match", "pattern", required=True, help="Name pattern, case-insensitive, * wildcards: '*kaspersky*'.")
@click.option("--seats", required=True, type=click.IntRange(min=0))
@click.option("--expires", required=True, callback=_date, metavar="YYYY-MM-DD")
@click.option("--starts", default=None, callback=_date, metavar="YYYY-MM-DD")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="Seats cover this unit's subtree.")
@db_option
@cli_errors
def licences_add(product: str, pattern: str, seats: int, expires: date, starts: date | None, unit_code: str,
                 db_url: str | None) -> None:
    """Register a licence."""
    with db_session(db_url) as session:
        row = licence_store.add_licence(session, product, pattern, seats, expires, unit_code, clock.utcnow(), starts,
                                        actor=cli_actor())
    click.echo(f"Đã thêm bản quyền / licence added: #{row.id} {row.product} x{row.seats} ({row.unit_code}), "
               f"hết hạn / expires {row.expires_on:%d/%m/%Y}")


@licences.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def licences_list(as_json: bool, db_url: str | None) -> None:
    """List the register."""
    with db_session(db_url) as session:
        rows = licence_store.list_licences(session, EVERYTHING)
    if as_json:
        echo_json(msgspec.to_builtins(rows))
        return
    for row in rows:
        click.echo(f"{row.id:>5}  {row.product:<32} {row.pattern:<20} {row.seats:>5}  {row.unit_code:<14} "
                   f"{row.expires_on:%d/%m/%Y}")
