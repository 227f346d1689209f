"""The LAN: devices seen (by sweep or passive listening), the sweeps, the subnets the scheduled
scan sweeps and the devices a person declared known."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class LanDevice(Base):
    """A device seen on a LAN (by sweep or passive listening), one row per MAC."""

    __tablename__ = "lan_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    mac: Mapped[str] = mapped_column(String(17), unique=True)
    ip: Mapped[str] = mapped_column(String(45))
    vendor: Mapped[str] = mapped_column(String(255), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id"), index=True)
    """The enrolled machine reporting this MAC, when there is one."""
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_by: Mapped[str] = mapped_column(String(16))
    """"sweep" or "passive": how it was last seen."""


class LanSweep(Base):
    """One ARP sweep and what it found (for "new since the last sweep" and history)."""

    __tablename__ = "lan_sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    subnet: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float] = mapped_column(Float)
    found: Mapped[int] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    no_agent: Mapped[int] = mapped_column(Integer)
    offline_seen: Mapped[int] = mapped_column(Integer)


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
