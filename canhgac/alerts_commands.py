"""``canhgac alerts``: the alerts, listed and acknowledged (needs the server extra)."""

from __future__ import annotations

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.store import alerts as alert_store
from collector.store.scope import EVERYTHING
from rules.lifecycle import AlertStatus


@click.group("alerts")
def alerts() -> None:
    """Alerts (cảnh báo): list and acknowledge."""


@alerts.command("list")
@click.option("--status", type=click.Choice([status.value for status in AlertStatus]), default=None)
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Only this unit's subtree.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def alerts_list(status: str | None, unit_code: str | None, as_json: bool, db_url: str | None) -> None:
    """List alerts, newest change first."""
    with db_session(db_url) as session:
        rows, total = alert_store.list_alerts(session, EVERYTHING, AlertStatus(status) if status else None, unit_code,
                                              limit=1_000_000)
    if as_json:
        echo_json(msgspec.to_builtins(rows))
        return
    for row in rows:
        click.echo(f"{row.id:>6}  {row.status:<12} {row.severity:<9} {row.unit_code:<12} {row.subject:<16} "
                   f"x{row.count:<4} {row.title}")
    click.echo(f"{total} cảnh báo / alerts", err=True)


@alerts.command("ack")
@click.argument("alert_id", type=int)
@click.option("--comment", required=True, help="What is being done about it.")
@click.option("--by", "who", default=None, help="Who acknowledges. [default: cli:<operating-system user>]")
@db_option
@cli_errors
def alerts_ack(alert_id: int, comment: str, who: str | None, db_url: str | None) -> None:
    """Acknowledge alert ALERT_ID (written to the audit log)."""
    with db_session(db_url) as session:
        row = alert_store.ack_alert(session, EVERYTHING, alert_id, who or cli_actor(), comment, clock.utcnow())
    click.echo(f"Đã tiếp nhận / acknowledged: #{row.id} {row.title}")
