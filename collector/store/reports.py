"""Storing a verified report: each (agent, sequence) exactly once, history compressed."""

from __future__ import annotations

import enum
import hashlib
import zlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.schema import Report
from collector.errors import Conflict
from collector.models import Agent, Machine, StoredReport


class StoreOutcome(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"


def store_report(session: Session, agent: Agent, report: Report, body: bytes, now: datetime) -> StoreOutcome:
    """Store ``report`` once per (agent, sequence); a resend of the same body is a DUPLICATE.

    The same sequence with a different body raises Conflict. The machine's current state moves
    only forward (a late retry of an older sequence lands in history, not in the current state).
    """
    digest = hashlib.sha256(body).hexdigest()
    sequence = report.identity.sequence
    if (outcome := _existing_outcome(session, agent.id, sequence, digest)) is not None:
        return outcome
    row = StoredReport(agent_id=agent.id, machine_id=agent.machine_id, sequence=sequence, received_at=now,
                       collected_at=report.identity.collected_at, body_sha256=digest,
                       body_zlib=zlib.compress(body, 6))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another request stored the same (agent, sequence) between our look and our insert.
        return _existing_outcome(session, agent.id, sequence, digest) or StoreOutcome.DUPLICATE
    _update_machine(session, agent, report, body, now)
    return StoreOutcome.STORED


def _existing_outcome(session: Session, agent_id: str, sequence: int, digest: str) -> StoreOutcome | None:
    stored = session.scalar(select(StoredReport.body_sha256).where(
        StoredReport.agent_id == agent_id, StoredReport.sequence == sequence))
    if stored is None:
        return None
    if stored != digest:
        raise Conflict(f"sequence {sequence} of agent {agent_id} was already stored with other content",
                       code="sequence_conflict")
    return StoreOutcome.DUPLICATE


def _update_machine(session: Session, agent: Agent, report: Report, body: bytes, now: datetime) -> None:
    machine = session.get_one(Machine, agent.machine_id, with_for_update=True)
    machine.last_seen_at = max(machine.last_seen_at or now, now)
    if machine.current_agent_id != agent.id or report.identity.sequence <= machine.state_sequence:
        return
    machine.state_sequence = report.identity.sequence
    machine.state_json = body.decode("utf-8")
    machine.last_collected_at = report.identity.collected_at
    machine.hostname = report.identity.hostname or machine.hostname
    machine.os_name = " ".join(filter(None, (report.identity.os_name, report.identity.os_version))) or machine.os_name
    machine.role = str(report.role)


def read_report_body(row: StoredReport) -> bytes:
    return zlib.decompress(row.body_zlib)
