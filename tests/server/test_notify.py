"""Notifications against real servers on loopback: an SMTP server (aiosmtpd) and an HTTP server;
grouped per unit, sent once, a failing channel retried and never blocking the others."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from agent.wire.schema import Antivirus, encode_report
from server.notify import NotifyError, UnitMessage
from server.notify.dispatch import dispatch, send_with_retries
from server.notify.email import EmailChannel
from server.notify.webhook import WebhookChannel
from tests.api_world import World
from tests.factories import make_report, signed
from tests.fixtures.webhook import webhook_receiver
from tests.ports import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def hook() -> Iterator[tuple[list[dict[str, Any]], str]]:
    with webhook_receiver() as receiver:
        yield receiver


def raise_alerts(world: World, unit: str, sequence: int = 1) -> None:
    creds = world.enroll(unit=unit, machine_uid=f"uid-{unit}", hostname=f"pc-{unit}")
    report = make_report(creds["agent_id"], sequence, machine_uid=f"uid-{unit}")
    report.antivirus = Antivirus()
    body = encode_report(report)
    assert world.client.post("/api/v1/reports", content=body,
                             headers=signed(creds["agent_id"], creds["key"], body)).status_code == 201


def test_changes_go_out_grouped_per_unit_once_by_email_and_webhook(world: World, smtp: tuple[Inbox, int],
                                                                   hook: tuple[list[dict[str, Any]], str]) -> None:
    inbox, port = smtp
    received, url = hook
    raise_alerts(world, "XA")
    raise_alerts(world, "XB")
    channels = [EmailChannel("127.0.0.1", port, "canhgac@xa.local", ("cntt@xa.local",)), WebhookChannel(url)]
    assert dispatch(world.db, channels, world.clock.now) == 2
    assert len(inbox.messages) == 2 and len(received) == 2
    subjects = sorted(str(make_header(decode_header(m["Subject"]))) for m in inbox.messages)
    assert "UBND xã A" in subjects[0] and "cảnh báo mới" in subjects[0] and "new or escalated" in subjects[0]
    body = inbox.messages[0].get_payload(decode=True).decode("utf-8")
    assert "MỚI / opened" in body
    # what was seen in words and what to do, beside each alert (issue 15.7)
    assert "Dấu hiệu / seen: chưa cài phần mềm phòng chống mã độc / no antivirus installed" in body
    assert "Khắc phục / to do: Cài đặt phần mềm phòng chống mã độc" in body
    assert all(item["remediation"] and item["detail"] for p in received for item in p["alerts"])
    assert {p["unit"]["code"] for p in received} == {"XA", "XB"}
    assert all(item["transition"] == "opened" for p in received for item in p["alerts"])
    assert dispatch(world.db, channels, world.clock.now) == 0  # sent once


class Flaky:
    name = "flaky"

    def __init__(self, failures: int, transient: bool = True) -> None:
        self.failures, self.transient, self.calls = failures, transient, 0

    def notify(self, message: UnitMessage) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise NotifyError("down", transient=self.transient)


MESSAGE = UnitMessage("XA", "UBND xã A", "s", "t")


def test_a_transient_failure_is_retried() -> None:
    channel = Flaky(failures=2)
    assert send_with_retries(channel, MESSAGE, attempts=3, sleep=lambda _s: None) and channel.calls == 3


def test_a_permanent_failure_is_not_retried() -> None:
    channel = Flaky(failures=5, transient=False)
    assert not send_with_retries(channel, MESSAGE, attempts=3, sleep=lambda _s: None) and channel.calls == 1


def test_a_dead_channel_does_not_stop_the_others(world: World, hook: tuple[list[dict[str, Any]], str]) -> None:
    received, url = hook
    raise_alerts(world, "XA")
    dead = EmailChannel("127.0.0.1", free_port(), "a@b", ("c@d",), timeout_s=1)
    assert dispatch(world.db, [dead, WebhookChannel(url)], world.clock.now, attempts=2, pause_s=0.01) == 1
    assert len(received) == 1
