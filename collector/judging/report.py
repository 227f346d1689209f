"""Judging one report as it is stored: the machine rules, on the report that became the machine's
current state (collector.store.reports says which), and its readiness row. Still per report; what
it reads of the units and the licence register is read once per batch (collector.judging.memo)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.judging.memo import memo
from collector.judging.rules import LoadedRules, log
from collector.store.alerts import Subject, apply_findings
from collector.store.licences import licence_terms, machine_covers
from collector.store.readiness import record_machine_readiness
from collector.store.reports import CurrentMachine
from collector.store.unit_context import machine_context, report_year
from collector.store.units import unit_codes_on_path
from rules.engine import evaluate
from rules.facts import av_licence_verdict, machine_facts


def judge_report(session: Session, machine: CurrentMachine, report: Report, now: datetime,
                 via_network: bool | None, rules: LoadedRules) -> int:
    """Run the machine rules on ``report``, just stored as the machine's current state, and write
    its readiness row. Returns how many alerts changed."""
    path = machine.unit_path
    chain = memo(session, ("unit chain", path), lambda: unit_codes_on_path(session, path))
    indicators = memo(session, ("indicators", path, report_year(now)),
                      lambda: rules.indicators.for_unit(chain, report_year(now)))
    terms = memo(session, "licence terms", lambda: licence_terms(session))
    meta = machine_context(indicators, via_network=via_network, last_seen_at=now,
                           previous_collected_at=machine.previous_collected_at,
                           licences=machine_covers(session, machine.id, path, terms))
    facts = machine_facts(report, meta, now)
    record_machine_readiness(session, machine.id, machine.unit_id, path, report, facts, now,
                             indicators, av_licence_verdict(report, meta, now).as_detail())
    findings = evaluate(rules.ruleset, facts, now, subject=f"machine:{machine.id}", units=chain)
    return len(apply_findings(session, Subject(f"machine:{machine.id}", machine.unit_id, machine.id), findings,
                              rules.rules, now))


def judge_safely(session: Session, machine: CurrentMachine, report: Report, now: datetime,
                 via_network: bool | None, rules: LoadedRules) -> None:
    """``judge_report`` inside a savepoint for the ingest path: a failure of the rules is logged and
    rolled back alone, and the report stays stored (judging must never cost a report)."""
    try:
        with session.begin_nested():
            judge_report(session, machine, report, now, via_network, rules)
    except Exception:  # noqa: BLE001 - any failure here must not reach the agent as a refusal
        log.exception("rules failed on report %s of machine %s; the report is stored",
                      report.identity.sequence, machine.id)
