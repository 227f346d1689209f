"""Judging reports as they are stored: the machine rules on each report that became its machine's
current state (collector.store.reports says which), and its readiness row.

A batch of reports (collector.intake.batch) is judged together once all of them are stored, in
rounds: the first report of each machine in the batch, then each machine's second, and so on, so
that every report is still judged on its own, after the one before it of the same machine. A round
reads its machines' alerts with one query and writes their changes and readiness rows with one
statement per kind (collector.store.alerts.apply_many_findings, readiness_rows.upsert_rows). What
it reads of the units and the licence register is read once per batch (collector.judging.memo),
after the batch's reports are stored: each machine's rank among a licence's installs is the one
the batch leaves (the scan ranks them the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from agent.wire.schema import Report
from collector.judging.memo import memo
from collector.judging.rules import LoadedRules, log
from collector.store.alerts import Subject, apply_many_findings
from collector.store.licences import licence_terms, machine_covers, seat_holders
from collector.store.readiness_rows import readiness_row, upsert_rows
from collector.store.reports import CurrentMachine
from collector.store.unit_context import machine_context, report_year
from collector.store.units import unit_codes_on_path
from rules.engine import evaluate
from rules.facts import av_licence_verdict, machine_facts
from rules.model import Finding


@dataclass(frozen=True)
class ReportToJudge:
    """A report just stored as its machine's current state, with how and when it came."""

    machine: CurrentMachine
    report: Report
    now: datetime
    via_network: bool | None
    """True over HTTP, False from a file, None when the caller does not say."""


@dataclass(frozen=True)
class _Judged:
    subject: Subject
    findings: list[Finding]
    readiness: dict[str, Any]
    now: datetime


def rounds(reports: Sequence[ReportToJudge]) -> list[list[ReportToJudge]]:
    """The reports in rounds, each machine at most once per round, in their order (pure): the k-th
    report of every machine is in round k."""
    seen: dict[int, int] = {}
    result: list[list[ReportToJudge]] = []
    for report in reports:
        index = seen.get(report.machine.id, 0)
        seen[report.machine.id] = index + 1
        if index == len(result):
            result.append([])
        result[index].append(report)
    return result


def judge_reports(session: Session, reports: Sequence[ReportToJudge], rules: LoadedRules) -> None:
    """Judge ``reports`` (in the order they were stored), round by round, in one savepoint. Judging
    must never cost a report: when the batch's judging fails it is rolled back and each report is
    judged again alone, and a report whose judging fails alone is logged and left stored."""
    if not reports:
        return
    try:
        with session.begin_nested():
            for round_ in rounds(reports):
                _judge_round(session, round_, rules)
    except Exception:  # noqa: BLE001 - judged again one by one below
        log.exception("rules failed on a batch of %d reports; judging them one by one", len(reports))
        for report in reports:
            _judge_alone(session, report, rules)


def _judge_alone(session: Session, report: ReportToJudge, rules: LoadedRules) -> None:
    try:
        with session.begin_nested():
            _judge_round(session, [report], rules)
    except Exception:  # noqa: BLE001 - any failure here must not reach the agent as a refusal
        log.exception("rules failed on report %s of machine %s; the report is stored",
                      report.report.identity.sequence, report.machine.id)


def _judge_round(session: Session, reports: Sequence[ReportToJudge], rules: LoadedRules) -> None:
    """Reports of distinct machines: their readiness rows, then their alerts moved, together."""
    judged = [_judged(session, report, rules) for report in reports]
    upsert_rows(session, [j.readiness for j in judged])
    apply_many_findings(session, [(j.subject, j.findings) for j in judged], rules.rules, reports[0].now,
                        moments={j.subject.key: j.now for j in judged})


def _judged(session: Session, item: ReportToJudge, rules: LoadedRules) -> _Judged:
    """The findings and the readiness row of one report (reads only what the batch keeps)."""
    machine, report, now = item.machine, item.report, item.now
    path = machine.unit_path
    chain = memo(session, ("unit chain", path), lambda: unit_codes_on_path(session, path))
    indicators = memo(session, ("indicators", path, report_year(now)),
                      lambda: rules.indicators.for_unit(chain, report_year(now)))
    terms = memo(session, "licence terms", lambda: licence_terms(session))
    holders = {term.id: memo(session, ("seat holders", term.id), lambda term=term: seat_holders(session, [term]))
               .get(term.id, {}) for term in terms if term.covers(path)}  # each entry's once per batch
    meta = machine_context(indicators, via_network=item.via_network, last_seen_at=now,
                           previous_collected_at=machine.previous_collected_at,
                           licences=machine_covers(session, machine.id, path, terms, holders))
    facts = machine_facts(report, meta, now)
    row = readiness_row(machine.id, machine.unit_id, path, report, facts, now, now, indicators,
                        av_licence_verdict(report, meta, now).as_detail())
    subject = Subject(f"machine:{machine.id}", machine.unit_id, machine.id)
    findings = evaluate(rules.ruleset, facts, now, subject=subject.key, units=chain)
    return _Judged(subject, findings, row, now)
