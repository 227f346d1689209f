"""Which notification channels ``serve`` sends through, from its options ([collector] keys
``smtp_*`` and ``webhook_urls``, or their environment forms). Nothing configured: no channel,
nothing is sent. The SMTP password never sits in the TOML file: it comes from the environment
(``CANHGAC_SMTP_PASSWORD``) or from a file (``smtp_password_file``, e.g. a Docker/systemd secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from collector.config import ConfigError
from server.notify import Channel
from server.notify.email import EmailChannel
from server.notify.webhook import WebhookChannel

PASSWORD_ENV = "CANHGAC_SMTP_PASSWORD"


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_to: tuple[str, ...] = ()
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    webhook_urls: tuple[str, ...] = ()


def build_channels(settings: NotifySettings, environ: Mapping[str, str] = os.environ) -> list[Channel]:
    """The configured channels; ConfigError naming the key when one is half configured."""
    channels: list[Channel] = []
    if settings.smtp_host:
        channels.append(_email(settings, environ))
    elif settings.smtp_to or settings.smtp_from:
        raise ConfigError("smtp_host: not set, but smtp_from/smtp_to are: give the SMTP server")
    channels += [WebhookChannel(url=_checked_url(url)) for url in _split(settings.webhook_urls)]
    return channels


def _email(settings: NotifySettings, environ: Mapping[str, str]) -> EmailChannel:
    recipients = tuple(_split(settings.smtp_to))
    if not settings.smtp_from:
        raise ConfigError("smtp_from: the sender address is required with smtp_host")
    if not recipients:
        raise ConfigError("smtp_to: at least one recipient is required with smtp_host")
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError(f"smtp_port: {settings.smtp_port!r} is not a TCP port")
    return EmailChannel(host=settings.smtp_host or "", port=settings.smtp_port, sender=settings.smtp_from,
                        recipients=recipients, starttls=settings.smtp_starttls, username=settings.smtp_user or None,
                        password=_password(settings, environ))


def _password(settings: NotifySettings, environ: Mapping[str, str]) -> str | None:
    if settings.smtp_password_file is not None:
        try:
            return settings.smtp_password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"smtp_password_file: cannot read {str(settings.smtp_password_file)!r}: "
                              f"{exc.strerror}") from exc
    return environ.get(PASSWORD_ENV) or None


def _split(values: Sequence[str]) -> list[str]:
    """Items given as a list, or as one comma/space-separated string (the environment form)."""
    return [item for value in values for item in value.replace(",", " ").split() if item]


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"webhook_urls: {url!r} is not an http:// or https:// URL")
    return url
