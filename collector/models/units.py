"""Units: a tree of any depth (province > commune > office; district in older data).

``path`` ("/1/7/42/") makes "this unit's subtree" one indexed prefix match, which is how every
people's query is scoped."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"  # abolished 1 July 2025; stays in older data
    COMMUNE = "commune"
    OFFICE = "office"


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
