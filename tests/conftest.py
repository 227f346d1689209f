"""Shared fixtures: a database URL for each backend (SQLite always, PostgreSQL when
CANHGAC_TEST_PG_URL is set), each test on its own empty database or schema, or on its own copy of
a database at the newest revision when one of its fixtures asks for ``db_at_head``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_at_head import PgCopies, copy_sqlite, sqlite_template

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


@pytest.fixture
def db_at_head() -> None:
    """Asked for by a fixture that opens ``db_url`` at once (``world``, ...): ``db_url`` is then
    already at the newest revision, a copy of a database this test process migrated
    (tests/db_at_head.py), instead of an empty one that the fixture's ``open_database`` migrates."""


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp("sqlite-at-head"))


@pytest.fixture(scope="session")
def pg_copies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgCopies | None]:
    base_url = os.environ.get(PG_ENV)
    copies = PgCopies.start(base_url, tmp_path_factory.mktemp("pg-at-head")) if base_url else None
    try:
        yield copies
    finally:
        if copies is not None:
            copies.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on the PostgreSQL of CANHGAC_TEST_PG_URL;
    with ``db_at_head`` among the test's fixtures, a copy of one at the newest revision (a SQLite
    file; a database of its own on PostgreSQL, or a schema that its opener migrates where the server
    or the role cannot copy databases)."""
    at_head = "db_at_head" in request.fixturenames
    if request.param == "sqlite":
        # an empty file is an empty SQLite database; commands other than db init, serve and demo
        # refuse a file that does not exist (canhgac.cli_support.open_existing_database)
        path = tmp_path / "canhgac.db"
        if at_head:
            copy_sqlite(request.getfixturevalue("sqlite_at_head"), path)
        else:
            path.touch()
        yield f"sqlite:///{path}"
        return
    base_url = os.environ.get(PG_ENV)
    if not base_url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL path not tested here (.ci/run sets it)")
    copies: PgCopies | None = request.getfixturevalue("pg_copies") if at_head else None
    if copies is None:
        yield from _pg_schema_url(base_url)
        return
    name, url = copies.new()
    try:
        yield url
    finally:
        copies.drop(name)
