"""Alembic, driven from code: the schema is brought to the newest revision on open."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser treats "%" as interpolation (URLs carry %-escapes, e.g. options=-csearch_path%3D...)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every revision not yet applied. "heads": areas may branch from a common revision
    (each adds its own tables) without a merge revision."""
    upgrade_to(engine, "heads")


def upgrade_to(engine: Engine, target: str) -> None:
    """Bring the database to ``target`` (a revision or "heads"), in one transaction."""
    config = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite's batch mode rebuilds a table to alter it (copy, drop, rename): with foreign keys
            # enforced, dropping a table that others reference fails on a populated database. They
            # are off while migrating (the pragma is a no-op inside a transaction) and checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the autobegun transaction: the migration runs in its own
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, target)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def head_revisions() -> set[str]:
    """The newest revision of each branch this code knows."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


def known_revisions() -> set[str]:
    """Every revision this code knows (a database at one of them can be brought to the heads)."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a database canhgac never opened)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
