"""SQLAlchemy 2 models of what the collector stores. Changes here need an Alembic revision.

Units form a tree of any depth; ``path`` ("/1/7/42/") makes "this unit's subtree" one indexed
prefix match, which is how every people's query is scoped.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"  # abolished 1 July 2025; stays in older data
    COMMUNE = "commune"
    OFFICE = "office"


class PersonRole(enum.StrEnum):
    VIEWER = "viewer"
    OFFICER = "officer"
    ADMIN = "admin"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


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


class EnrollmentToken(Base):
    __tablename__ = "enrollment_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uses: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship()


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
    """The latest report (by sequence of the current agent), as the agent sent it."""

    unit: Mapped[Unit] = relationship()


class Agent(Base):
    """One enrollment of a machine: its own id, key and sequence numbers."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    enrollment_token_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StoredReport(Base):
    """Report history: each (agent, sequence) once, the body zlib-compressed as received."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("agent_id", "sequence", name="uq_reports_agent_sequence"),
        Index("ix_reports_machine_received", "machine_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_zlib: Mapped[bytes] = mapped_column(LargeBinary)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
