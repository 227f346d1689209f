"""``canhgac officials``: the officials register (danh sách cán bộ, công chức) of a unit: import
the list as the office keeps it (XLSX or CSV), add, list, edit, retire, assign a machine."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.store.scope import EVERYTHING

ACTOR = "cli"


@click.group("officials")
def officials() -> None:
    """The officials register (danh sách CB,CC): who should have a computer."""


@officials.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit whose list this is.")
@click.option("--retire-missing", is_flag=True, help="Retire the officials of the unit that the file no longer lists.")
@db_option
@cli_errors
def officials_import(file: Path, unit_code: str, retire_missing: bool, db_url: str | None) -> None:
    """Import the unit's list from FILE (XLSX or CSV with a 'Họ và tên' column, optionally
    'Chức vụ' and 'Tài khoản'). Importing the same file again changes nothing."""
    from collector.officials_file import parse_officials
    from collector.store.officials import import_officials

    rows = parse_officials(file.read_bytes(), file.name)
    with db_session(db_url) as session:
        summary = import_officials(session, unit_code, rows, clock.utcnow(), ACTOR, EVERYTHING, retire_missing)
    click.echo(f"{summary.unit_code}: {summary.added} thêm / added, {summary.updated} sửa / updated, "
               f"{summary.unchanged} giữ nguyên / unchanged, {summary.retired} nghỉ / retired")
    if summary.missing and not retire_missing:
        click.echo(f"Không có trong tệp (vẫn giữ; --retire-missing để cho nghỉ) / not in the file (kept): "
                   f"{', '.join(summary.missing)}", err=True)


@officials.command("add")
@click.option("--unit", "unit_code", required=True, metavar="CODE")
@click.option("--name", required=True, help="Họ và tên.")
@click.option("--position", default="", help="Chức vụ.")
@click.option("--account", default="", help="The official's account on the office PCs (tài khoản).")
@db_option
@cli_errors
def officials_add(unit_code: str, name: str, position: str, account: str, db_url: str | None) -> None:
    """Add one official to the unit's register."""
    from collector.store.officials import add_official

    with db_session(db_url) as session:
        row = add_official(session, unit_code, name, position, account, clock.utcnow(), ACTOR)
    click.echo(f"Đã thêm / added: #{row.id} {row.name} ({row.unit_code})")


@officials.command("list")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Only this unit's subtree.")
@click.option("--all", "include_retired", is_flag=True, help="Retired officials too.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def officials_list(unit_code: str | None, include_retired: bool, as_json: bool, db_url: str | None) -> None:
    """List the register with each official's assigned machine."""
    from collector.store.officials import list_officials

    with db_session(db_url) as session:
        rows = list_officials(session, EVERYTHING, unit_code, include_retired)
    if as_json:
        echo_json([msgspec.structs.asdict(row) for row in rows])
        return
    for row in rows:
        retired = f"  nghỉ / retired {row.retired_at:%d/%m/%Y}" if row.retired_at else ""
        click.echo(f"{row.id:>5}  {row.name:<28} {row.position:<24} {row.account or '—':<14} "
                   f"{row.hostname or '—':<16} {row.unit_code}{retired}")
    click.echo(f"{len(rows)} cán bộ / officials", err=True)


@officials.command("edit")
@click.argument("official_id", type=int)
@click.option("--name", default=None)
@click.option("--position", default=None)
@click.option("--account", default=None)
@db_option
@cli_errors
def officials_edit(official_id: int, name: str | None, position: str | None, account: str | None,
                   db_url: str | None) -> None:
    """Change an official's name, position or account."""
    from collector.store.officials import edit_official

    with db_session(db_url) as session:
        row = edit_official(session, EVERYTHING, official_id, clock.utcnow(), ACTOR, name, position, account)
    click.echo(f"Đã sửa / updated: #{row.id} {row.name}, {row.position}, {row.account or '—'}")


@officials.command("retire")
@click.argument("official_id", type=int)
@db_option
@cli_errors
def officials_retire(official_id: int, db_url: str | None) -> None:
    """Retire an official (kept for history, no longer counted)."""
    from collector.store.officials import retire_official

    with db_session(db_url) as session:
        row = retire_official(session, EVERYTHING, official_id, clock.utcnow(), ACTOR)
    click.echo(f"Đã cho nghỉ / retired: #{row.id} {row.name}")


@officials.command("assign")
@click.argument("official_id", type=int)
@click.option("--machine", "machine_id", type=int, default=None, help="The machine's id (canhgac machines list).")
@click.option("--none", "take_back", is_flag=True, help="Take the machine back.")
@db_option
@cli_errors
def officials_assign(official_id: int, machine_id: int | None, take_back: bool, db_url: str | None) -> None:
    """Assign a machine to an official (its own computer), or take it back."""
    from collector.store.officials import assign_machine

    if (machine_id is None) == (not take_back):
        raise click.UsageError("give --machine ID or --none")
    with db_session(db_url) as session:
        row = assign_machine(session, EVERYTHING, official_id, None if take_back else machine_id, clock.utcnow(),
                             ACTOR)
    click.echo(f"#{row.id} {row.name}: {row.hostname or 'không có máy / no machine'}")
