"""``canhgac units``: the unit tree (needs the server extra)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.models.units import UnitKind
from collector.store import units as unit_store
from collector.store.audit import AuditAction, record_audit
from collector.store.merge import merge_units
from collector.store.reorganisation import move_unit, rename_unit, retire_unit, set_unit
from collector.store.scope import EVERYTHING
from collector.store.unit_import import import_units, parse_units_csv

ACTOR = "cli"
"""Who the audit log says made a change from the command line (the collector's operator)."""
VIETNAM = timezone(timedelta(hours=7))
KINDS = [k.value for k in UnitKind]


def vietnam_today() -> date:
    return clock.utcnow().astimezone(VIETNAM).date()


def on_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
                        help=f"{help_text} (default: today, Vietnam time).")


@click.group("units")
def units() -> None:
    """Units (đơn vị): province > commune > office; district in older data."""


@units.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Vietnamese name, e.g. 'UBND phường Tân Hòa'.")
@click.option("--parent", "parent_code", default=None, metavar="CODE", help="Parent unit's code.")
@click.option("--kind", type=click.Choice(KINDS), default=UnitKind.OFFICE.value, show_default=True)
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
@click.option("--all", "include_ended", is_flag=True, help="Also merged-away and retired units.")
@db_option
@cli_errors
def units_list(as_json: bool, include_ended: bool, db_url: str | None) -> None:
    """List units as a tree."""
    with db_session(db_url) as session:
        rows = unit_store.list_units(session, EVERYTHING, include_ended=True)
        by_id = {unit.id: unit.code for unit in rows}
        data: list[dict[str, Any]] = [
            {"code": u.code, "name": u.name, "kind": u.kind, "parent": by_id.get(u.parent_id or 0),
             "staff": u.staff_count, "depth": u.path.count("/") - 2, "admin_code": u.admin_code,
             "ended_on": u.ended_on, "merged_into": by_id.get(u.merged_into_id or 0)}
            for u in rows if include_ended or u.live]
    if as_json:
        echo_json(data)
        return
    for row in data:
        ended = f"  [{_ended_text(row)}]" if row["ended_on"] else ""
        click.echo(f"{'  ' * row['depth']}{row['code']:<16} {row['kind']:<12} {row['staff']:>4}  {row['name']}{ended}")


def _ended_text(row: dict[str, Any]) -> str:
    day = f"{row['ended_on']:%d/%m/%Y}"
    if row["merged_into"]:
        return f"sáp nhập vào / merged into {row['merged_into']} {day}"
    return f"thôi hoạt động / retired {day}"


@units.command("rename")
@click.argument("code")
@click.option("--name", required=True, help="The new name, e.g. 'UBND xã Tân Hòa'.")
@db_option
@cli_errors
def units_rename(code: str, name: str, db_url: str | None) -> None:
    """Rename the unit CODE (its code stays, so history still finds it)."""
    with db_session(db_url) as session:
        unit = rename_unit(session, code, name, clock.utcnow(), ACTOR)
    click.echo(f"Đã đổi tên / renamed: {unit.code} ({unit.name})")


@units.command("move")
@click.argument("code")
@click.option("--parent", "parent_code", required=True, metavar="CODE", help="The new parent unit.")
@db_option
@cli_errors
def units_move(code: str, parent_code: str, db_url: str | None) -> None:
    """Put the unit CODE, with its sub-units and machines, under another parent."""
    with db_session(db_url) as session:
        unit = move_unit(session, code, parent_code, clock.utcnow(), ACTOR)
    click.echo(f"Đã chuyển / moved: {unit.code} -> {parent_code}")


@units.command("merge")
@click.argument("sources", nargs=-1, required=True, metavar="SRC...")
@click.option("--into", "into", required=True, metavar="DST", help="The surviving unit.")
@on_option("The day of the merge")
@click.option("--json", "as_json", is_flag=True, help="What moved, as JSON.")
@db_option
@cli_errors
def units_merge(sources: tuple[str, ...], into: str, on: datetime | None, as_json: bool, db_url: str | None) -> None:
    """Merge the units SRC... into DST (sáp nhập): machines, agents, alerts, licences, people,
    subnets, links, LAN devices and the readiness trend go to DST; each SRC stays as a
    merged-away record with the date."""
    day = on.date() if on else vietnam_today()
    with db_session(db_url) as session:
        result = merge_units(session, sources, into, day, clock.utcnow(), ACTOR)
    if as_json:
        echo_json(result)
        return
    moved = ", ".join(f"{table} {count}" for table, count in sorted(result.moved.items()) if count) or "nothing"
    click.echo(f"Đã sáp nhập / merged {', '.join(u.code for u in result.merged)} into {result.survivor.code} "
               f"({day:%d/%m/%Y}); moved: {moved}; staff now {result.survivor.staff_count}")
    for table, count in sorted(result.left.items()):
        click.echo(f"  kept with the merged-away unit (the survivor has its own): {table} {count}")


