"""The officials register (danh sách cán bộ, công chức) per unit, and each machine's interactive
users as its agent reports them (revision 0011): "computers per official" counts officials with
a working machine of their own, assigned by an officer or found by their account name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class Official(Base):
    """One official of a unit; retired ones stay (retired_at set) for the history."""

    __tablename__ = "officials"
    __table_args__ = (Index("ix_officials_unit_retired", "unit_id", "retired_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[str] = mapped_column(String(255), default="")
    account: Mapped[str] = mapped_column(String(128), default="", index=True)
    """The official's account name on the office PCs, normalised (lower case, no domain); "" when none."""
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id"), index=True)
    """The machine an officer assigned to the official (wins over an account match)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MachineUser(Base):
    """An interactive user of a machine, from its current report (Windows profiles and the
    signed-in user, Linux wtmp)."""

    __tablename__ = "machine_users"

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    """Normalised as Official.account."""
    name: Mapped[str] = mapped_column(String(255))
    """As the OS names it ("DOMAIN\\nam")."""
    signed_in: Mapped[bool] = mapped_column(Boolean, default=False)
    last_use: Mapped[datetime | None] = mapped_column(UTCDateTime)
