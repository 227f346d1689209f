"""Links: a unit's dedicated data line (đường truyền số liệu chuyên dùng) or Internet uplink."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agent.wire.schema import ReachKind
from collector.models.base import Base


class LinkKind(enum.StrEnum):
    DEDICATED_LINE = ReachKind.DEDICATED_LINE.value  # đường truyền số liệu chuyên dùng
    INTERNET = ReachKind.INTERNET.value


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
