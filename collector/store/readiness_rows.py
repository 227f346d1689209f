"""Each machine's readiness row (``machine_readiness``): written as its report is judged (ingest,
one row; the scan, the rows of the machines it judged, together) and refreshed by the scan as the
ages it holds move (:func:`refresh_machine_readiness`). The scan also keeps each machine's users
those of its current report (collector.store.officials.sync_machine_users)."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness
from collector.models.units import Unit
from collector.store.licences import licence_terms, seat_holders
from collector.store.machines import agentless_machines
from collector.store.officials import sync_machine_users
from collector.store.stored_state import decode_state
from collector.store.unit_context import UnitContexts, machine_context
from rules.facts import MachineContext, av_licence_verdict, machine_facts
from rules.indicators import IndicatorSet, builtin_indicators
from rules.licences import covers_of
from rules.readiness import ComputedReadiness, agentless_readiness, machine_readiness

log = logging.getLogger("canhgac.readiness")
_CHUNK = 500
"""Rows written by one statement, and machines whose reports one refresh step reads."""


def readiness_row(machine_id: int, unit_id: int, unit_path: str, report: Report, facts: Mapping[str, Any],
                  seen_at: datetime, now: datetime, indicators: IndicatorSet | None = None,
                  av_licence: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``machine_readiness`` row of a machine from its rules facts (pure); ``indicators`` as
    they apply in its unit."""
    computed = machine_readiness(facts, report, now, indicators or builtin_indicators(), av_licence)
    return _row(machine_id, unit_id, unit_path, str(facts["role"]), seen_at, now, facts.get("report.via_network"),
                computed)


def agentless_row(machine_id: int, unit_id: int, unit_path: str, role: str, seen_at: datetime, now: datetime,
                  lan_seen: bool) -> dict[str, Any]:
    """The row of a machine declared from a LAN device (rules.readiness.agentless_readiness)."""
    return _row(machine_id, unit_id, unit_path, role, seen_at, now, None, agentless_readiness(lan_seen))


def _row(machine_id: int, unit_id: int, unit_path: str, role: str, seen_at: datetime, now: datetime,
         via_network: bool | None, computed: ComputedReadiness) -> dict[str, Any]:
    return {"machine_id": machine_id, "unit_id": unit_id, "unit_path": unit_path, "role": role,
            "seen_at": seen_at, "updated_at": now, "via_network": via_network,
            **computed.values, "detail_json": json.dumps(computed.detail, ensure_ascii=False, default=str)}


def upsert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace readiness rows; ``via_network`` is kept when the new row does not know it."""
    if not rows:
        return
    statement = _upsert_statement(session.get_bind().dialect.name, tuple(rows[0]))
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, list(rows[start:start + _CHUNK]))


@lru_cache(maxsize=8)
def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """Built once per dialect: parameters bound at execution, so SQLAlchemy compiles it once
    (a ``.values(...)`` statement would be compiled again for every report)."""
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = MachineReadiness.__table__  # Core, not the ORM's bulk insert: one executemany, no ORM work
    statement = builder(table)
    updates: dict[str, Any] = {c: statement.excluded[c] for c in columns if c != "machine_id"}
    updates["via_network"] = func.coalesce(statement.excluded.via_network, table.c.via_network)
    return statement.on_conflict_do_update(index_elements=["machine_id"], set_=updates)


@dataclass(frozen=True)
class JudgedState:
    """A machine's current report as the scan read it, with the facts judged on it."""

    machine_id: int
    unit_id: int
    unit_path: str
    report: Report
    meta: MachineContext
    facts: Mapping[str, Any]
    seen_at: datetime | None
    indicators: IndicatorSet
    """As they apply in the machine's unit."""


def record_judged_readiness(session: Session, judged: Sequence[JudgedState], now: datetime,
                            with_users: bool = True) -> None:
    """The readiness rows of machines whose reports were just read and judged (written together),
    and (``with_users``) their users made those of the reports."""
    upsert_rows(session, [readiness_row(j.machine_id, j.unit_id, j.unit_path, j.report, j.facts, j.seen_at or now,
                                        now, j.indicators, av_licence_verdict(j.report, j.meta, now).as_detail())
                          for j in judged])
    if with_users:
        sync_machine_users(session, {j.machine_id: j.report.users.users for j in judged if j.report.users is not None})


def refresh_machine_readiness(session: Session, now: datetime, only_missing: bool = False,
                              indicators: IndicatorSet | None = None,
                              changed: Collection[int] | None = None) -> int:
    """Recompute every machine's row from its stored state at ``now`` (ages change with time; rows
    of machines stored before this table existed are created), and the rows of the machines
    declared without an agent. Returns how many rows were written.

    ``changed`` (the incremental scan's judged machines): only those, the rows not yet refreshed
    today (UTC) and missing rows; the ages a row holds count whole days, so a row refreshed today
    stays right until tomorrow unless the machine's own inputs changed."""
    indicators = indicators or builtin_indicators()
    query = select(Machine.id, Machine.unit_id, Machine.last_seen_at, Unit.path) \
        .join(Unit, Machine.unit_id == Unit.id).where(Machine.state_json.is_not(None)).order_by(Machine.id)
    if changed is not None:
        today = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
        kept = select(MachineReadiness.machine_id).where(MachineReadiness.machine_id == Machine.id,
                                                         MachineReadiness.updated_at >= today)
        query = query.where(Machine.id.in_(list(changed)) | ~kept.exists())
    if only_missing:
        query = query.where(~select(MachineReadiness.machine_id)
                            .where(MachineReadiness.machine_id == Machine.id).exists())
    machines = session.execute(query).all()
    reader = _StateReader(session, indicators, now)
    written = 0
    for start in range(0, len(machines), _CHUNK):
        judged = reader.read(machines[start:start + _CHUNK])
        record_judged_readiness(session, judged, now, with_users=not only_missing)
        written += len(judged)
    rows = [agentless_row(m.id, m.unit_id, m.unit_path, m.role, m.seen_at, now, m.lan_seen)
            for m in agentless_machines(session, only_missing)]
    upsert_rows(session, rows)
    return written + len(rows)


class _StateReader:
    """Machines' stored reports read and judged for their readiness rows (the licence register and
    the units' indicators read once)."""

    def __init__(self, session: Session, indicators: IndicatorSet, now: datetime) -> None:
        self.session, self.now = session, now
        self.terms = licence_terms(session)
        self.holders = seat_holders(session, self.terms)
        self.units = UnitContexts(session, indicators, now)

    def read(self, machines: Sequence[Any]) -> list[JudgedState]:
        """``machines``: (id, unit_id, last_seen_at, path) rows; one without a decodable report is skipped."""
        states = dict(self.session.execute(select(Machine.id, Machine.state_json)
                                           .where(Machine.id.in_([m.id for m in machines]))).all())
        judged = []
        for machine_id, unit_id, last_seen, path in machines:
            try:
                report = decode_state(states.get(machine_id) or "")
            except msgspec.DecodeError:
                log.warning("machine %s: stored state does not decode; no readiness row", machine_id)
                continue
            unit = self.units.of(path)
            meta = machine_context(unit, last_seen_at=last_seen,
                                   licences=covers_of(machine_id, path, self.terms, self.holders))
            judged.append(JudgedState(machine_id, unit_id, path, report, meta, machine_facts(report, meta, self.now),
                                      last_seen, unit))
        return judged
