"""Which channels serve sends through: none by default, e-mail and webhooks when configured, the
SMTP password from the environment or a file, and a clear error naming a half-configured key."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import CollectorConfig, CollectorConfigError, load_collector_config
from server.notify.config import build_channels
from server.notify.email import EmailChannel
from server.notify.webhook import WebhookChannel

SMTP = {"smtp_host": "127.0.0.1", "smtp_port": 2525, "smtp_from": "canhgac@xa.gov.vn"}


def NotifySettings(**values: object) -> CollectorConfig:  # noqa: N802 - reads as the settings it builds
    """The collector's configuration from these raw [collector] values, as serve builds it."""
    return load_collector_config({"db_url": "sqlite://", **values})


def test_nothing_configured_means_no_channel() -> None:
    assert build_channels(NotifySettings(), environ={}) == []


def test_email_and_webhooks_with_the_password_from_the_environment() -> None:
    settings = NotifySettings(**SMTP, smtp_to=("a@xa.gov.vn b@xa.gov.vn",), smtp_user="canhgac",
                              webhook_urls=("http://127.0.0.1:9/a", "http://127.0.0.1:9/b"))
    email, *hooks = build_channels(settings, environ={"CANHGAC_SMTP_PASSWORD": "s3cret"})
    assert isinstance(email, EmailChannel) and email.recipients == ("a@xa.gov.vn", "b@xa.gov.vn")
    assert email.password == "s3cret" and email.username == "canhgac"
    assert [h.url for h in hooks if isinstance(h, WebhookChannel)] == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]


def test_the_password_file_wins_and_loses_its_newline(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("from-file\n")
    [email] = build_channels(NotifySettings(**SMTP, smtp_to=("a@xa.gov.vn",), smtp_password_file=str(secret)),
                             environ={"CANHGAC_SMTP_PASSWORD": "from-env"})
    assert isinstance(email, EmailChannel) and email.password == "from-file"


@pytest.mark.parametrize(("settings", "key"), [
    ({"smtp_host": "127.0.0.1", "smtp_to": ("a@xa.gov.vn",)}, "smtp_from"),
    (SMTP, "smtp_to"),
    ({"smtp_to": ("a@xa.gov.vn",)}, "smtp_host"),
    ({"webhook_urls": ("file:///etc/passwd",)}, "webhook_urls"),
    ({**SMTP, "smtp_to": ("a@xa.gov.vn",), "smtp_password_file": "/nonexistent/pw"}, "smtp_password_file"),
])
def test_a_half_configured_channel_names_its_key(settings: dict[str, object], key: str) -> None:
    with pytest.raises(CollectorConfigError, match=key):
        build_channels(NotifySettings(**settings), environ={})


def test_the_toml_file_cannot_hold_the_smtp_password(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from canhgac.cli import main

    config = tmp_path / "c.toml"
    config.write_text('[collector]\nsmtp_password = "plain"\n')
    result = CliRunner().invoke(main, ["serve", "--config", str(config), "--db", f"sqlite:///{tmp_path}/c.db"])
    assert result.exit_code != 0 and "unknown key 'smtp_password'" in result.output
