"""The Alembic revisions build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def _revisions_base_first() -> list[str]:
    from alembic.script import ScriptDirectory

    from collector.migrate import MIGRATIONS_DIR

    config = alembic_config_for_scripts(MIGRATIONS_DIR)
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def alembic_config_for_scripts(folder: object):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(folder))
    return config


@pytest.mark.parametrize("revision", _revisions_base_first())
def test_every_revision_migrates_a_populated_database_to_head(db_url: str, revision: str) -> None:
    """A database of the release at ``revision``, with rows in every table it has, is brought to head
    keeping every row (a revision that reads application code or assumes empty tables fails here)."""
    from collector.db import create_db_engine
    from collector.migrate import head_revisions, upgrade_to, upgrade_to_head
    from tests.db_filler import fill_every_table

    engine = create_db_engine(db_url)
    try:
        upgrade_to(engine, revision)
        with engine.begin() as connection:
            filled = fill_every_table(connection)
        upgrade_to_head(engine)  # on SQLite: batch rebuilds with foreign keys off, then checked
        with engine.connect() as connection:
            counts = {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                      for table in filled}
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        assert counts == filled
        from collector.migrate import current_revisions

        assert current_revisions(engine) == head_revisions()
    finally:
        engine.dispose()
