"""Alembic environment: uses the connection handed over by collector.migrate when there is one."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from collector.models import metadata

config = context.config
target_metadata = metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, poolclass=pool.NullPool)
    with engine.begin() as new_connection:
        run_with(new_connection)
