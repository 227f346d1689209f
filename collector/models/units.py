"""Units: a tree of any depth (province > commune > office; district in older data).

``path`` ("/1/7/42/") makes "this unit's subtree" one indexed prefix match, which is how every
people's query is scoped. A unit is never deleted: a merged-away or retired unit keeps its row (its
code, name and place in the tree as they were) with ``ended_on`` set, so old reports, exports and the
audit log still name it; only live units (``ended_on`` null) are counted, judged and offered."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class UnitKind(enum.StrEnum):
    """Kinds of unit; since 1 July 2025 a province (tỉnh / thành phố) has commune-level units only:
    communes (xã), wards (phường) and special zones (đặc khu)."""

    PROVINCE = "province"  # tỉnh / thành phố trực thuộc trung ương
    DISTRICT = "district"  # huyện / quận / thị xã: abolished 1 July 2025; stays in older data
    COMMUNE = "commune"  # xã
    OFFICE = "office"  # cơ quan, văn phòng, bộ phận
    WARD = "ward"  # phường
    SPECIAL_ZONE = "special_zone"  # đặc khu


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True)
    staff_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    admin_code: Mapped[str | None] = mapped_column(String(16), index=True)
    """The official administrative unit code (mã đơn vị hành chính), when known (revision 0012a)."""
    ended_on: Mapped[date | None] = mapped_column(Date)
    """The day the unit was merged away or retired (Vietnam date); null while it lives."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    """The survivor a merged-away unit's machines, people and history went to."""
