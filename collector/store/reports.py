"""Storing a verified report: each (agent, sequence) exactly once, history compressed.

This is the ingest hot path, so it speaks SQLAlchemy Core: one INSERT ... ON CONFLICT DO
NOTHING decides "stored" or "already there" atomically on SQLite and PostgreSQL alike, and the
machine's current state moves by two UPDATEs, without loading ORM objects.
"""

from __future__ import annotations

import enum
import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Row, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.agent_keys import vault_of
from collector.errors import Conflict
from collector.models.enrollment import Agent
from collector.models.machines import Machine
from collector.models.reports import StoredReport
from collector.models.units import Unit
from collector.store.machine_search import search_text
from collector.store.officials import record_machine_users
from collector.store.products import names_digest, product_names, record_machine_products
from collector.store.report_sections import SET_ID_BY_DIGEST, section_set_digest, split_for_storage, store_section_set


class StoreOutcome(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class CurrentMachine:
    """The machine whose current state a report just became: what judging it needs
    (collector.judging.report)."""

    id: int
    unit_id: int
    unit_path: str
    previous_collected_at: datetime | None
    """The agent clock of the machine's state before this report (its previous report); None
    for its first."""


@dataclass(frozen=True)
class Stored:
    """What storing a report did: its outcome and, when it became the machine's current state,
    that machine."""

    outcome: StoreOutcome
    current: CurrentMachine | None = None
    """None when the report went to history only (an older sequence) or was already stored."""


@dataclass(frozen=True)
class AgentCredentials:
    """What verifying and storing a report needs to know of its agent."""

    id: str
    machine_id: int
    key: str
    revoked: bool
    unit_path: str = ""
    """The path of its machine's unit (collector.store.units)."""


def find_agent(session: Session, agent_id: str) -> AgentCredentials | None:
    """The agent with its key opened (collector.agent_keys; a revoked agent's key is not needed and
    stays shut: ""); None when unknown. AgentKeysUnavailable when the collector lacks the secret."""
    sealed = find_sealed_agents(session, [agent_id]).get(agent_id)
    return None if sealed is None else opened_agent(session, sealed)


@dataclass(frozen=True)
class SealedAgent:
    """An agent as stored: its key still sealed (:func:`opened_agent` opens it)."""

    id: str
    machine_id: int
    sealed_key: str
    revoked: bool
    unit_path: str


def find_sealed_agents(session: Session, agent_ids: Sequence[str]) -> dict[str, SealedAgent]:
    """The known agents among ``agent_ids`` (a batch's senders) by one query per ``AGENTS_READ``."""
    found: dict[str, SealedAgent] = {}
    for start in range(0, len(agent_ids), AGENTS_READ):
        for row in session.execute(_AGENTS_BY_ID, {"agent_ids": list(agent_ids[start:start + AGENTS_READ])}):
            found[row.id] = SealedAgent(row.id, row.machine_id, row.key, row.revoked_at is not None, row.path)
    return found


def opened_agent(session: Session, agent: SealedAgent) -> AgentCredentials:
    """``agent`` with its key opened (each agent's on its own: one damaged key fails its own reports only)."""
    key = "" if agent.revoked else vault_of(session).open(agent.id, agent.sealed_key)
    return AgentCredentials(id=agent.id, machine_id=agent.machine_id, key=key, revoked=agent.revoked,
                            unit_path=agent.unit_path)


AGENTS_READ = 500
"""Agents one query reads (an IN list well below every backend's parameter limit)."""

_AGENTS, _UNITS = Agent.__table__, Unit.__table__
_AGENTS_BY_ID = (select(_AGENTS.c.id, _AGENTS.c.machine_id, _AGENTS.c.key, _AGENTS.c.revoked_at, _UNITS.c.path)
                 .join(Machine.__table__, Machine.__table__.c.id == _AGENTS.c.machine_id)
                 .join(_UNITS, _UNITS.c.id == Machine.__table__.c.unit_id)
                 .where(_AGENTS.c.id.in_(bindparam("agent_ids", expanding=True))))
"""On the tables, not the mapped classes: an ORM-enabled select costs the session about 20 µs more
a report (bench/ingest_work.py)."""


def store_report(session: Session, agent: AgentCredentials, report: Report, body: bytes,
                 now: datetime, state_body: bytes | None = None, left_out: Mapping[str, str] | None = None,
                 ) -> Stored:
    """Store ``report`` once per (agent, sequence); a resend of the same body is a DUPLICATE.

    The same sequence with a different body raises Conflict. The machine's current state moves
    only forward (a late retry of an older sequence lands in history, not in the current state).
    ``body`` is stored as signed, its shared sections once per content (report_sections);
    ``left_out``: the sections it named by hash; ``state_body``: the whole report for the machine's
    state when it differs from ``body`` (collector.intake.expand).
    """
    # The machine seen now; on PostgreSQL the UPDATE holds its row until the transaction ends, so
    # reports of one machine at two workers take turns (and the scan: collector.store.scan.lock_current_states).
    rows = session.connection()  # Core statements on the session's own connection: ~9 µs less each than Session.execute
    before = rows.execute(_SEEN, {"machine_id": agent.machine_id, "now": now}).one()
    digest = hashlib.sha256(body).hexdigest()
    sequence = report.identity.sequence
    skeleton, sections = split_for_storage(body)
    also = (left_out or {}).values()
    set_digest = section_set_digest(sections, also)
    values = {"agent_id": agent.id, "machine_id": agent.machine_id, "sequence": sequence, "received_at": now,
              "collected_at": report.identity.collected_at, "body_sha256": digest,
              "body_zlib": zlib.compress(skeleton, 6), "set_digest": set_digest}
    inserted = rows.execute(_insert_report(rows.dialect.name), values).first()
    if inserted is None:
        return Stored(_outcome_of_resend(session, agent.id, sequence, digest))
    report_id, set_id = inserted
    if set_id is None and set_digest is not None:  # a set no report named before: stored now
        rows.execute(_NAME_SET, {"report_id": report_id, "set_id": store_section_set(session, sections, also)})
    return Stored(StoreOutcome.STORED, _update_machine(session, agent, report, state_body or body, before))


@cache
def _insert_report(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id and the section set's id, read in the same
    statement by the set's digest (NULL when that set is not stored yet); built once per dialect
    (Core; values bound)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    reports = StoredReport.__table__
    return (insert(reports).values(section_set_id=SET_ID_BY_DIGEST)
            .on_conflict_do_nothing(index_elements=["agent_id", "sequence"])
            .returning(reports.c.id, reports.c.section_set_id))


_NAME_SET = (update(StoredReport.__table__).where(StoredReport.__table__.c.id == bindparam("report_id"))
             .values(section_set_id=bindparam("set_id")))


def _outcome_of_resend(session: Session, agent_id: str, sequence: int, digest: str) -> StoreOutcome:
    stored = session.scalar(select(StoredReport.body_sha256).where(
        StoredReport.agent_id == agent_id, StoredReport.sequence == sequence))
    if stored != digest:
        raise Conflict(f"sequence {sequence} of agent {agent_id} was already stored with other content",
                       code="sequence_conflict")
    return StoreOutcome.DUPLICATE


_MACHINES = Machine.__table__
_SEEN = (update(_MACHINES).where(_MACHINES.c.id == bindparam("machine_id"))
         .values(last_seen_at=case((_MACHINES.c.last_seen_at.is_(None) | (_MACHINES.c.last_seen_at < bindparam("now")),
                                    bindparam("now")), else_=_MACHINES.c.last_seen_at))
         .returning(_MACHINES.c.products_digest, _MACHINES.c.last_collected_at))
_BECOME_CURRENT = (
    update(_MACHINES)
    .where(_MACHINES.c.id == bindparam("machine_id"), _MACHINES.c.current_agent_id == bindparam("agent_id"),
           _MACHINES.c.state_sequence < bindparam("sequence"))
    .values(state_sequence=bindparam("sequence"), state_json=bindparam("state_json"),
            last_collected_at=bindparam("collected_at"), role=bindparam("role"),
            agent_version=bindparam("agent_version"), report_schema=bindparam("report_schema"),
            settings_version=bindparam("settings_version"), search_text=bindparam("search_text"),
            products_digest=bindparam("products_digest"),
            hostname=func.coalesce(bindparam("hostname"), _MACHINES.c.hostname),
            os_name=func.coalesce(bindparam("os_name"), _MACHINES.c.os_name))
    .returning(_MACHINES.c.unit_id))
"""The machine's current state moved forward, built once (Core, not ORM-enabled: the hot path);
its product names' digest with it, the names rewritten only when that digest changed (machine moves
move them: machine_moves)."""


def _update_machine(session: Session, agent: AgentCredentials, report: Report, body: bytes,
                    before: Row[tuple[str | None, datetime | None]]) -> CurrentMachine | None:
    """The machine's state moved to ``report`` when it is newer (``before``: what _SEEN returned);
    the machine then, None when the report is older (history only)."""
    identity = report.identity
    names_before, collected_before = before
    os_name = " ".join(filter(None, (identity.os_name, identity.os_version)))
    names = product_names(report)
    digest = names_digest(names)
    unit_id = session.connection().execute(_BECOME_CURRENT, {
        "machine_id": agent.machine_id, "agent_id": agent.id, "sequence": identity.sequence,
        "state_json": body.decode("utf-8"), "collected_at": identity.collected_at, "role": str(report.role),
        "agent_version": identity.agent_version[:64], "report_schema": report.schema_version,
        "settings_version": report.settings_version, "search_text": search_text(report),
        "products_digest": digest, "hostname": identity.hostname or None,
        "os_name": os_name or None}).scalar()
    if unit_id is None:  # an older report: history only
        return None
    if digest != names_before:
        record_machine_products(session, agent.machine_id, unit_id, names)
    if report.users is not None:
        record_machine_users(session, agent.machine_id, report.users.users)
    return CurrentMachine(agent.machine_id, int(unit_id), agent.unit_path, collected_before)
