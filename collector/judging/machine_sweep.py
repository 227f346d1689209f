"""The scan's machine part, incremental: a machine is judged again only when what its verdicts
depend on changed since its last scan, or when the clock may have changed one.

What a verdict depends on: the stored report (its sequence), the machine's unit (path), when it
was last seen, the licence entries covering it, its MAC seen on the LAN, refused reports, its
agent's key history, and, for every machine, the rules, overrides and indicators and the year
(``rules_fingerprint``). Their digest is kept per machine (scan_marks) with the first time a
clock fact could change a verdict (rules.clock_facts); the unit rules' counts (offline PC,
dedicated line) are kept beside it, so an unchanged machine's report is not even read.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy.orm import Session

from agent.wire.schema import ReachKind, Report, Role
from collector.judging.rules import LoadedRules
from collector.store.alerts import Subject, apply_findings
from collector.store.machines import StoredState, machines_with_state
from collector.store.scan import Mark, lock_if_unchanged, save_marks, scan_marks, states_of
from collector.store.unit_context import machine_context, report_year
from collector.store.units import UnitRow, unit_chains
from rules.clock_facts import next_change
from rules.engine import evaluate_fleet
from rules.facts import MachineContext, machine_facts
from rules.licences import LicenceTerm, covers_of
from rules.model import RuleScope

if TYPE_CHECKING:
    from collector.judging.scan import ScanSummary, _Seen


CHUNK = 2000
"""Machines read and judged together (their reports and facts in memory at once)."""


@dataclass(frozen=True)
class Counted:
    """What the unit rules count of one machine."""

    unit_path: str
    offline: bool
    line: bool | None


@dataclass
class SweepResult:
    counted: list[Counted] = field(default_factory=list)
    judged: int = 0
    """Machines judged again in this scan (the others' verdicts could not have changed)."""
    judged_ids: list[int] = field(default_factory=list)


def sweep_machines(session: Session, rules: LoadedRules, units: Sequence[UnitRow], terms: Sequence[LicenceTerm],
                   now: datetime, summary: ScanSummary, seen: _Seen) -> SweepResult:
    """Judge the machines whose inputs changed or whose clock time came; count every machine."""
    by_id = {u.id: u for u in units}
    chains = unit_chains(units)
    fingerprint = rules_fingerprint(rules, now)
    marks = scan_marks(session)
    result = SweepResult()
    due: list[tuple[StoredState, MachineContext, str]] = []
    for machine in machines_with_state(session, with_json=False):
        unit = by_id[machine.unit_id]
        meta = _context(machine, unit, terms, seen)
        inputs = _digest(fingerprint, machine, unit.path, meta)
        mark = marks.get(f"machine:{machine.id}")
        summary.machines += 1
        if mark is not None and mark.inputs == inputs and (mark.due_at is None or mark.due_at > now):
            result.counted.append(Counted(unit.path, mark.offline, mark.line))
        else:
            due.append((machine, meta, inputs))
    new_marks = []
    for start in range(0, len(due), CHUNK):
        for machine, mark in _judge_chunk(session, rules, by_id, chains, due[start:start + CHUNK], now, summary):
            new_marks.append((f"machine:{machine.id}", mark))
            result.counted.append(Counted(by_id[machine.unit_id].path, mark.offline, mark.line))
    save_marks(session, new_marks, now)
    result.judged = len(due)
    result.judged_ids = [machine.id for machine, _, _ in due]
    return result


def _judge_chunk(session: Session, rules: LoadedRules, by_id: dict[int, UnitRow], chains: dict[int, tuple[str, ...]],
                 due: Sequence[tuple[StoredState, MachineContext, str]], now: datetime,
                 summary: ScanSummary) -> list[tuple[StoredState, Mark]]:
    """Read, judge (the chunk's machines of one override chain together: rules.engine.evaluate_fleet)
    and store the verdicts of ``due``; returns each judged machine's new mark."""
    states = states_of(session, [machine.id for machine, _, _ in due])
    groups: dict[tuple[str, ...], list[tuple[StoredState, Report, dict[str, Any], str]]] = {}
    for machine, meta, inputs in due:
        try:
            report = msgspec.json.decode(states.get(machine.id) or "", type=Report)
        except msgspec.DecodeError:
            summary.undecodable.append(machine.id)
            summary.machines -= 1  # counted as scanned only when its report could be judged
            continue
        chain = tuple(u for u in chains[machine.unit_id] if u in rules.ruleset.overrides)
        groups.setdefault(chain, []).append((machine, report, machine_facts(report, meta, now), inputs))
    marks = []
    for chain, members in groups.items():
        found = evaluate_fleet(rules.ruleset, [(f"machine:{m.id}", facts) for m, _, facts, _ in members], now,
                               units=chain)
        for (machine, report, facts, inputs), findings in zip(members, found, strict=True):
            judges = rules.ruleset.judges(chain, RuleScope.MACHINE, facts.get("role"))
            mark = Mark(inputs, next_change([j.item for j in judges], facts, now), report.role == Role.OFFLINE,
                        _line(report))
            if lock_if_unchanged(session, machine.id, machine.state_sequence, machine.last_seen_at):
                # Facts only ingest knows (report.via_network) are None here: those rules judge
                # unknown, which leaves their alerts as ingest set them.
                subject = Subject(f"machine:{machine.id}", by_id[machine.unit_id].id, machine.id)
                summary.changes += len(apply_findings(session, subject, findings, rules.rules, now))
            else:  # a report arrived meanwhile: ingest judged it; judged again at the next scan
                mark = dataclasses.replace(mark, inputs="")
            marks.append((machine, mark))
    return marks


def _context(machine: StoredState, unit: UnitRow, terms: Sequence[LicenceTerm], seen: _Seen) -> MachineContext:
    keys = seen.keys.get(machine.id)
    return machine_context(seen.contexts.of(unit.path), last_seen_at=machine.last_seen_at,
                           licences=covers_of(machine.id, unit.path, terms, seen.holders),
                           mac_seen_on_lan=seen.network.mac_seen_since(machine.id, machine.last_seen_at),
                           rejected_reports=seen.rejections.get(machine.id, 0),
                           reenrolled=keys.reenrolled if keys else None,
                           key_enrolled_at=keys.enrolled_at if keys else None)


def _digest(fingerprint: str, machine: StoredState, unit_path: str, meta: MachineContext) -> str:
    text = json.dumps([fingerprint, machine.state_sequence, unit_path, _canonical(meta)], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _line(report: Report) -> bool | None:
    if report.network is None:
        return None
    results = [r.reachable for r in report.network.reachability if r.kind == ReachKind.DEDICATED_LINE]
    return any(results) if results else None


def rules_fingerprint(rules: LoadedRules, now: datetime) -> str:
    """The digest of everything every machine's verdicts share: rules (as written, with their
    titles and remediation, which alerts carry), overrides, indicators, the year, and which dated
    rules are active today."""
    today = now.date().isoformat()
    active = sorted(c.rule.id for c in rules.ruleset.rules
                    if (not c.rule.active_from or today >= c.rule.active_from)
                    and not (c.rule.active_until and today >= c.rule.active_until))
    shared = [[_canonical(c.rule) for c in rules.ruleset.rules], _canonical(rules.ruleset.overrides),
              _canonical(rules.indicators), report_year(now), active]
    return hashlib.sha256(json.dumps(shared, default=str, sort_keys=True).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON-able data, the same in every process (sets sorted, enums by value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, set | frozenset):
        return sorted(str(_canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
