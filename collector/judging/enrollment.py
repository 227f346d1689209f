"""Judging an enrollment as it happens: a new key for a known machine raises the rules that read
the enrollment facts (``agent.reenrolled``, ``agent.key_age_hours``) at once, so the officer sees
it before the next scan; the scan then keeps or resolves the alert from the same facts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collector.judging.rules import LoadedRules, log
from collector.store.alerts import Subject, apply_findings
from collector.store.enrollment import key_histories
from collector.store.machines import current_agent
from collector.store.units import unit_codes_on_path
from rules.engine import evaluate
from rules.facts import FACT_NAMES

ENROLLMENT_FACTS = frozenset({"agent.reenrolled", "agent.key_age_hours"})


def judge_enrollment(session: Session, machine_id: int, rules: LoadedRules, now: datetime) -> int:
    """Judge the rules that read only enrollment facts on ``machine_id`` just enrolled; their alerts
    alone move (every other alert stays as it was). Returns how many changed."""
    history = key_histories(session, machine_id).get(machine_id)
    current = current_agent(session, machine_id)
    if history is None or current is None:
        return 0
    wanted = {c.rule.id for c in rules.ruleset.rules if c.facts and set(c.facts) <= ENROLLMENT_FACTS}
    if not wanted:
        return 0
    facts: dict[str, object] = dict.fromkeys(FACT_NAMES)
    facts.update({"agent.reenrolled": history.reenrolled,
                  "agent.key_age_hours": max(0, int((now - history.enrolled_at).total_seconds() // 3600))})
    subject = Subject(f"machine:{machine_id}", current.unit_id, machine_id)
    findings = evaluate(rules.ruleset, facts, now, subject=subject.key,
                        units=unit_codes_on_path(session, current.unit_path))
    return len(apply_findings(session, subject, findings, rules.rules, now, only=wanted))



def judge_enrollment_safely(session: Session, machine_id: int, rules: LoadedRules, now: datetime) -> None:
    """:func:`judge_enrollment` in a savepoint: a failure of the rules is logged and rolled back
    alone, and the enrollment stands (as collector.judging.report.judge_reports does for reports)."""
    try:
        with session.begin_nested():
            judge_enrollment(session, machine_id, rules, now)
    except Exception:  # noqa: BLE001 - any failure here must not cost the enrollment
        log.exception("enrollment rules failed on machine %s; the enrollment stands", machine_id)
