"""Opening the database: SQLite (WAL, a file in the data directory) or PostgreSQL via psycopg.

``open_database`` brings the schema to the newest Alembic revision before returning. A Database
also holds the vault that seals agent keys at rest (collector.agent_keys), under a key kept beside
the SQLite file or in the data directory; every session it opens carries it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from collector.agent_keys import SESSION_INFO_KEY, AgentKeyVault, agent_keys_path


def create_db_engine(url: str) -> Engine:
    """An Engine for ``url``; for a SQLite file, its folder is created and WAL switched on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """An engine and its session factory; ``session()`` commits on success, rolls back on error.
    ``agent_keys`` (default: its key beside the SQLite file, or in the platform's data directory)
    travels in every session's ``info`` (collector.agent_keys.vault_of)."""

    def __init__(self, engine: Engine, agent_keys: AgentKeyVault | None = None) -> None:
        self.engine = engine
        self.agent_keys = agent_keys or AgentKeyVault(
            agent_keys_path(engine.url.render_as_string(hide_password=False), None))
        self._sessions = sessionmaker(engine, expire_on_commit=False, info={SESSION_INFO_KEY: self.agent_keys})

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, migrate: bool = True, data_dir: Path | None = None) -> Database:
    """The database at ``url``; ``data_dir`` is where its agent-keys secret lives when it is not a
    SQLite file (None: the platform's data directory)."""
    from collector.migrate import upgrade_to_head

    engine = create_db_engine(url)
    if migrate:
        upgrade_to_head(engine)
    return Database(engine, AgentKeyVault(agent_keys_path(url, data_dir)))
