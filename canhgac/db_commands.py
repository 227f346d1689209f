"""``canhgac db``: the collector's own database: create it, back it up while ``serve`` runs,
restore a backup into an empty database, check it (needs the server extra)."""

from __future__ import annotations

from pathlib import Path

import click

from canhgac.cli_support import cli_errors
from canhgac.collector_options import db_option


@click.group("db")
def db() -> None:
    """The collector's database (cơ sở dữ liệu): init, backup, restore, check."""


@db.command("init")
@db_option
@cli_errors
def db_init(db_url: str) -> None:
    """Create the database (or bring it to this release's schema)."""
    from collector.db import open_database
    from collector.migrate import current_revisions

    opened = open_database(db_url)
    try:
        revisions = ", ".join(sorted(current_revisions(opened.engine)))
    finally:
        opened.dispose()
    click.echo(f"Cơ sở dữ liệu sẵn sàng / database ready at revision {revisions}")


@db.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (must not exist).")
@db_option
@cli_errors
def db_backup(out: Path, db_url: str) -> None:
    """Copy the SQLite database to --out while serve runs (SQLite's online backup API; one
    consistent moment). For PostgreSQL use pg_dump (see the README)."""
    from collector.backup import backup_sqlite

    result = backup_sqlite(db_url, out)
    click.echo(f"Đã sao lưu / backed up: {result.path} ({result.bytes / 2**20:.1f} MiB, revision "
               f"{', '.join(sorted(result.revisions))}) in {result.seconds:.1f} s")


@db.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@db_option
@cli_errors
def db_restore(backup_file: Path, db_url: str) -> None:
    """Restore FILE (from `canhgac db backup`) into the empty database --db (SQLite or
    PostgreSQL), then bring it to this release's schema."""
    from collector.backup import restore

    result = restore(backup_file, db_url)
    rows = f", {result.rows} rows" if result.rows >= 0 else ""
    click.echo(f"Đã khôi phục / restored {result.tables} tables{rows}: revision "
               f"{', '.join(sorted(result.revisions_before))} -> {', '.join(sorted(result.revisions_after))}")


@db.command("check")
@db_option
@cli_errors
def db_check(db_url: str) -> None:
    """Check the database: integrity, and the schema at this release's revisions. Exit 1 when not.
    Warns (exit 0) about server settings that slow canhgac down as it grows (PostgreSQL: autovacuum off)."""
    from sqlalchemy.exc import DatabaseError

    from collector.db import create_db_engine, require_existing_database
    from collector.migrate import current_revisions, head_revisions
    from collector.store.database import integrity_problems, planner_warnings

    require_existing_database(db_url)
    engine = create_db_engine(db_url)
    heads, current, warnings = head_revisions(), set(), []
    try:
        problems = integrity_problems(engine)
        current = current_revisions(engine)
        warnings = planner_warnings(engine)
    except DatabaseError as exc:  # SQLite: "database disk image is malformed" before any check runs
        problems = [f"the database cannot be read: {exc.orig}"]
        current = heads  # nothing more to say about its schema
    finally:
        engine.dispose()
    if current != heads:
        problems.append(f"schema at {', '.join(sorted(current)) or 'nothing'}, this release needs "
                        f"{', '.join(sorted(heads))}: run `canhgac db init` (or serve) to migrate")
    for warning in warnings:  # slow, not wrong: the exit status stays 0
        click.echo(f"CẢNH BÁO / WARNING: {warning}", err=True)
    for problem in problems:
        click.echo(f"LỖI / PROBLEM: {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"Tốt / OK: integrity checked, schema at {', '.join(sorted(heads))}")
