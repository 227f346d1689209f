"""The scan's machine part, incremental: a machine is judged again only when what its verdicts
depend on changed since its last scan, or when the clock may have changed one.

What a verdict depends on (collector.judging.machine_inputs): the stored report (its sequence),
the machine's unit, when it was last seen, the licence entries covering it, its MAC seen on the
LAN, refused reports, its agent's key history, and, for every machine, the rules, overrides and
indicators and the year. It is kept per machine (scan_marks, collector.store.scan_marks) with the
first time a clock fact could change a verdict (rules.clock_facts, from when each of its clock
facts next steps: rules.fact_steps); the unit rules' counts
(offline PC, dedicated line) are kept beside it and summed in SQL. The machines due are found by
queries (:func:`due_machines`): a machine of which nothing changed is not read at all.

The machines to judge go ``CHUNK`` at a time: their reports read (and, on PostgreSQL, their rows
locked) 1,000 to a query, judged rule by rule (rules.engine.evaluate_fleet), and their alerts,
readiness rows and users written together; their marks at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy.orm import Session

from agent.wire.schema import ReachKind, Report, Role
from collector.judging.machine_inputs import MachineInputs, VerdictInputs
from collector.judging.rules import LoadedRules
from collector.store.alerts import Subject, apply_many_findings
from collector.store.machines import StoredState
from collector.store.readiness_rows import JudgedState, record_judged_readiness
from collector.store.scan import CurrentState, lock_current_states
from collector.store.scan_marks import (
    Mark,
    changed_machines,
    drop_marks,
    machines_marked_in,
    marked_counts,
    marked_own,
    marked_states,
    marked_unit_inputs,
    save_marks,
)
from collector.store.stored_state import decode_state
from collector.store.units import UnitRow, unit_chains
from rules.clock_facts import ClockPlan, clock_plan
from rules.engine import evaluate_fleet
from rules.fact_steps import clock_steps
from rules.facts import MachineContext, machine_facts
from rules.licences import LicenceTerm
from rules.model import RuleScope

if TYPE_CHECKING:
    from collector.judging.scan import ScanSummary, _Seen


CHUNK = 2000
"""Machines read and judged together (their reports and facts in memory at once)."""


@dataclass
class UnitCount:
    """What the unit rules count of some machines: how many, offline PCs, the dedicated line."""

    machines: int = 0
    offline: int = 0
    line: bool | None = None
    """Whether a dedicated-line target answered any of them (None: none was probed)."""

    def add(self, other: UnitCount) -> None:
        """Another count (a unit's own machines, added to each of its ancestors')."""
        self._add(other.machines, other.offline, other.line)

    def add_machine(self, offline: bool, line: bool | None) -> None:
        self._add(1, int(offline), line)

    def _add(self, machines: int, offline: int, line: bool | None) -> None:
        self.machines += machines
        self.offline += offline
        if line is not None:
            self.line = line if self.line is None else self.line or line


@dataclass
class SweepResult:
    counted: dict[str, UnitCount] = field(default_factory=lambda: defaultdict(UnitCount))
    """Per unit path, its own machines' counts (not its subtree's)."""
    judged: int = 0
    """Machines judged again in this scan (the others' verdicts could not have changed)."""


@dataclass(frozen=True)
class _Due:
    """A machine to judge, as the sweep first read it."""

    machine: StoredState
    own: MachineInputs
    inputs: str
    """The digest of its unit's shared inputs."""
    own_digest: str


def sweep_machines(session: Session, rules: LoadedRules, units: Sequence[UnitRow], terms: Sequence[LicenceTerm],
                   now: datetime, summary: ScanSummary, seen: _Seen) -> SweepResult:
    """Judge the machines whose inputs changed or whose clock time came; count every machine."""
    inputs = VerdictInputs(rules, terms, now, seen)
    paths = {u.id: u.path for u in units}
    due = due_machines(session, inputs, paths, now)
    judge = _ChunkJudge(session, rules, paths, unit_chains(units), now, summary, inputs)
    new_marks = []
    for start in range(0, len(due), CHUNK):
        new_marks += judge.judge(due[start:start + CHUNK])
    save_marks(session, new_marks, now)
    drop_marks(session, summary.undecodable)
    result = SweepResult(judged=len(due))
    for unit_id, count in marked_counts(session).items():
        result.counted[paths[unit_id]].add(UnitCount(count.machines, count.offline, count.line))
        summary.machines += count.machines
    return result


def due_machines(session: Session, inputs: VerdictInputs, paths: dict[int, str], now: datetime) -> list[_Due]:
    """The machines to judge (in id order): their row or agents changed or their clock time came
    (collector.store.scan_marks.changed_machines), their unit's shared inputs changed, or their own
    observations did (compared for the machines that have some, now or at their last judging)."""
    found = {machine.id: machine for machine in changed_machines(session, now)}
    stale = {unit_id for unit_id, digest in marked_unit_inputs(session)
             if digest and unit_id in paths and digest != inputs.unit_digest(paths[unit_id])}
    for machine in machines_marked_in(session, stale):
        found.setdefault(machine.id, machine)
    for machine, own in marked_states(session, (inputs.observed() | marked_own(session)) - found.keys()):
        if own != inputs.own_digest(inputs.of(machine, paths[machine.unit_id])):
            found[machine.id] = machine
    due = []
    for machine_id in sorted(found):
        machine = found[machine_id]
        path = paths[machine.unit_id]
        own = inputs.of(machine, path)
        due.append(_Due(machine, own, inputs.unit_digest(path), inputs.own_digest(own)))
    return due


@dataclass(frozen=True)
class _Read:
    """A due machine's report as read under its lock, its context and its facts."""

    due: _Due
    report: Report
    meta: MachineContext
    facts: dict[str, Any]
    unchanged: bool
    """Still the state the sweep digested (False: a report arrived meanwhile; ingest judged it)."""


class _ChunkJudge:
    """Reads, judges and stores the verdicts of due machines, a chunk at a time."""

    def __init__(self, session: Session, rules: LoadedRules, paths: dict[int, str],
                 chains: dict[int, tuple[str, ...]], now: datetime, summary: ScanSummary,
                 inputs: VerdictInputs) -> None:
        self.session, self.rules, self.paths, self.chains = session, rules, paths, chains
        self.now, self.summary, self.inputs = now, summary, inputs
        self._plans: dict[tuple[tuple[str, ...], Any], ClockPlan] = {}

    def judge(self, due: Sequence[_Due]) -> list[tuple[int, Mark]]:
        """Each judged machine's new mark; alerts and readiness rows of the unchanged ones written."""
        groups: dict[tuple[str, ...], list[_Read]] = {}
        for item in self._read(due):
            chain = tuple(u for u in self.chains[item.due.machine.unit_id] if u in self.rules.ruleset.overrides)
            groups.setdefault(chain, []).append(item)
        marks, judged = [], []
        for chain, members in groups.items():
            found = evaluate_fleet(self.rules.ruleset, [(f"machine:{m.due.machine.id}", m.facts) for m in members],
                                   self.now, units=chain)
            for item, findings in zip(members, found, strict=True):
                marks.append((item.due.machine.id, self._mark(item, chain)))
                if item.unchanged:
                    judged.append((item, findings))
        # Facts only ingest knows (report.via_network) are None here: those rules judge unknown,
        # which leaves their alerts as ingest set them.
        self.summary.changes += len(apply_many_findings(self.session, [
            (self._subject(item.due.machine), findings) for item, findings in judged], self.rules.rules, self.now))
        record_judged_readiness(self.session, [self._judged_state(item) for item, _ in judged], self.now)
        return marks

    def _read(self, due: Sequence[_Due]) -> list[_Read]:
        """The chunk's reports, read under their machines' locks; an undecodable one is left out
        (and its machine not counted as scanned)."""
        current = lock_current_states(self.session, [d.machine.id for d in due])
        read = []
        for item in due:
            machine = item.machine
            state = current.get(machine.id)
            try:
                report = decode_state(state.state_json if state else "")
            except msgspec.DecodeError:
                self.summary.undecodable.append(machine.id)
                continue
            meta = self.inputs.context(self.paths[machine.unit_id], item.own)
            read.append(_Read(item, report, meta, machine_facts(report, meta, self.now), _same(machine, state)))
        return read

    def _mark(self, item: _Read, chain: tuple[str, ...]) -> Mark:
        machine = item.due.machine
        keys = self.inputs.seen.keys.get(machine.id)
        return Mark(item.due.inputs if item.unchanged else "",  # "": judged again at the next scan
                    self._clock(chain, item.facts.get("role")).next_change(
                        item.facts, self.now, clock_steps(item.report, item.meta, self.now, item.facts)),
                    item.report.role == Role.OFFLINE, _line(item.report), item.due.own_digest,
                    machine.unit_id, machine.state_sequence, machine.last_seen_at,
                    keys.agents if keys else 0, keys.enrolled_at if keys else None)

    def _clock(self, chain: tuple[str, ...], role: Any) -> ClockPlan:
        """The clock analysis of the machine rules that judge ``role`` in ``chain``, made once."""
        plan = self._plans.get((chain, role))
        if plan is None:
            judges = self.rules.ruleset.judges(chain, RuleScope.MACHINE, role)
            plan = self._plans[(chain, role)] = clock_plan(j.item for j in judges)
        return plan

    def _subject(self, machine: StoredState) -> Subject:
        return Subject(f"machine:{machine.id}", machine.unit_id, machine.id)

    def _judged_state(self, item: _Read) -> JudgedState:
        machine, path = item.due.machine, self.paths[item.due.machine.unit_id]
        return JudgedState(machine.id, machine.unit_id, path, item.report, item.meta, item.facts,
                           machine.last_seen_at, self.inputs.seen.contexts.of(path))


def _same(machine: StoredState, state: CurrentState | None) -> bool:
    return state is not None and (state.state_sequence, state.last_seen_at) == (machine.state_sequence,
                                                                               machine.last_seen_at)


def _line(report: Report) -> bool | None:
    if report.network is None:
        return None
    results = [r.reachable for r in report.network.reachability if r.kind == ReachKind.DEDICATED_LINE]
    return any(results) if results else None
