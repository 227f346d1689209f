"""``canhgac import FILE...``: files carried from offline PCs (needs the server extra).

One line per file: what happened, in Vietnamese and English. Exit 0 when every file was
imported, 1 when any was refused (tampered, foreign, replayed, damaged), 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path

import click

from agent.wire import clock
from canhgac.cli_support import cli_errors
from canhgac.collector_options import collector_options
from collector.config import CollectorConfig
from collector.db import open_database
from collector.intake.importer import import_files
from collector.judging.rules import load_rules


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@collector_options("db_url", "data_dir", "rules_dir", "max_body_bytes")
@cli_errors
def import_(files: tuple[Path, ...], config: CollectorConfig) -> None:
    """Import enrollment requests and signed report files from removable media.

    Each report is verified and stored once per agent and sequence, as over HTTP; a tampered,
    foreign (unknown agent or token) or replayed (already imported) file is refused, changing
    nothing. Enrollment files are registered before the reports that need them. Each report is
    judged as it is stored, with the built-in rule packs plus those of --rules-dir (as serve).
    """
    db = open_database(config.db_url)
    try:
        results = import_files(db, list(files), clock.utcnow(), load_rules(config.rules_dir), config.max_body_bytes)
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
