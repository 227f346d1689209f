"""``canhgac audit``: the audit log, newest first (needs the server extra)."""

from __future__ import annotations

from datetime import datetime

import click

from agent.wire import clock
from canhgac.cli_support import VIETNAM, cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.secrets import parse_duration
from collector.store.audit import list_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import get_unit


def parse_since(text: str, now: datetime) -> datetime:
    """"7d" / "12h" (that long ago), or a date or date-time (Vietnam time unless it names a zone)."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: give a duration (7d, 12h) or a date (2026-11-30, 2026-11-30T08:00)") \
            from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


@click.group("audit")
def audit() -> None:
    """The audit log: what people and machines did that changed anything (never edited)."""


@audit.command("list")
@click.option("--since", default=None, metavar="WHEN", help="Only entries since then: 7d, 12h, or a date.")
@click.option("--unit", "unit_code", default=None, metavar="CODE",
              help="Only this unit's subtree (entries of no unit are shown only without --unit).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def audit_list(since: str | None, unit_code: str | None, limit: int, as_json: bool, db_url: str | None) -> None:
    """List entries, newest first; times in Vietnam time (UTC+7), UTC in --json."""
    start = parse_since(since, clock.utcnow()) if since else None
    with db_session(db_url) as session:
        scope = Scope(get_unit(session, unit_code).path) if unit_code else EVERYTHING
        rows = list_audit(session, scope, since=start, limit=limit)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row.at.astimezone(VIETNAM):%d/%m/%Y %H:%M:%S}  {row.actor:<20} {row.action:<20} "
                   f"{row.subject:<20} {row.unit_code or '-':<12} {row.detail}")
    click.echo(f"{len(rows)} mục / entries", err=True)
