"""SNMP: the routers and switches to poll, and their polls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


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
