"""The audit log: what people and machines did that changed anything, appended and never edited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class AuditEntry(Base):
    """One action: who (a person's name, ``agent:<id>`` or ``cli``), what (an AuditAction), on which
    subject ("unit:XA", "machine:42", "user:nam", ...), in which unit (for scoping), and details."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(160), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
