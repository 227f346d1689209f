"""Tables that join the network area to the rules: the subnets the scheduled scan sweeps, the LAN
devices a person declared known (printers, phones...), and per-agent counts of refused reports
(bad signature, replay) for the tampering rule. Revision 0005 creates them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class LanSubnet(Base):
    """A LAN to sweep in every scheduled scan (``canhgac scan lan --subnet .. --unit .. --save``)."""

    __tablename__ = "lan_subnets"

    id: Mapped[int] = mapped_column(primary_key=True)
    subnet: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    iface: Mapped[str] = mapped_column(String(64), default="")
    """Interface to sweep from; "" means the one routing to the subnet."""
    max_prefix: Mapped[int] = mapped_column(Integer, default=22)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KnownLanDevice(Base):
    """A MAC a person declared known (a printer, the router...): not an "unknown device" any more."""

    __tablename__ = "known_lan_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    mac: Mapped[str] = mapped_column(String(17), unique=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
