"""The command line: every command has --help; config files and environment forms work."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from canhgac.cli import LAZY_COMMANDS, main


def all_commands(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, ctx, (*prefix, name))
    return found


def test_every_command_has_help() -> None:
    commands = all_commands(main, click.Context(main))
    assert len(commands) >= 15
    runner = CliRunner()
    for path in commands:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: canhgac " + " ".join(path) in result.output


def test_root_help_lists_commands_without_importing_them() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in LAZY_COMMANDS:
        assert name in result.output


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    (tmp_path / "cli.db").touch()  # an empty database: only db init, serve and demo create a missing one
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_units_from_the_env_db_and_a_config_file(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    env = {"CANHGAC_DB": sqlite_url}
    added = runner.invoke(main, ["units", "add", "PV", "--name", "Tỉnh Thử", "--kind", "province"], env=env)
    assert added.exit_code == 0
    config = tmp_path / "canhgac.toml"
    config.write_text(f'[collector]\ndb = "{sqlite_url}"\n', encoding="utf-8")
    result = runner.invoke(main, ["units", "add", "XA", "--name", "UBND xã A", "--parent", "PV", "--kind", "commune",
                                  "--staff", "16", "--config", str(config)])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["units", "list", "--json"], env=env)
    assert '"code": "XA"' in listed.output and '"staff": 16' in listed.output and "UBND xã A" in listed.output


def test_a_config_file_with_an_unknown_key_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[collector]\ndatabase = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["units", "list", "--config", str(config)])
    assert result.exit_code == 2
    assert "unknown key 'database'" in result.output


@pytest.mark.parametrize("args, message", [
    (["units", "add", "X", "--name", "x", "--parent", "NOPE"], "no unit 'NOPE'"),
    (["units", "add", "bad code!", "--name", "x"], "unit code"),
    (["tokens", "create", "--unit", "NOPE"], "no unit 'NOPE'"),
    (["tokens", "create", "--unit", "NOPE", "--expires", "soon"], "not a duration"),
    (["users", "add", "an", "--role", "viewer"], "needs a unit"),
    (["users", "token", "nobody"], "no user 'nobody'"),
])
def test_bad_input_gives_a_clear_message_not_a_traceback(sqlite_url: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args, env={"CANHGAC_DB": sqlite_url})
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_tokens_and_users_print_secrets_that_work(sqlite_url: str) -> None:
    runner = CliRunner()
    env = {"CANHGAC_DB": sqlite_url}
    runner.invoke(main, ["units", "add", "XA", "--name", "xã A", "--kind", "commune"], env=env)
    token = runner.invoke(main, ["tokens", "create", "--unit", "XA", "--expires", "2d"], env=env)
    assert token.exit_code == 0 and token.stdout.strip().startswith("cge_")
    added = runner.invoke(main, ["users", "add", "an", "--role", "officer", "--unit", "XA", "--password-stdin"],
                          env=env, input="mật-khẩu-dài\n")
    assert added.exit_code == 0, added.output
    api = runner.invoke(main, ["users", "token", "an"], env=env)
    assert api.stdout.strip().startswith("cgt_")
    assert runner.invoke(main, ["tokens", "revoke", "1"], env=env).exit_code == 0
    assert "revoked" in runner.invoke(main, ["tokens", "list"], env=env).output
