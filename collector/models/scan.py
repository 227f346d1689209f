"""What the scheduled scan keeps between runs (revision 0018b): the lease that lets one process of
many run a scheduled job per database, and per subject what its last verdict was judged on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class JobLease(Base):
    """One scheduled job's turn: the process that claimed it and until when nobody else may."""

    __tablename__ = "job_leases"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200), default="")
    """host:pid of the process that runs (or ran) it."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Until then the job is not started again elsewhere (its interval from ``started_at``)."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScanMark(Base):
    """What a subject's verdicts of the last scan were judged on (collector.judging.machine_inputs):
    the digest of what its unit's machines share, the digest of its own observations, the state and
    enrollments compared in SQL (revision 0020), and the first time a time-dependent fact could
    change one."""

    __tablename__ = "scan_marks"
    __table_args__ = (
        Index("ix_scan_marks_machine_id", "machine_id", unique=True),
        Index("ix_scan_marks_unit_inputs", "unit_id", "inputs"),
    )

    subject: Mapped[str] = mapped_column(String(80), primary_key=True)
    """"machine:42" (as alerts name it)."""
    inputs: Mapped[str] = mapped_column(String(64))
    """The digest of the inputs every machine of its unit shares ("": judge it again)."""
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """None: no verdict depends on the clock."""
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    """What the unit rules count of it without decoding its report again: the offline PC,"""
    line: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """and whether a dedicated-line target answered it (None: none was probed)."""
    own: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The digest of its own observations (licence seats, MAC on the LAN, refused reports; "": none)."""
    machine_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state_sequence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    agents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """How many agents it had, and when the newest enrolled (its key history), when judged."""
    key_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
