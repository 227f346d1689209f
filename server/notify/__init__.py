"""Notifications: alert changes (open, escalate, resolve) grouped per unit into one message,
sent by each configured channel. One module per channel, each with ``notify(message)`` that
raises :class:`NotifyError` (transient: retried; permanent: logged and dropped)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from collector.store.alerts import PendingNotice
from rules.lifecycle import Transition
from rules.model import Severity

TRANSITION_VI = {Transition.OPENED: "MỚI", Transition.REOPENED: "TÁI DIỄN", Transition.ESCALATED: "NÂNG MỨC",
                 Transition.RESOLVED: "ĐÃ HẾT", Transition.NEW_EVIDENCE: "DẤU HIỆU MỚI"}
SEVERITY_VI = {Severity.CRITICAL: "nghiêm trọng", Severity.HIGH: "cao", Severity.MEDIUM: "trung bình",
               Severity.LOW: "thấp", Severity.INFO: "thông tin"}


class NotifyError(Exception):
    def __init__(self, detail: str, transient: bool = True) -> None:
        super().__init__(detail)
        self.transient = transient


@dataclass(frozen=True)
class UnitMessage:
    """One unit's batch: a subject line and a text body (Vietnamese with English beside), and
    the same as data for machines (webhook)."""

    unit_code: str
    unit_name: str
    subject: str
    text: str
    items: list[dict[str, object]] = field(default_factory=list)
    event_ids: tuple[int, ...] = ()


class Channel(Protocol):
    name: str

    def notify(self, message: UnitMessage) -> None: ...


def group_by_unit(notices: Sequence[PendingNotice]) -> list[UnitMessage]:
    """One message per unit, its changes in order."""
    by_unit: dict[str, list[PendingNotice]] = defaultdict(list)
    for notice in notices:
        by_unit[notice.alert.unit_code].append(notice)
    return [_message(unit_notices) for unit_notices in by_unit.values()]


def _message(notices: list[PendingNotice]) -> UnitMessage:
    first = notices[0]
    opened = sum(1 for n in notices if n.transition != Transition.RESOLVED)
    subject = (f"[canhgac] {first.unit_name}: {opened} cảnh báo mới/nâng mức, {len(notices) - opened} đã hết / "
               f"{opened} new or escalated, {len(notices) - opened} resolved")
    lines, items = [], []
    for n in notices:
        a = n.alert
        where = f"{a.hostname} ({a.unit_code})" if a.hostname else a.subject
        lines.append(f"- [{TRANSITION_VI.get(n.transition, n.transition)} / {n.transition}] "
                     f"{a.severity} ({SEVERITY_VI.get(a.severity, a.severity)}) {a.title} — {where}"
                     f" — {n.at:%d/%m/%Y %H:%M} UTC (#{a.id})")
        if a.detail and n.transition != Transition.RESOLVED:
            lines.append(f"    Dấu hiệu / seen: {a.detail}")
        if a.remediation and n.transition != Transition.RESOLVED:
            lines.append(f"    Khắc phục / to do: {a.remediation}")
        items.append({"alert_id": a.id, "rule_id": a.rule_id, "subject": a.subject, "transition": n.transition,
                      "severity": a.severity, "title": a.title, "status": a.status, "count": a.count,
                      "at": n.at.isoformat(), "detail": a.detail, "remediation": a.remediation,
                      "evidence": list(a.evidence), "hostname": a.hostname})
    text = f"Đơn vị / Unit: {first.unit_name} ({first.alert.unit_code})\n\n" + "\n".join(lines) + "\n"
    return UnitMessage(first.alert.unit_code, first.unit_name, subject, text, items,
                       tuple(n.event_id for n in notices))
