"""Agent settings per unit (revision 0012c): what the centre tells the agents of a unit's subtree
(agent.wire.settings), inherited down the tree; a sub-unit's own value wins over its parent's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UTCDateTime


class UnitSettings(Base):
    __tablename__ = "unit_settings"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, autoincrement=False)
    values_json: Mapped[str] = mapped_column(Text, default="{}")
    """The unit's own settings (keys of agent.wire.settings.SETTING_KEYS)."""
    version: Mapped[int] = mapped_column(Integer, index=True)
    """Taken from one counter for every unit (the largest so far + 1) at each change, so a machine's
    effective version, the largest of its unit's chain, grows with every change that reaches it."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(160), default="")
