"""Benchmarks on PostgreSQL work in a fresh schema that they drop afterwards."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import create_engine, text

T = TypeVar("T")


def with_fresh_pg_schema(base_url: str, run: Callable[[str], T]) -> T:
    """``run(url)`` with ``url`` pointing at a new, empty schema of ``base_url``'s database."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        autovacuum = connection.execute(text("SHOW autovacuum")).scalar_one()
    # Figures on a server with autovacuum off are read knowing it (README: The collector's database).
    print(f"PostgreSQL autovacuum: {autovacuum}", file=sys.stderr)
    try:
        separator = "&" if "?" in base_url else "?"
        return run(f"{base_url}{separator}options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
