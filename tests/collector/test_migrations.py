"""The Alembic revisions build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from collector.db import open_database
from collector.models import metadata


def test_migrations_match_the_models(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with db.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
            tables = set(inspect(connection).get_table_names())
        assert {"units", "enrollment_tokens", "agents", "machines", "reports", "users", "api_tokens",
                "alembic_version"} <= tables
    finally:
        db.dispose()


def test_opening_twice_is_harmless(db_url: str) -> None:
    open_database(db_url).dispose()
    open_database(db_url).dispose()