@units.command("set")
@click.argument("code")
@click.option("--staff", type=click.IntRange(min=0), default=None, help="Number of officials.")
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option("--admin-code", default=None, metavar="CODE",
              help="Official administrative unit code (mã đơn vị hành chính); '' clears it.")
@db_option
@cli_errors
def units_set(code: str, staff: int | None, kind: str | None, admin_code: str | None, db_url: str | None) -> None:
    """Change the staff count, kind or official code of the unit CODE."""
    if staff is None and kind is None and admin_code is None:
        raise click.UsageError("give --staff, --kind or --admin-code")
    with db_session(db_url) as session:
        unit = set_unit(session, code, clock.utcnow(), ACTOR, staff=staff, kind=kind, admin_code=admin_code)
    click.echo(f"Đã cập nhật / updated: {unit.code} ({unit.kind}, {unit.staff_count} officials, "
               f"code {unit.admin_code or '-'})")


@units.command("retire")
@click.argument("code")
@on_option("The day it ends")
@db_option
@cli_errors
def units_retire(code: str, on: datetime | None, db_url: str | None) -> None:
    """End the unit CODE once it holds no machine and no live sub-unit (e.g. a district after
    1 July 2025); it stays as a record, and its enrollment tokens are revoked."""
    day = on.date() if on else vietnam_today()
    with db_session(db_url) as session:
        retired = retire_unit(session, code, day, clock.utcnow(), ACTOR)
    click.echo(f"Đã cho thôi hoạt động / retired: {retired.unit.code} ({day:%d/%m/%Y}); "
               f"{retired.tokens_revoked} token(s) revoked")


@units.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE.csv")
@db_option
@cli_errors
def units_import(csv_file: Path, db_url: str | None) -> None:
    """Add or update units from a CSV of code, name, kind, parent code[, official code]
    (kinds: province, commune, ward, special_zone, office, district, or tỉnh, thành phố, xã,
    phường, đặc khu, huyện). One transaction: a bad line refuses the whole list."""
    lines = parse_units_csv(csv_file.read_text(encoding="utf-8-sig"))
    with db_session(db_url) as session:
        result = import_units(session, lines, clock.utcnow(), ACTOR)
    click.echo(f"Đã nhập / imported: {len(result.added)} added, {len(result.changed)} changed, "
               f"{result.unchanged} unchanged")
    for line in result.changed:
        click.echo(f"  changed {line}")


def _setting(assignment: str) -> tuple[str, object]:
    from agent.wire.settings import SettingsError, parse_setting

    try:
        return parse_setting(assignment)
    except SettingsError as exc:
        raise click.BadParameter(str(exc)) from None


@units.command("config")
@click.argument("code")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Set an agent setting for the unit's subtree (repeat), e.g. "
                   "dedicated_line_targets=10.0.0.10:443,10.0.0.11:443 or probe_gateway=false.")
@click.option("--unset", "unset", multiple=True, metavar="KEY", help="Remove the unit's own value (repeat).")
@click.option("--show", is_flag=True, help="Show the unit's own and effective settings (also after a change).")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def units_config(code: str, assignments: tuple[str, ...], unset: tuple[str, ...], show: bool, as_json: bool,
                 db_url: str | None) -> None:
    """Agent settings of the unit CODE, inherited by its sub-units' agents (a sub-unit's own value
    wins; an agent's own TOML file wins over both): internet_targets, dedicated_line_targets,
    probe_gateway, backup_folders, restic_repos, borg_repos, certificate_files,
    certificate_password_file, interval_minutes. Agents get them, signed, with their next
    acknowledgement."""
    from collector.store.settings import effective_settings, own_settings, set_unit_settings

    values = dict(_setting(a) for a in assignments)
    with db_session(db_url) as session:
        if values or unset:
            set_unit_settings(session, code, values, list(unset), clock.utcnow(), ACTOR)
        unit = unit_store.get_unit(session, code)
        own, effective = own_settings(session, unit.id), effective_settings(session, unit.path)
    if as_json:
        echo_json({"unit": code, "own": own, "effective": effective.values, "origin": effective.origin,
                   "version": effective.version})
        return
    if values or unset:
        click.echo(f"Đã lưu / saved: settings of {code}, version {effective.version}")
    if show or not (values or unset):
        import json

        click.echo(f"Phiên bản / version {effective.version}")
        for key, value in sorted(effective.values.items()):
            origin = effective.origin[key]
            where = "" if origin == code else f"  (từ / from {origin})"
            click.echo(f"  {key} = {json.dumps(value, ensure_ascii=False)}{where}")
