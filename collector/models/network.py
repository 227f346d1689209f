"""Tables of the network area: LAN devices and sweeps, SNMP devices and their polls, and the
links (dedicated data line, Internet uplink) configured per unit. Revision 0003 creates them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class LinkKind(enum.StrEnum):
    DEDICATED_LINE = "dedicated_line"  # đường truyền số liệu chuyên dùng
    INTERNET = "internet"


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


class SnmpDevice(Base):
    """A router or switch to poll. ``credentials_json`` is a collector.network.snmp V2c/V3 as JSON;
    a secret written ``env:NAME`` is read from the environment at poll time instead."""

    __tablename__ = "snmp_devices"
    __table_args__ = (UniqueConstraint("host", "port", name="uq_snmp_devices_host_port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    credentials_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SnmpPoll(Base):
    """One poll of a device: its system group and interfaces (JSON), or the failure."""

    __tablename__ = "snmp_polls"
    __table_args__ = (Index("ix_snmp_polls_device_polled", "device_id", "polled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("snmp_devices.id"))
    polled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    error_kind: Mapped[str] = mapped_column(String(16), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    sys_name: Mapped[str] = mapped_column(String(255), default="")
    sys_descr: Mapped[str] = mapped_column(Text, default="")
    sys_location: Mapped[str] = mapped_column(String(255), default="")
    uptime_ticks: Mapped[int | None] = mapped_column(BigInteger)
    interfaces_json: Mapped[str] = mapped_column(Text, default="[]")


class NetworkLink(Base):
    """A unit's dedicated-line or Internet link: the router interface that carries it (SNMP)
    and reachability targets on that network (``targets_json``: ["host:port", ...])."""

    __tablename__ = "network_links"
    __table_args__ = (UniqueConstraint("unit_id", "kind", name="uq_network_links_unit_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("snmp_devices.id"), index=True)
    interface: Mapped[str] = mapped_column(String(128), default="")
    targets_json: Mapped[str] = mapped_column(Text, default="[]")
