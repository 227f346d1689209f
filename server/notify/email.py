"""E-mail channel: one message per unit batch over SMTP (STARTTLS when asked), UTF-8 text."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from server.notify import NotifyError, UnitMessage


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0
    name: str = "email"

    def notify(self, message: UnitMessage) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, ", ".join(self.recipients), message.subject
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            # 5xx replies will not change on retry (RFC 5321 §4.2.1); 4xx are transient.
            raise NotifyError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", transient=exc.smtp_code < 500) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise NotifyError(f"SMTP {self.host}:{self.port}: {exc}") from exc
