"""`db check` and `serve` warn when the server's settings let query plans go stale as canhgac's
tables grow: PostgreSQL with autovacuum off (as the PostgreSQL of this project's CI machine runs),
where the first reports of 5,000 machines looked their sections up in 0.88 ms instead of 0.21 ms
and the scan read alerts in 0.44 s instead of 0.01 s a query (README, benchmarks). A warning, not a
problem: the exit status stays 0."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text

from canhgac.cli import main
from collector.db import create_db_engine, open_database
from collector.store.database import autovacuum_warnings, planner_warnings


def test_autovacuum_off_is_a_warning_in_both_languages_and_on_is_none() -> None:
    for off in ("off", "OFF", "false", "0"):
        [warning] = autovacuum_warnings(off)
        assert "autovacuum is off" in warning and "ANALYZE" in warning and "đang tắt" in warning
    for on in ("on", "true", "1"):
        assert autovacuum_warnings(on) == []


def test_the_warnings_follow_the_server_it_talks_to_and_db_check_prints_them_with_exit_0(db_url: str) -> None:
    open_database(db_url).dispose()  # at the newest revision, so that db check has nothing else to say
    engine = create_db_engine(db_url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                expected = autovacuum_warnings(str(connection.execute(text("SHOW autovacuum")).scalar_one()))
        else:
            expected = []
        assert planner_warnings(engine) == expected
    finally:
        engine.dispose()
    checked = CliRunner().invoke(main, ["db", "check", "--db", db_url])
    assert checked.exit_code == 0, checked.output
    assert ("CẢNH BÁO / WARNING: autovacuum is off" in checked.output) == bool(expected), checked.output
    assert "OK" in checked.output
