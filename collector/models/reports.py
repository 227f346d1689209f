"""Report history: every stored report, once per (agent, sequence); the sections that rarely change
stored once per content (revision 0012b), and how far the thinning of old reports got."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
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
    """Report history: each (agent, sequence) once. ``body_zlib`` is the body as received,
    zlib-compressed, less its shared sections (agent.wire.sections: each replaced by a mark naming
    its hash), which are in ``report_sections``, reached through ``section_set_id``; joining them
    back gives the signed body exactly (collector.store.report_sections.stored_body)."""

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
    section_set_id: Mapped[int | None] = mapped_column(ForeignKey("report_section_sets.id"), index=True)
    """The shared sections the body lacks (None: it lacks none, e.g. stored before revision 0012b)."""


class ReportSection(Base):
    """One content of a shared section (the program list of one PC at one time...), once."""

    __tablename__ = "report_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the section's JSON exactly as it was in the report body."""
    body_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    raw_bytes: Mapped[int] = mapped_column(Integer)


class ReportSectionSet(Base):
    """One combination of shared sections that reports lack: a report names one set, so a report
    row carries one small id whatever the number of its shared sections."""

    __tablename__ = "report_section_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the members' section hashes, sorted: the same combination is one set."""


class ReportSectionSetMember(Base):
    __tablename__ = "report_section_set_members"

    set_id: Mapped[int] = mapped_column(ForeignKey("report_section_sets.id"), primary_key=True, autoincrement=False)
    section_id: Mapped[int] = mapped_column(ForeignKey("report_sections.id"), primary_key=True, autoincrement=False,
                                            index=True)


class RetentionProgress(Base):
    """How far thinning got: every report received before ``done_until`` (a Vietnam day) has been
    thinned to ``step`` ("daily", "weekly"); a run cut short records the last machine it finished."""

    __tablename__ = "retention_progress"

    step: Mapped[str] = mapped_column(String(16), primary_key=True)
    done_until: Mapped[date | None] = mapped_column(Date)
    working_until: Mapped[date | None] = mapped_column(Date)
    """The day the run in progress thins up to (None: none in progress)."""
    machine_done: Mapped[int] = mapped_column(Integer, default=0)
    """In the run in progress: machines with ids up to this one are done."""
