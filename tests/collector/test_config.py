"""The collector's one configuration: every [collector] key typed with one default, built from the
TOML file, then the environment, then the command line; each bad value refused with its key and value."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from canhgac.collector_options import collector_options
from collector.config import KEYS, CollectorConfig, CollectorConfigError, default_db_url, load_collector_config


@click.command()
@collector_options()
def show(config: CollectorConfig) -> None:
    click.echo(f"{config.port} {config.host} {config.scan_interval_minutes} {config.smtp_starttls} "
               f"{','.join(config.webhook_urls)} {config.db_url}")


def run(args: list[str], env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(show, args, env=env)


def test_no_value_is_every_default_and_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    config = load_collector_config({"data_dir": str(tmp_path)})
    assert config == CollectorConfig(db_url=default_db_url(tmp_path), data_dir=tmp_path)
    assert config.db_url == f"sqlite:///{tmp_path / 'canhgac.db'}"


def test_the_file_then_the_environment_then_the_command_line(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[collector]\nport = 9001\nhost = "0.0.0.0"\nscan_interval_minutes = 5\n'
                    'webhook_urls = ["http://127.0.0.1:9/a"]\ndb = "sqlite:///f.db"\n')
    assert run(["--config", str(toml)]).output.split() == ["9001", "0.0.0.0", "5.0", "False",
                                                            "http://127.0.0.1:9/a", "sqlite:///f.db"]
    from_env = run(["--config", str(toml)], env={"CANHGAC_PORT": "9002", "CANHGAC_SMTP_STARTTLS": "true",
                                                  "CANHGAC_WEBHOOK_URLS": "http://127.0.0.1:9/b http://127.0.0.1:9/c"})
    assert from_env.output.split() == ["9002", "0.0.0.0", "5.0", "True", "http://127.0.0.1:9/b,http://127.0.0.1:9/c",
                                       "sqlite:///f.db"]
    from_cli = run(["--config", str(toml), "--port", "9003", "--db", "sqlite:///c.db"], env={"CANHGAC_PORT": "9002"})
    assert from_cli.output.split()[0] == "9003" and from_cli.output.split()[-1] == "sqlite:///c.db"


@pytest.mark.parametrize(("args", "env", "toml", "message"), [
    (["--port", "eighty"], {}, "", "port = 'eighty': expected a whole number"),
    ([], {"CANHGAC_PORT": "70000"}, "", "port = 70000: expected a TCP port"),
    ([], {}, "port = 8470.5", "port = '8470.5': expected a whole number"),
    ([], {}, "max_body_bytes = 10", "max_body_bytes = 10: expected at least 1024"),
    (["--notify-interval-s", "-1"], {}, "", "notify_interval_s = -1.0: expected a number of at least 0"),
    (["--log-level", "loud"], {}, "", "log_level = 'loud': expected one of debug, info, warning, error"),
    (["--rules-dir", "/nonexistent/packs"], {}, "", "rules_dir = '/nonexistent/packs': no such folder"),
    (["--webhook-url", "file:///etc/passwd"], {}, "", "webhook_urls = 'file:///etc/passwd': expected an http"),
    (["--db", "mysql://x"], {}, "", "db = 'mysql://x': expected a sqlite:///FILE or postgresql"),
    (["--listen-unit", "XA"], {}, "", "listen_unit = 'XA': needs listen_iface"),
    ([], {"CANHGAC_SMTP_STARTTLS": "maybe"}, "", "Invalid value for '--smtp-starttls"),
    (["--tls-cert", "/nonexistent/c.pem"], {}, "", "tls_cert = '/nonexistent/c.pem': no such file"),
    ([], {}, "enroll_per_address = 0", "enroll_per_address = 0: expected a whole number above zero"),
    ([], {"CANHGAC_ENROLL_WINDOW_S": "soon"}, "", "enroll_window_s = 'soon': expected a whole number"),
    (["--report-writers", "2"], {}, "", "report_writers = 2: more than one writer needs PostgreSQL"),
    ([], {}, "report_writers = 0", "report_writers = 0: expected a whole number above zero"),
])
def test_a_bad_value_is_refused_with_its_key_and_value(tmp_path: Path, args: list[str], env: dict[str, str],
                                                       toml: str, message: str) -> None:
    if toml:
        (tmp_path / "c.toml").write_text(f"[collector]\n{toml}\n")
        args = ["--config", str(tmp_path / "c.toml"), *args]
    result = run(args, env)
    assert result.exit_code == 2 and message in result.output, result.output


def test_an_unknown_key_of_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[collector]\nprot = 8470\n')
    result = run(["--config", str(tmp_path / "c.toml")])
    assert result.exit_code == 2 and "unknown key 'prot'" in result.output
    with pytest.raises(CollectorConfigError, match="prot"):
        load_collector_config({"prot": 8470})


def test_every_key_is_an_option_with_its_environment_form() -> None:
    options = {p.name: p for p in show.params}
    assert set(KEYS) <= set(options)
    assert options["db_url"].opts == ["--db"] and options["db_url"].envvar == "CANHGAC_DB"
    assert options["max_body_bytes"].envvar == "CANHGAC_MAX_BODY_BYTES"
    assert options["port"].default == CollectorConfig(db_url="sqlite://").port


def test_the_tls_files_and_enrollment_limits_come_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("cert")
    (tmp_path / "k.pem").write_text("key")
    config = load_collector_config({"tls_cert": str(tmp_path / "c.pem"), "tls_key": str(tmp_path / "k.pem"),
                                    "enroll_per_token": 5, "data_dir": str(tmp_path)})
    assert (config.tls_cert, config.tls_key, config.enroll_per_token) == (tmp_path / "c.pem", tmp_path / "k.pem", 5)
    (tmp_path / "t.toml").write_text(f'[collector]\ntls_key = "{tmp_path / "k.pem"}"\n')
    lonely = run(["--config", str(tmp_path / "t.toml")])
    assert lonely.exit_code == 2 and "needs tls_cert as well" in lonely.output
