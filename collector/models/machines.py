"""Machines: one row per physical PC, with its current state (the latest report)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base, UTCDateTime
from collector.models.units import Unit


class MachineUsage(enum.StrEnum):
    """Whose computer it is: an official's own, or shared (the one-stop desk, the scanner PC),
    which counts as nobody's computer."""

    PERSONAL = "personal"
    SHARED = "shared"


SEARCH_TEXT_MAX = 2000


class Machine(Base):
    """A physical PC; it keeps its id across re-enrollments (matched by machine_uid)."""

    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_uid: Mapped[str] = mapped_column(String(128), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    hostname: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    os_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Collector clock of the newest report received."""
    last_collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Agent clock of the report that ``state_json`` holds."""
    current_agent_id: Mapped[str | None] = mapped_column(String(32))
    state_sequence: Mapped[int] = mapped_column(Integer, default=0)
    state_json: Mapped[str | None] = mapped_column(Text)
    """The latest report (by sequence of the current agent), as the agent sent it (with the
    sections it sent as their hash filled in)."""
    usage: Mapped[str] = mapped_column(String(16), default=MachineUsage.PERSONAL, server_default="personal")
    """A MachineUsage (revision 0011)."""
    agentless: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    """Declared by an officer from a LAN device: the agent cannot run on it (Windows 7/8.1...).
    Indexed (revision 0021): the scan reads these machines without visiting the others."""
    agent_version: Mapped[str] = mapped_column(String(64), default="")
    """Of the current report: the agent's version, the report's schema, the centre's settings
    version it ran with (revision 0012b; "" / 0 / None before the first report after it)."""
    report_schema: Mapped[int] = mapped_column(Integer, default=0)
    settings_version: Mapped[int | None] = mapped_column(Integer)
    search_text: Mapped[str] = mapped_column(String(SEARCH_TEXT_MAX), default="", server_default="")
    """What the machine list's search reads besides the host name, from the current report: serial
    number, MAC and IP addresses, accounts of its users, lower case (revision 0017a;
    collector.store.machine_list.search_text)."""

    products_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the product names machine_products holds for the machine (collector.store.products
    .names_digest), written with them; None: not known, so the next report writes them (revision 0019)."""

    unit: Mapped[Unit] = relationship()
