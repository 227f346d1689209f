"""Webhook channel: one JSON POST per unit batch (``{"unit", "subject", "text", "alerts": [...]}``)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from server.notify import NotifyError, UnitMessage


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    timeout_s: float = 10.0
    name: str = "webhook"

    def notify(self, message: UnitMessage) -> None:
        payload = {"unit": {"code": message.unit_code, "name": message.unit_name}, "subject": message.subject,
                   "text": message.text, "alerts": message.items}
        try:
            response = requests.post(self.url, json=payload, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise NotifyError(f"webhook {self.url}: {exc}") from exc
        if response.status_code >= 300:
            # 4xx (but 408/429) is the receiver refusing this payload: retrying will not help.
            transient = response.status_code >= 500 or response.status_code in (408, 429)
            raise NotifyError(f"webhook {self.url}: HTTP {response.status_code}", transient=transient)
