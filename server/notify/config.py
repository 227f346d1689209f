"""Which notification channels ``serve`` sends through, from the collector's configuration
([collector] keys ``smtp_*`` and ``webhook_urls``, or their environment forms). Nothing
configured: no channel, nothing is sent. The SMTP password never sits in the TOML file: it comes
from the environment (``CANHGAC_SMTP_PASSWORD``) or from a file (``smtp_password_file``, e.g. a
Docker/systemd secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from collector.config import CollectorConfig, CollectorConfigError
from server.notify import Channel
from server.notify.email import EmailChannel
from server.notify.webhook import WebhookChannel

PASSWORD_ENV = "CANHGAC_SMTP_PASSWORD"


def build_channels(config: CollectorConfig, environ: Mapping[str, str] = os.environ) -> list[Channel]:
    """The configured channels; CollectorConfigError naming the key when one is half configured."""
    channels: list[Channel] = []
    if config.smtp_host:
        channels.append(_email(config, environ))
    elif config.smtp_to or config.smtp_from:
        raise CollectorConfigError("smtp_host", config.smtp_host,
                                   "not set, but smtp_from/smtp_to are: give the SMTP server")
    channels += [WebhookChannel(url=url) for url in config.webhook_urls]
    return channels


def _email(config: CollectorConfig, environ: Mapping[str, str]) -> EmailChannel:
    if not config.smtp_from:
        raise CollectorConfigError("smtp_from", config.smtp_from, "the sender address is required with smtp_host")
    if not config.smtp_to:
        raise CollectorConfigError("smtp_to", config.smtp_to, "at least one recipient is required with smtp_host")
    return EmailChannel(host=config.smtp_host or "", port=config.smtp_port, sender=config.smtp_from,
                        recipients=config.smtp_to, starttls=config.smtp_starttls, username=config.smtp_user or None,
                        password=_password(config, environ))


def _password(config: CollectorConfig, environ: Mapping[str, str]) -> str | None:
    if config.smtp_password_file is not None:
        try:
            return config.smtp_password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise CollectorConfigError("smtp_password_file", str(config.smtp_password_file),
                              f"cannot read it: {exc.strerror}") from exc
    return environ.get(PASSWORD_ENV) or None
