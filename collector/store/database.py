"""The collector's database as a whole: is it sound, is it empty, how big is it. What
``canhgac db check`` and ``/metrics`` read (the backup itself is collector.backup)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, inspect, select, text, update

BATCH = 2000


def integrity_problems(engine: Engine) -> list[str]:
    """SQLite's own check (``PRAGMA integrity_check`` and ``foreign_key_check``); on PostgreSQL, a
    read of every table (its server keeps its own pages sound). [] when nothing is wrong."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
            problems = [] if found == ["ok"] else found
            problems += [f"foreign key: {row[0]} row {row[1]} refers to a missing {row[2]}"
                         for row in connection.execute(text("PRAGMA foreign_key_check"))]
            return problems
        problems = []
        for table in inspect(connection).get_table_names():
            try:
                connection.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1'))
            except Exception as exc:  # noqa: BLE001 - each unreadable table is one problem to report
                problems.append(f"{table}: {exc}")
        return problems


def planner_warnings(engine: Engine) -> list[str]:
    """What in the server's settings makes canhgac's queries slow down as its tables grow
    (PostgreSQL: autovacuum off); [] on SQLite, which plans each statement from the table as it is."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        setting = str(connection.execute(text("SHOW autovacuum")).scalar_one())
    return autovacuum_warnings(setting)


def autovacuum_warnings(setting: str) -> list[str]:
    """The warning for PostgreSQL's ``autovacuum`` setting, when it is off."""
    if setting.lower() not in ("off", "false", "0"):
        return []
    return ["autovacuum is off on this PostgreSQL server: its table statistics are never refreshed, and "
            "the plans it keeps for the queries canhgac repeats were made while the tables were small "
            "(measured on such a server: a report's sections looked up in 0.88 ms instead of 0.21 ms after "
            "5,000 first reports, the scan's alerts read in 0.44 s instead of 0.01 s a query); switch it on "
            "(autovacuum = on, the default) or run ANALYZE after large imports / autovacuum của PostgreSQL "
            "đang tắt: bật lại hoặc chạy ANALYZE sau khi nhập nhiều dữ liệu"]


def table_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())


def database_bytes(engine: Engine) -> int:
    """The database's size: SQLite's pages (page_count x page_size), PostgreSQL's tables of the
    current schema with their indexes and TOAST."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            return int(pages) * int(connection.execute(text("PRAGMA page_size")).scalar_one())
        # The tables of the collector's schema, not pg_database_size: that one walks every file of
        # the database's directory (a second on a server with other databases' tables).
        return int(connection.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)), 0) "
            "FROM pg_tables WHERE schemaname = current_schema()")).scalar_one())

def copy_rows(source: Engine, target: Engine) -> int:
    """Every row of every table of the models from ``source`` into ``target`` (both at the same
    revision, ``target`` empty), parents before children, in one transaction of the target; then
    PostgreSQL's id sequences past the copied ids. Returns the rows copied."""
    from collector.models import metadata

    copied = 0
    with source.connect() as reading, target.begin() as writing:
        for table in metadata.sorted_tables:
            query = select(table)
            if table.name == "units":  # parents first: a moved unit may be older than its new parent
                query = query.order_by(func.length(table.c.path), table.c.id)
            rows = reading.execute(query).mappings()
            later: list[dict[str, object]] = []  # units.merged_into_id: the survivor may come after
            while batch := rows.fetchmany(BATCH):
                values = [dict(row) for row in batch]
                if table.name == "units":
                    later += [{"b_id": v["id"], "b_into": v["merged_into_id"]} for v in values if v["merged_into_id"]]
                    values = [{**v, "merged_into_id": None} for v in values]
                writing.execute(insert(table), values)
                copied += len(batch)
            if later:
                writing.execute(update(table).where(table.c.id == bindparam("b_id"))
                                .values(merged_into_id=bindparam("b_into")), later)
            if target.dialect.name == "postgresql":
                _advance_sequence(writing, table)
    return copied


def _advance_sequence(connection: Connection, table: Table) -> None:
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or keys[0].autoincrement is False or keys[0].type.python_type is not int:
        return
    column = keys[0].name
    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
                            f"coalesce((SELECT max({column}) FROM {table.name}), 0) + 1, false)"))
