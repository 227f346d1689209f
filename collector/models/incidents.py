"""The incident register (sổ sự cố an toàn thông tin, revision 0011): each opening of an alert of
an incident rule (malware, the offline PC connected, tampering...) with when it was detected,
acknowledged, cleared and closed, by whom, its effect, handling and outcome (what Law 116/2025
asks a reporting unit to give)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_unit_detected", "unit_id", "detected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id"))
    subject: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(Text)
    """Vietnamese / English, as the alert's."""
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text, default="")
    """What was seen, in words (Vietnamese / English)."""
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the condition cleared (the alert resolved)."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    effect: Mapped[str] = mapped_column(Text, default="")
    """What it affected (hậu quả, ảnh hưởng), as the officer wrote it."""
    handling: Mapped[str] = mapped_column(Text, default="")
    """What was done (biện pháp xử lý)."""
    outcome: Mapped[str] = mapped_column(Text, default="")
    """How it ended (kết quả)."""
