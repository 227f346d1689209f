"""Fill every table of a database, whatever its revision, with a few plausible rows: read the
tables from the database itself (reflection), parents before children, each column given a value
of its type (foreign keys point at the referenced table's rows, unique columns differ per row,
stored reports are real report JSON, compressed where the column is binary).

Used to migrate populated databases (every Alembic revision to head) and to check that a merge
reaches every table tied to a unit (a table another area adds is filled and checked too)."""

from __future__ import annotations

import json
import zlib
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tests.factories import T0, report_body

ROWS = 2


def fill_every_table(connection: Connection, rows: int = ROWS) -> dict[str, int]:
    """``rows`` rows in each table but alembic_version; returns the row count per table."""
    meta = sa.MetaData()
    meta.reflect(connection)
    counts = {}
    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        connection.execute(sa.insert(table), [row_for(table, i) for i in range(1, rows + 1)])
        counts[table.name] = rows
    if connection.dialect.name == "postgresql":
        for table in meta.sorted_tables:
            keys = list(table.primary_key.columns)
            if len(keys) == 1 and isinstance(keys[0].type, sa.Integer) and table.name != "alembic_version":
                connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{keys[0].name}'), "
                                           f"{rows + 1}, false)"))
    return counts


def row_for(table: sa.Table, i: int) -> dict[str, Any]:
    return {column.name: value_for(table, column, i) for column in table.columns}


def value_for(table: sa.Table, column: sa.Column[Any], i: int) -> Any:
    name, kind = column.name, column.type
    if table.name == "units" and name == "ended_on":
        return None  # live units
    if column.foreign_keys:
        if column.nullable and name in ("parent_id", "merged_into_id"):
            return None  # a tree of roots: no unit refers to another
        return _referenced(column, i)
    if name == "state_json" or (name.endswith("_json") and "report" in name):
        return report_body(f"agent-{table.name}-{i}", i, machine_uid=f"uid-{i}").decode()
    if isinstance(kind, sa.LargeBinary):
        return zlib.compress(report_body(f"agent-{table.name}-{i}", i, machine_uid=f"uid-{i}"))
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.DateTime):
        return T0 - timedelta(hours=i)
    if isinstance(kind, sa.Date):
        return date(2026, 11, i)
    if isinstance(kind, sa.Float | sa.Numeric):
        return float(i)
    if isinstance(kind, sa.Integer):
        return i if column.primary_key or _unique(table, column) else 1
    return _text(table, column, i)


def _referenced(column: sa.Column[Any], i: int) -> Any:
    target = next(iter(column.foreign_keys)).column
    if isinstance(target.type, sa.Integer):
        return i
    return _text(target.table, target, i)


def _unique(table: sa.Table, column: sa.Column[Any]) -> bool:
    single = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint | sa.PrimaryKeyConstraint)]
    single += [ix for ix in table.indexes if ix.unique]
    return any(column.name in [c.name for c in constraint.columns] for constraint in single)


def _text(table: sa.Table, column: sa.Column[Any], i: int) -> str:
    name = column.name
    length = getattr(column.type, "length", None) or 64
    if name in ("path", "unit_path"):
        return f"/{i}/"
    if name == "mac":
        return f"00:11:22:33:44:{i:02x}"
    if name.endswith("_json"):
        return "[]" if name in ("targets_json", "interfaces_json") else json.dumps({})
    if name in ("role",):
        return "normal"
    if name in ("status",):
        return "open"
    if name in ("severity",):
        return "high"
    if name in ("kind",):
        return "commune" if table.name == "units" else "dedicated_line" if i == 1 else "internet"
    return f"{table.name[:8]}-{name[:12]}-{i}"[:length]
