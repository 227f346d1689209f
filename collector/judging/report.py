"""Judging one report as it is stored: the machine rules, on the report that became the machine's
current state, and its readiness row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.judging.rules import LoadedRules, log
from collector.models.machines import Machine
from collector.models.reports import StoredReport
from collector.models.units import Unit
from collector.store.alerts import Subject, apply_findings
from collector.store.licences import licence_terms
from collector.store.readiness import record_machine_readiness
from collector.store.units import path_ids
from rules.engine import evaluate
from rules.facts import MachineContext, machine_facts
from rules.licences import valid_patterns


def _unit_chain(session: Session, path: str) -> tuple[str, ...]:
    ids = path_ids(path)
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(ids))).all())
    return tuple(codes[i] for i in ids if i in codes)


def judge_report(session: Session, machine_id: int, agent_id: str, report: Report, now: datetime,
                 via_network: bool | None, rules: LoadedRules) -> int:
    """Run the machine rules on a report just stored, if it became the machine's current state.
    Returns how many alerts changed."""
    row = session.execute(select(Machine.unit_id, Machine.state_sequence, Machine.current_agent_id, Unit.path)
                          .join(Unit, Machine.unit_id == Unit.id).where(Machine.id == machine_id)).first()
    if row is None or row.current_agent_id != agent_id or row.state_sequence != report.identity.sequence:
        return 0
    previous = session.scalar(select(StoredReport.collected_at).where(
        StoredReport.machine_id == machine_id, StoredReport.received_at < now)
        .order_by(StoredReport.received_at.desc()).limit(1))
    meta = MachineContext(via_network=via_network, previous_collected_at=previous, last_seen_at=now,
                          licence_patterns=valid_patterns(licence_terms(session), row.path, now.date()))
    facts = machine_facts(report, meta, now)
    record_machine_readiness(session, machine_id, row.unit_id, row.path, report, facts, now)
    findings = evaluate(rules.ruleset, facts, now, subject=f"machine:{machine_id}",
                        units=_unit_chain(session, row.path))
    return len(apply_findings(session, Subject(f"machine:{machine_id}", row.unit_id, machine_id), findings,
                              rules.rules, now))


def judge_safely(session: Session, machine_id: int, agent_id: str, report: Report, now: datetime,
                 via_network: bool | None, rules: LoadedRules) -> None:
    """``judge_report`` inside a savepoint for the ingest path: a failure of the rules is logged and
    rolled back alone, and the report stays stored (judging must never cost a report)."""
    try:
        with session.begin_nested():
            judge_report(session, machine_id, agent_id, report, now, via_network, rules)
    except Exception:  # noqa: BLE001 - any failure here must not reach the agent as a refusal
        log.exception("rules failed on report %s of machine %s; the report is stored",
                      report.identity.sequence, machine_id)
