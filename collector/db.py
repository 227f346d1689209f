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

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from collector.agent_keys import SESSION_INFO_KEY, AgentKeyVault, agent_keys_path
from collector.errors import CanhgacError, InvalidInput, NotFound


class DatabaseMissing(NotFound):
    """A SQLite ``--db`` whose file does not exist, given to a command that must not create it."""

    code = "database_missing"


class DatabaseUnavailable(CanhgacError):
    """The database server does not answer (PostgreSQL not running, a wrong host or port)."""

    status = 503
    code = "database_unavailable"
    transient = True


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def database_exists(url: str) -> bool:
    """False only for a SQLite URL whose file does not exist (a server database is assumed there)."""
    path = sqlite_file(url)
    return path is None or path.exists()


def require_existing_database(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist (only ``db init``, ``serve`` and ``demo``
    create one): a typo in ``--db`` must not leave an empty database behind and answer "0 machines"."""
    if not database_exists(url):
        path = sqlite_file(url)
        raise DatabaseMissing(f"no database at {path}: create it with `canhgac db init --db {url}` or start "
                              f"`canhgac serve` / chưa có cơ sở dữ liệu tại {path}: tạo bằng `canhgac db init`")


def create_db_engine(url: str) -> Engine:
    """An Engine for ``url``; for a SQLite file, its folder is created and WAL switched on."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise InvalidInput(f"{url!r} is not a database URL: expected sqlite:///FILE or postgresql+psycopg://... "
                           f"/ địa chỉ cơ sở dữ liệu không hợp lệ", code="bad_database_url") from exc
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


def plan_for_the_values(session: Session) -> None:
    """For the rest of ``session``'s transaction on PostgreSQL, every statement planned for the
    values it is given and the table as it is now: for a pass that writes a table by the tens of
    thousands and reads it back in the same run (the scan: alerts, marks, readiness rows).

    psycopg prepares a statement run five times, and PostgreSQL then keeps a generic plan when five
    plans for the values cost no less; it plans again only once the table is analysed (autovacuum:
    a minute later at best, never where it is off). The scan's first reads of alerts find a table
    analysed while empty: the plan kept was a sequential scan comparing every row with the 500
    subjects' parameters in turn, 0.44 s a query once the scan had written 57,000 alerts (14 of the
    28 s that the first scan of 50,000 machines took) instead of 0.01 s.

    Not for the whole engine: ingest with every statement planned anew ran 10-20 % slower, and 56
    against 89 reports/s for the first reports of 5,000 machines (its executemany of a report's 150
    programs is then planned row by row); where autovacuum runs, ingest's prepared plans follow its
    tables (collector.store.database.planner_warnings warns where it does not).

    Nor for the inserts of many rows at once (an executemany): a plan of INSERT ... VALUES reads no
    table (ON CONFLICT goes by its unique index whatever the plan), so planning each row anew only
    costs. They run on the server's usual mode, set on a cursor of their own before and after
    (the statement's cursor keeps its row count). At 30,000 machines this took the scan's first run
    from 19.4 to 13.1 s: readiness rows 2.74 -> 1.11 s, alerts 2.71 -> 1.06 s, their events 1.48
    -> 0.59 s. Nothing to do on SQLite, which plans each statement as it prepares it, from the
    table as it is."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    connection = session.connection()
    transaction = connection.get_transaction()
    if session.info.get(_PLANNED_FOR_VALUES) is transaction:
        return
    session.info[_PLANNED_FOR_VALUES] = transaction

    def usual_mode_for_inserts(conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any,
                               executemany: bool) -> None:
        if _is_many_insert(conn, transaction, statement, executemany):
            _set_plan_cache_mode(conn, "TO DEFAULT")

    def values_again(conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any,
                     executemany: bool) -> None:
        if _is_many_insert(conn, transaction, statement, executemany):
            _set_plan_cache_mode(conn, "= force_custom_plan")

    event.listen(connection, "before_cursor_execute", usual_mode_for_inserts)
    event.listen(connection, "after_cursor_execute", values_again)


_PLANNED_FOR_VALUES = "canhgac.planned_for_values"
"""session.info: the transaction plan_for_the_values set up (its hooks act in that one only)."""


def _is_many_insert(conn: Any, transaction: Any, statement: str, executemany: bool) -> bool:
    return executemany and conn.get_transaction() is transaction and statement.lstrip()[:6].upper() == "INSERT"


def _set_plan_cache_mode(conn: Any, value: str) -> None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"SET LOCAL plan_cache_mode {value}")
    finally:
        cursor.close()


def open_database(url: str, migrate: bool = True, data_dir: Path | None = None) -> Database:
    """The database at ``url``; ``data_dir`` is where its agent-keys secret lives when it is not a
    SQLite file (None: the platform's data directory)."""
    from sqlalchemy.exc import OperationalError

    from collector.migrate import upgrade_to_head

    engine = create_db_engine(url)
    if migrate:
        try:
            upgrade_to_head(engine)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseUnavailable(unreachable_message(url, exc)) from exc
    return Database(engine, AgentKeyVault(agent_keys_path(url, data_dir)))


def unreachable_message(url: str, exc: Exception) -> str:
    """One line for a database that does not answer: where, and what to check."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"cannot open the SQLite database {parsed.database}: {_first_line(exc)} / không mở được cơ sở dữ liệu"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return (f"cannot connect to PostgreSQL at {where}: is it running, and is --db right? "
            f"/ không kết nối được PostgreSQL tại {where}: máy chủ CSDL có đang chạy không?")


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
