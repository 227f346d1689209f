"""Refused reports of known agents (bad signature, replay...), counted per hour for the tampering rule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class IngestRejection(Base):
    """Reports of one known agent refused for ``reason`` (bad_signature, timestamp_out_of_window,
    sequence_conflict) within one hour: one row per (agent, reason, hour), so a flood only
    increments ``count``. Unknown agent ids are never recorded."""

    __tablename__ = "ingest_rejections"
    __table_args__ = (UniqueConstraint("agent_id", "reason", "hour", name="uq_ingest_rejections_agent_reason_hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
