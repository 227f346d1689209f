"""Alerts: one per rule + subject, and their history (transitions, the notification outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class Alert(Base):
    """The current state of one alert; ``subject`` is "machine:<id>" or "unit:<code>"."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("subject", "rule_id", name="uq_alerts_subject_rule"),
        Index("ix_alerts_unit_status", "unit_id", "status"),
        Index("ix_alerts_status_severity_seen", "status", "severity", "last_seen_at"),  # revision 0008
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(160))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    """Vietnamese / English title at the last change (kept if the rule is later removed)."""
    detail: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_by: Mapped[str | None] = mapped_column(String(128))
    ack_comment: Mapped[str | None] = mapped_column(Text)
    remediation: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Vietnamese / English: what to do, from the rule (revision 0011)."""
    evidence: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    """JSON list of the evidence items of the last firing (detections, products switched off...)."""
    acked_evidence: Mapped[str | None] = mapped_column(Text)
    """JSON list: the evidence the acknowledgement covered; new items re-open the alert."""


class AlertEvent(Base):
    """History: every transition but repeats. ``notify`` events wait for the notifier
    (``notified_at`` null) and are sent once."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    transition: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text)
    notify: Mapped[bool] = mapped_column(default=False)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
