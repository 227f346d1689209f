"""Tables of the readiness area (revision 0004): each machine's readiness columns, written as its
report is stored and refreshed by the scheduled scan, and the daily snapshot that keeps the trend.

``machine_readiness`` holds booleans (null: not known) so that every indicator is one SQL
aggregate per unit; ``unit_path`` (the unit's materialized path) groups a subtree without a join.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class MachineReadiness(Base):
    __tablename__ = "machine_readiness"
    # Every column the per-unit aggregate reads (collector.store.readiness.unit_count_rows), after
    # (unit_id, seen_at): the aggregate scans this index alone, never the rows (revision 0008).
    __table_args__ = (Index("ix_machine_readiness_counts", "unit_id", "seen_at", "role", "via_network", "has_lan",
                            "has_internet", "has_dedicated_line", "av_installed", "av_licensed", "av_up_to_date",
                            "os_activated", "backup_ok", "hardware_ok", "has_scanner", "has_signing_cert",
                            "offline_isolated"),)

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(512), index=True)
    role: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Collector clock of the newest report: "in use" is a report within the indicators' in_use_days."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    via_network: Mapped[bool | None] = mapped_column(Boolean)
    """How the newest report came (True: HTTP; False: imported file); kept when the scan does not know."""
    has_lan: Mapped[bool | None] = mapped_column(Boolean)
    has_internet: Mapped[bool | None] = mapped_column(Boolean)
    has_dedicated_line: Mapped[bool | None] = mapped_column(Boolean)
    av_installed: Mapped[bool | None] = mapped_column(Boolean)
    av_licensed: Mapped[bool | None] = mapped_column(Boolean)
    av_up_to_date: Mapped[bool | None] = mapped_column(Boolean)
    os_activated: Mapped[bool | None] = mapped_column(Boolean)
    backup_ok: Mapped[bool | None] = mapped_column(Boolean)
    hardware_ok: Mapped[bool | None] = mapped_column(Boolean)
    has_scanner: Mapped[bool | None] = mapped_column(Boolean)
    has_signing_cert: Mapped[bool | None] = mapped_column(Boolean)
    """Holds a digital-signature certificate of an accepted issuer valid for 30+ days (revision 0011)."""
    offline_isolated: Mapped[bool | None] = mapped_column(Boolean)
    """No sign of any network connection in the newest report (meaningful for the offline PC)."""
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    """The facts behind the columns (ages, sizes, product names), for explaining a figure."""


class ReadinessSnapshot(Base):
    """One day's figure of one indicator for one unit's subtree (the trend)."""

    __tablename__ = "readiness_snapshots"
    __table_args__ = (
        UniqueConstraint("unit_id", "indicator", "day", name="uq_readiness_snapshots_unit_indicator_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    indicator: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
