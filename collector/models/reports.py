"""Report history: every stored report, once per (agent, sequence)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class StoredReport(Base):
    """Report history: each (agent, sequence) once, the body zlib-compressed as received."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("agent_id", "sequence", name="uq_reports_agent_sequence"),
        Index("ix_reports_machine_received", "machine_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_zlib: Mapped[bytes] = mapped_column(LargeBinary)
