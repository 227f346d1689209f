"""The command line for people: what a person can get wrong gives one readable line (English and
Vietnamese) and a non-zero exit, never a traceback (issue 17 part 4)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent.config import ConfigError, parse_server_url
from agent.enrollment import ASK_FOR_TOKEN, enroll_next_step
from canhgac.cli import main
from tests.ports import free_port


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_line(result: Result, exit_code: int, *words: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a message, not a crash
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for word in words:
        assert word in lines[0], result.output


@pytest.mark.parametrize("url", ["notadb://x", "/var/lib/canhgac/canhgac.db", "sqlite+nosuchdriver:///x.db"])
def test_a_bad_db_url_is_one_line(url: str) -> None:
    result = run("machines", "list", "--db", url)
    assert result.exit_code in (1, 2)
    assert_one_line(result, result.exit_code, url, "/")


def closed_loopback_port() -> int:
    return free_port()  # closed: nothing listens there


def test_postgresql_not_running_is_one_line() -> None:
    port = closed_loopback_port()
    result = run("machines", "list", "--db", f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    assert_one_line(result, 1, f"cannot connect to PostgreSQL at 127.0.0.1:{port}", "không kết nối được")


@pytest.mark.parametrize("command", [("machines", "list"), ("units", "list"), ("alerts", "list"),
                                     ("report", "readiness"), ("scan", "all", "--no-network"), ("db", "check"),
                                     ("tokens", "list")])
def test_a_missing_sqlite_file_is_refused_not_created(tmp_path: Path, command: tuple[str, ...]) -> None:
    missing = tmp_path / "typo" / "canhgac.db"
    result = run(*command, "--db", f"sqlite:///{missing}")
    assert_one_line(result, 1, f"no database at {missing}", "canhgac db init", "chưa có cơ sở dữ liệu")
    assert not missing.exists() and not missing.parent.exists()


def test_db_init_creates_the_missing_file_and_then_commands_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'canhgac.db'}"
    assert run("db", "init", "--db", url).exit_code == 0
    listed = run("machines", "list", "--db", url)
    assert listed.exit_code == 0 and "0 máy" in listed.output


def test_an_output_folder_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'canhgac.db'}"
    assert run("db", "init", "--db", url).exit_code == 0
    assert run("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", "--db", url).exit_code == 0
    out = tmp_path / "no-such-folder" / "readiness.csv"
    result = run("report", "readiness", "--format", "csv", "--out", str(out), "--db", url)
    assert_one_line(result, 1, str(out), "không tìm thấy")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield listening.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_already_taken_is_one_line(tmp_path: Path, taken_port: int, command: str) -> None:
    db = tmp_path / "canhgac.db"
    result = run(command, "--port", str(taken_port), "--db", f"sqlite:///{db}")
    assert_one_line(result, 1, f"port {taken_port} on 127.0.0.1 is already in use", "--port", "cổng")
    assert not db.exists()  # refused before anything was created


@pytest.mark.parametrize(("given", "kept"), [
    ("http://10.0.0.5:8000", "http://10.0.0.5:8000"),
    ("http://10.0.0.5:8000/", "http://10.0.0.5:8000"),
    ("http://10.0.0.5:8000/api/v1", "http://10.0.0.5:8000"),
    ("https://thu-thap.xa.gov.vn/api/v1/", "https://thu-thap.xa.gov.vn"),
    ("https://proxy.tinh.gov.vn/canhgac/api/v1", "https://proxy.tinh.gov.vn/canhgac"),
])
def test_the_server_url_may_end_in_api_v1(given: str, kept: str) -> None:
    assert parse_server_url("server", given) == kept


def test_a_server_url_without_a_host_is_refused() -> None:
    with pytest.raises(ConfigError):
        parse_server_url("server", "/api/v1")


@pytest.mark.parametrize(("status", "code", "says"), [
    (401, "invalid_token", ASK_FOR_TOKEN),
    (401, "token_expired", "canhgac tokens create --unit"),
    (401, "token_revoked", "mã đăng ký mới"),
    (403, "token_exhausted", "canhgac tokens create --unit"),
    (409, "machine_in_other_unit", "canhgac machines move"),
    (None, "", "--server is its address"),
    (404, "not_found", "not a canhgac collector"),
    (503, "database_unavailable", "try again"),
])
def test_a_refused_enrollment_says_what_to_do_next(status: int | None, code: str, says: str) -> None:
    assert says in enroll_next_step(status, code)


def test_enrolling_with_a_closed_port_says_what_to_do(tmp_path: Path) -> None:
    port = closed_loopback_port()
    result = CliRunner().invoke(main, ["agent", "enroll", "--server", f"http://127.0.0.1:{port}/api/v1",
                                       "--token", "cgt_x", "--state-dir", str(tmp_path / "state")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"http://127.0.0.1:{port}/api/v1/enroll: cannot connect" in result.output
    assert "kiểm tra máy chủ đang chạy" in result.output
