"""Storing a verified report: each (agent, sequence) exactly once, history compressed.

This is the ingest hot path, so it speaks SQLAlchemy Core: one INSERT ... ON CONFLICT DO
NOTHING decides "stored" or "already there" atomically on SQLite and PostgreSQL alike, and the
machine's current state moves by two UPDATEs, without loading ORM objects.
"""

from __future__ import annotations

import enum
import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.agent_keys import vault_of
from collector.errors import Conflict
from collector.models.enrollment import Agent
from collector.models.machines import Machine
from collector.models.reports import StoredReport
from collector.store.officials import record_machine_users
from collector.store.products import product_names, record_machine_products
from collector.store.report_sections import split_for_storage, store_section_set
from collector.store.scan import lock_machine


class StoreOutcome(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class AgentCredentials:
    """What verifying and storing a report needs to know of its agent."""

    id: str
    machine_id: int
    key: str
    revoked: bool


def find_agent(session: Session, agent_id: str) -> AgentCredentials | None:
    """The agent with its key opened (collector.agent_keys; a revoked agent's key is not needed and
    stays shut: ""); None when unknown. AgentKeysUnavailable when the collector lacks the secret."""
    row = session.execute(select(Agent.machine_id, Agent.key, Agent.revoked_at).where(Agent.id == agent_id)).first()
    if row is None:
        return None
    revoked = row.revoked_at is not None
    key = "" if revoked else vault_of(session).open(agent_id, row.key)
    return AgentCredentials(id=agent_id, machine_id=row.machine_id, key=key, revoked=revoked)


def store_report(session: Session, agent: AgentCredentials, report: Report, body: bytes,
                 now: datetime, state_body: bytes | None = None, left_out: Mapping[str, str] | None = None,
                 ) -> StoreOutcome:
    """Store ``report`` once per (agent, sequence); a resend of the same body is a DUPLICATE.

    The same sequence with a different body raises Conflict. The machine's current state moves
    only forward (a late retry of an older sequence lands in history, not in the current state).
    ``body`` is stored as signed, its shared sections once per content (report_sections);
    ``left_out``: the sections it named by hash; ``state_body``: the whole report for the machine's
    state when it differs from ``body`` (collector.intake.expand).
    """
    lock_machine(session, agent.machine_id)  # reports of one machine at two workers take turns
    digest = hashlib.sha256(body).hexdigest()
    sequence = report.identity.sequence
    skeleton, sections = split_for_storage(body)
    values = {"agent_id": agent.id, "machine_id": agent.machine_id, "sequence": sequence, "received_at": now,
              "collected_at": report.identity.collected_at, "body_sha256": digest,
              "body_zlib": zlib.compress(skeleton, 6),
              "section_set_id": store_section_set(session, sections, (left_out or {}).values())}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(StoredReport).values(values)
                 .on_conflict_do_nothing(index_elements=["agent_id", "sequence"]).returning(StoredReport.id))
    if session.execute(statement).first() is None:
        return _outcome_of_resend(session, agent.id, sequence, digest)
    _update_machine(session, agent, report, state_body or body, now)
    return StoreOutcome.STORED


def _outcome_of_resend(session: Session, agent_id: str, sequence: int, digest: str) -> StoreOutcome:
    stored = session.scalar(select(StoredReport.body_sha256).where(
        StoredReport.agent_id == agent_id, StoredReport.sequence == sequence))
    if stored != digest:
        raise Conflict(f"sequence {sequence} of agent {agent_id} was already stored with other content",
                       code="sequence_conflict")
    return StoreOutcome.DUPLICATE


def _update_machine(session: Session, agent: AgentCredentials, report: Report, body: bytes, now: datetime) -> None:
    identity = report.identity
    newer_seen = case((Machine.last_seen_at.is_(None) | (Machine.last_seen_at < now), now),
                      else_=Machine.last_seen_at)
    session.execute(update(Machine).where(Machine.id == agent.machine_id).values(last_seen_at=newer_seen))
    os_name = " ".join(filter(None, (identity.os_name, identity.os_version)))
    current = {"state_sequence": identity.sequence, "state_json": body.decode("utf-8"),
               "last_collected_at": identity.collected_at, "role": str(report.role),
               "agent_version": identity.agent_version[:64], "report_schema": report.schema_version,
               "settings_version": report.settings_version}
    if identity.hostname:
        current["hostname"] = identity.hostname
    if os_name:
        current["os_name"] = os_name
    became_current = session.execute(update(Machine).where(
        Machine.id == agent.machine_id, Machine.current_agent_id == agent.id,
        Machine.state_sequence < identity.sequence).values(current)).rowcount == 1
    if became_current:
        unit_id = session.scalar(select(Machine.unit_id).where(Machine.id == agent.machine_id))
        record_machine_products(session, agent.machine_id, unit_id, product_names(report))
        if report.users is not None:
            record_machine_users(session, agent.machine_id, report.users.users)


def previous_collected_at(session: Session, machine_id: int, received_before: datetime) -> datetime | None:
    """The agent clock of the machine's newest report received before ``received_before``."""
    return session.scalar(select(StoredReport.collected_at).where(
        StoredReport.machine_id == machine_id, StoredReport.received_at < received_before)
        .order_by(StoredReport.received_at.desc()).limit(1))
