"""``canhgac units``: the unit tree (needs the server extra)."""

from __future__ import annotations

import click

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.models.units import UnitKind
from collector.store import units as unit_store
from collector.store.audit import AuditAction, record_audit
from collector.store.scope import EVERYTHING


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
        now = clock.utcnow()
        unit = unit_store.add_unit(session, code, name, kind, now, parent_code, staff)
        record_audit(session, cli_actor(), AuditAction.UNIT_ADDED, now, f"unit:{unit.code}", unit.id,
                     f"{unit.name} ({unit.kind}, parent {parent_code or '-'}, {staff} staff)")
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
