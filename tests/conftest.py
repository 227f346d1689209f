"""Shared fixtures: a database URL for each backend (SQLite always, PostgreSQL when
CANHGAC_TEST_PG_URL is set), each test on its own empty database or schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "CANHGAC_TEST_PG_URL"

# Safety: an agent run by any test (in this process or a child `canhgac agent ...`) must never
# probe the real default gateway; tests that probe give loopback targets explicitly.
os.environ["CANHGAC_PROBE_GATEWAY"] = "false"
for _name in ("CANHGAC_INTERNET_TARGETS", "CANHGAC_DEDICATED_LINE_TARGETS"):
    os.environ.pop(_name, None)

pytest_plugins = ["tests.api_world"]


@pytest.fixture(scope="session", autouse=True)
def own_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The collector's default data directory is this test process's own folder, not the machine's
    (/var/lib/canhgac as root): a PostgreSQL database opened without a data_dir keeps its agent-keys
    secret there, in this process and in the `canhgac` processes it starts (CANHGAC_DATA_DIR), so
    parallel test processes (pytest-xdist workers) never create and read one file at once, and no
    test leaves a secret on the machine."""
    import collector.config

    folder = tmp_path_factory.mktemp("data-dir")
    patch = pytest.MonkeyPatch()
    patch.setenv("CANHGAC_DATA_DIR", str(folder))
    patch.setattr(collector.config, "default_data_dir", lambda: folder)
    try:
        yield folder
    finally:
        patch.undo()


def _pg_schema_url(base_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on the PostgreSQL of CANHGAC_TEST_PG_URL."""
    if request.param == "sqlite":
        # an empty file is an empty SQLite database; commands other than db init, serve and demo
        # refuse a file that does not exist (canhgac.cli_support.open_existing_database)
        (tmp_path / "canhgac.db").touch()
        yield f"sqlite:///{tmp_path / 'canhgac.db'}"
        return
    base_url = os.environ.get(PG_ENV)
    if not base_url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL path not tested here (.ci/run sets it)")
    yield from _pg_schema_url(base_url)
