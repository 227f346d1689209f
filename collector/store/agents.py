"""Agents that lag behind: older than the collector (their program or their report schema) or running
with older settings than their unit's (collector.store.settings). What ``/agents`` lists."""

from __future__ import annotations

import re

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agent.wire.schema import SCHEMA_VERSION
from collector.models.machines import Machine
from collector.models.units import Unit
from collector.store.scope import Scope


class OutdatedAgent(msgspec.Struct, frozen=True, kw_only=True):
    machine_id: int
    hostname: str
    unit_code: str
    agent_version: str
    report_schema: int


def version_key(version: str) -> tuple[int, ...] | None:
    """"0.1.0" -> (0, 1, 0); None when it is not dotted numbers (then it cannot be compared)."""
    parts = re.findall(r"\d+", version.split("+")[0])
    return tuple(int(p) for p in parts) if parts and re.fullmatch(r"[0-9.]+.*", version) else None


def is_older(agent_version: str, report_schema: int, collector_version: str) -> bool:
    """Whether an agent is older than the collector: a report schema before the current one, or a
    program version below the collector's (an unreadable version counts as older)."""
    if 0 < report_schema < SCHEMA_VERSION:
        return True
    mine, theirs = version_key(collector_version), version_key(agent_version)
    return theirs is None or (mine is not None and theirs < mine)


def outdated_agents(session: Session, scope: Scope, collector_version: str, limit: int = 500) -> list[OutdatedAgent]:
    """Machines in scope whose newest report came from an agent older than the collector."""
    rows = session.execute(select(Machine.id, Machine.hostname, Unit.code, Machine.agent_version, Machine.report_schema)
                           .join(Unit, Machine.unit_id == Unit.id).where(
        scope.units_clause(), Machine.report_schema > 0,
        or_(Machine.report_schema < SCHEMA_VERSION, Machine.agent_version != collector_version))
        .order_by(Machine.hostname))
    found = []
    for machine_id, hostname, code, version, schema in rows:
        if is_older(version, schema, collector_version):
            found.append(OutdatedAgent(machine_id=machine_id, hostname=hostname, unit_code=code,
                                       agent_version=version, report_schema=schema))
            if len(found) >= limit:
                break
    return found
