"""Databases already at the newest revision, for the fixtures that open theirs at once (``world``
and its like ask for ``db_at_head``; see tests/conftest.py).

Running every migration again for each such test was most of its setup: about 0.1 s of Python
on SQLite, and on PostgreSQL 0.1 s here plus 0.2-0.3 s of the server's CPU for the DDL, for some
1,300 tests on two cores. Each test process (pytest-xdist worker) instead migrates one database
the first time it needs one, with the same ``open_database`` as everywhere, and each test gets a
copy of it: SQLite's backup of the file, PostgreSQL's ``CREATE DATABASE ... TEMPLATE`` (a file
copy on the server). The migrations themselves are still run on empty databases of both
backends, by tests/collector/test_migrations.py, the system tests' `canhgac serve` and every test
that opens ``db_url`` itself.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

DROP_WAIT_S = 120
"""How long the end of a test process waits for its copies' DROP DATABASE (bounded)."""


def sqlite_template(folder: Path) -> Path:
    """A SQLite database in ``folder`` migrated to the newest revision."""
    from collector.db import open_database

    path = folder / "at-head.db"
    open_database(f"sqlite:///{path}", data_dir=folder).dispose()
    return path


def copy_sqlite(template: Path, target: Path) -> None:
    """``target`` (an empty file or none) becomes a page-for-page copy of ``template``."""
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


class PgCopies:
    """Databases on the server of ``base_url`` copied from one this process migrated.

    Each copy is a database of its own (``cgt_`` and 12 hex digits; the template ``cgt_head_``),
    dropped WITH (FORCE) after its test by a thread of this process: a DROP DATABASE waits until
    every backend of the server has released the dropped files, which a busy server (another
    engineer's benchmark, a parallel suite) can make last seconds, and the next test need not wait.
    """

    def __init__(self, base_url: str, folder: Path) -> None:
        from sqlalchemy import create_engine

        from collector.db import open_database

        self.base_url = base_url
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT", pool_size=2)
        self.template = f"cgt_head_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{self.template}" TEMPLATE template0')
        try:
            open_database(self.url(self.template), data_dir=folder).dispose()
            # nothing may connect to a template while it is copied: not even autovacuum
            self._run(f'ALTER DATABASE "{self.template}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
        except BaseException:
            self._run(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            raise
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop_loop, name="pg-copies-drop", daemon=True)
        self._dropper.start()

    @classmethod
    def start(cls, base_url: str, folder: Path) -> PgCopies | None:
        """The copies, or None when this server or role cannot make them (PostgreSQL before 13 has
        no DROP DATABASE ... WITH (FORCE); a role without CREATEDB): the tests then migrate."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import DBAPIError

        probe = create_engine(base_url)
        try:
            with probe.connect() as connection:
                version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
                may_create = bool(connection.execute(text(
                    "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
        finally:
            probe.dispose()
        if version < 130000 or not may_create:
            return None
        try:
            return cls(base_url, folder)
        except DBAPIError as exc:
            log.warning("no PostgreSQL copies (each test migrates its own database): %s", exc)
            return None

    def url(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.base_url).set(database=database).render_as_string(hide_password=False)

    def new(self) -> tuple[str, str]:
        """(database name, URL) of a new copy of the template."""
        name = f"cgt_{uuid.uuid4().hex[:12]}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name, self.url(name)

    def drop(self, name: str) -> None:
        self._drops.put(name)

    def close(self) -> None:
        """Every copy dropped (waiting at most DROP_WAIT_S), then the template."""
        self._drops.put(None)
        self._dropper.join(DROP_WAIT_S)
        if self._dropper.is_alive():
            log.warning("PostgreSQL copies still being dropped after %d s: left to the server", DROP_WAIT_S)
        else:
            self._run(f'ALTER DATABASE "{self.template}" WITH IS_TEMPLATE false')
            self._run(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()

    def _drop_loop(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - a copy left behind fails no test
                log.warning("could not drop the test database %s: %s", name, exc)

    def _run(self, sql: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as connection:
            connection.execute(text(sql))
