"""Backing up and restoring the collector's database (``canhgac db backup|restore|check``).

A SQLite database is copied with SQLite's online backup API in one step: one read transaction,
so the copy is one consistent moment of the database, and in WAL mode a reader never blocks the
writers, so ``serve`` goes on storing reports during the copy. The copy is checked
(``integrity_check``), made one self-contained file (no WAL) and only then given its name, so a
half-written backup never looks like a backup. PostgreSQL is backed up with ``pg_dump`` (README).

A restore goes into an empty database only: a SQLite target gets the pages as they are, then the
schema is brought to this code's revisions (a backup of an older release is migrated); a
PostgreSQL target gets the backup's rows table by table, parents before children, at the newest
schema (a way to move from SQLite to PostgreSQL too).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from collector.db import create_db_engine, open_database
from collector.errors import Conflict, InvalidInput, NotFound
from collector.migrate import current_revisions, known_revisions, upgrade_to_head
from collector.store.database import copy_rows, table_names


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    revisions: frozenset[str]
    seconds: float


def sqlite_path(db_url: str, purpose: str) -> Path:
    """The file of a SQLite URL; InvalidInput for PostgreSQL (``purpose`` says what to use there)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput(f"{purpose}", code="not_sqlite")
    return Path(url.database)


def backup_sqlite(db_url: str, out: Path) -> BackupResult:
    """Copy the SQLite database of ``db_url`` to ``out`` (which must not exist), while it is in use."""
    source = sqlite_path(db_url, "PostgreSQL is backed up with pg_dump (see the README): "
                                 "pg_dump --format=custom --file=canhgac.dump DBNAME")
    if not source.is_file():
        raise NotFound(f"no database file {source}", code="database_not_found")
    if out.exists():
        raise Conflict(f"{out} exists: choose a new file name / tệp đã tồn tại", code="file_exists")
    started = time.monotonic()
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy_pages(source, partial)
        problems = _file_problems(partial)
        if problems:
            raise InvalidInput(f"the copy failed its integrity check: {'; '.join(problems[:5])}",
                               code="backup_damaged")
        os.chmod(partial, 0o600)  # it holds every agent's key
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(out, out.stat().st_size, frozenset(file_revisions(out)), time.monotonic() - started)


def _copy_pages(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step, from one read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _file_problems(path: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        return [] if found == ["ok"] else found
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        connection.close()


def file_revisions(path: Path) -> set[str]:
    """The Alembic revisions a backup file is at; InvalidInput when it is no canhgac database."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not a canhgac backup ({exc})", code="not_a_backup") from None
    finally:
        connection.close()


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    revisions_before: frozenset[str]
    revisions_after: frozenset[str]


def check_backup(path: Path) -> set[str]:
    """The backup's revisions, after checking it is sound and not newer than this code."""
    if not path.is_file():
        raise NotFound(f"no backup file {path}", code="backup_not_found")
    problems = _file_problems(path)
    if problems:
        raise InvalidInput(f"{path} fails its integrity check: {'; '.join(problems[:5])}", code="backup_damaged")
    revisions = file_revisions(path)
    unknown = revisions - known_revisions()
    if unknown:
        raise InvalidInput(f"{path} comes from a newer canhgac (revisions {', '.join(sorted(unknown))}): "
                           "upgrade canhgac first", code="backup_too_new")
    return revisions


def restore(path: Path, target_url: str) -> RestoreResult:
    """Restore the backup ``path`` into the empty database ``target_url`` and migrate it to head."""
    before = check_backup(path)
    engine = create_db_engine(target_url)
    try:
        if table_names(engine):
            raise Conflict("the target database is not empty: restore into a new one / CSDL đích chưa trống",
                           code="database_not_empty")
        if engine.dialect.name == "sqlite":
            engine.dispose()
            _copy_pages(path, sqlite_path(target_url, "a SQLite target"))
            engine = create_db_engine(target_url)
            upgrade_to_head(engine)
            rows = -1
        else:
            rows = _copy_rows(path, engine)
        return RestoreResult(len(table_names(engine)), rows, frozenset(before), frozenset(current_revisions(engine)))
    finally:
        engine.dispose()


def _copy_rows(path: Path, target: Engine) -> int:
    """Every row of the backup (brought to head in a temporary copy) into ``target`` at head."""
    upgrade_to_head(target)
    with tempfile.TemporaryDirectory() as folder:
        working = Path(folder) / "restore.db"
        shutil.copyfile(path, working)
        source = open_database(f"sqlite:///{working}")
        try:
            return copy_rows(source.engine, target)
        finally:
            source.dispose()
