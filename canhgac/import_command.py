"""``canhgac import FILE...``: files carried from offline PCs (needs the server extra).

One line per file: what happened, in Vietnamese and English. Exit 0 when every file was
imported, 1 when any was refused (tampered, foreign, replayed, damaged), 2 for usage errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from canhgac.options import db_option
from canhgac.server_commands import cli_errors
from collector.config import default_db_url
from collector.db import open_database
from collector.intake.importer import import_files


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@db_option
@cli_errors
def import_(files: tuple[Path, ...], db_url: str | None) -> None:
    """Import enrollment requests and signed report files from removable media.

    Each report is verified and stored once per agent and sequence, as over HTTP; a tampered,
    foreign (unknown agent or token) or replayed (already imported) file is refused, changing
    nothing. Enrollment files are registered before the reports that need them.
    """
    db = open_database(db_url or default_db_url())
    try:
        results = import_files(db, list(files), datetime.now(UTC))
    finally:
        db.dispose()
    for result in results:
        mark = "OK" if result.imported else f"TỪ CHỐI / REFUSED ({result.verdict})"
        line = f"{result.path}: {mark}: {result.vietnamese} / {result.english}"
        click.echo(line, err=not result.imported)
    refused = sum(not result.imported for result in results)
    if refused:
        click.echo(f"{refused} of {len(results)} file(s) refused / {refused}/{len(results)} tệp bị từ chối", err=True)
        click.get_current_context().exit(1)
    click.echo(f"{len(results)} file(s) imported / đã nhập {len(results)} tệp")
