"""``canhgac import FILE...``: files carried from offline PCs (needs the server extra).

One line per file: what happened, in Vietnamese and English. Exit 0 when every file was
imported, 1 when any was refused (tampered, foreign, replayed, damaged), 2 for usage errors.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from agent.wire import clock
from canhgac.cli_support import cli_actor, cli_errors, open_collector_database
from canhgac.collector_options import collector_options
from collector.config import CollectorConfig
from collector.intake.importer import ImportResult, files_in, import_files
from collector.judging.rules import load_rules
from collector.store.audit import AuditAction, record_audit
from collector.store.enrollment import agent_units


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@collector_options("db_url", "data_dir", "rules_dir", "max_body_bytes")
@cli_errors
def import_(files: tuple[Path, ...], config: CollectorConfig) -> None:
    """Import enrollment requests and signed report files from removable media: FILES are files or
    folders (every file inside them, e.g. the stick's E:\\ that agent export wrote to).

    Each file is judged on its own: a damaged one, or one that is no regular file (a FIFO, a device,
    a socket: refused without opening it), is listed as refused and the others go on.

    Each report is verified and stored once per agent and sequence, as over HTTP; a tampered,
    foreign (unknown agent or token) or replayed (already imported) file is refused, changing
    nothing. Enrollment files are registered before the reports that need them. Each report is
    judged as it is stored, with the built-in rule packs plus those of --rules-dir (as serve).
    """
    db = open_collector_database(config)
    now = clock.utcnow()
    try:
        results = import_files(db, files_in(files), now, load_rules(config.rules_dir), config.max_body_bytes)
        with db.session() as session:
            record_imports(session, results, cli_actor(), now)
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


def record_imports(session: Session, results: list[ImportResult], actor: str, now: datetime) -> None:
    """One audit entry per file, under its machine's unit when the file names a known agent."""
    units = agent_units(session, {r.agent_id for r in results if r.agent_id})
    for result in results:
        action = AuditAction.FILE_IMPORTED if result.imported else AuditAction.FILE_REFUSED
        record_audit(session, actor, action, now, f"file:{result.path.name}"[:160], units.get(result.agent_id),
                     f"{result.code}: {result.english}")
