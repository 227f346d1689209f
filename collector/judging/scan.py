"""The scheduled compliance scan (``scan_all``): the network parts, then the time-dependent and
unit rules over every machine's stored state and every unit's subtree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from collector.db import Database, plan_for_the_values
from collector.judging.machine_inputs import rules_fingerprint
from collector.judging.machine_sweep import UnitCount, sweep_machines
from collector.judging.rules import LoadedRules
from collector.judging.unit_inputs import unit_digest
from collector.memory import collector_paused
from collector.network.scan import PartResult, run_network_parts
from collector.store.alerts import Subject, apply_many_findings
from collector.store.enrollment import KeyHistory, key_histories
from collector.store.lan import LanFacts, lan_facts
from collector.store.licences import licence_terms, seat_holders
from collector.store.machines import agentless_machines
from collector.store.products import licence_installs
from collector.store.readiness import ReadinessScan, scan_readiness
from collector.store.rejections import prune_rejections, rejections_by_machine
from collector.store.scan_marks import save_unit_marks, unit_marks
from collector.store.scope import EVERYTHING
from collector.store.unit_context import UnitContexts
from collector.store.units import UnitRow, list_units, path_ids, unit_chains
from rules.engine import evaluate
from rules.facts import UnitAggregate, agentless_facts, unit_facts
from rules.licences import LicenceTerm, days_to_expiry, seats_exceeded
from rules.model import RuleScope


@dataclass
class ScanSummary:
    machines: int = 0
    units: int = 0
    changes: int = 0
    judged: int = 0
    """Machines judged again (the others' inputs and clock-dependent facts had not changed)."""
    units_judged: int = 0
    """Units judged again (the others' facts and rules were those of their last judging today)."""
    undecodable: list[int] = field(default_factory=list)
    network: list[PartResult] = field(default_factory=list)
    """One result per subnet swept, device polled and link judged (collector.network.scan)."""


def scan_all(db: Database, now: datetime, rules: LoadedRules, network: bool = True) -> ScanSummary:
    """The scheduled compliance scan: sweep the saved subnets, poll the configured SNMP devices
    and judge the links (each part failing on its own, reported in ``summary.network``; skipped
    when ``network`` is False), then re-judge every machine from its stored state at ``now``
    (ages, silence, MAC seen on the LAN, refused reports) and every unit from its subtree
    (offline PC, dedicated line, unknown LAN devices, licences): the machines and units whose
    inputs changed since their last judging, or whose verdicts the clock may have changed."""
    summary = ScanSummary()
    line: dict[int, bool] = {}
    if network:
        summary.network, line = run_network_parts(db, now)
    # The collector pauses for the passes over every machine (collector.memory.collector_paused).
    with db.session() as session, collector_paused():
        plan_for_the_values(session)  # it reads back what it writes, by the tens of thousands
        units = list_units(session, include_ended=True)  # every machine's unit; only live ones are judged
        terms = licence_terms(session)
        seen = _Seen(lan_facts(session), rejections_by_machine(session, now), line, seat_holders(session, terms),
                     UnitContexts(session, rules.indicators, now), key_histories(session))
        prune_rejections(session, now)
        swept = sweep_machines(session, rules, units, terms, now, summary, seen)
        summary.judged = swept.judged
        _scan_agentless(session, rules, units, now, summary, seen)
        # The judged machines' readiness rows were written as they were judged; the others' once a
        # day (their ages count whole days). Then today's snapshot, below target with the failing members.
        readiness = scan_readiness(session, now, rules.indicators, line_reach=line, changed=())
        _scan_units(session, rules, units, terms, swept.counted, now, summary, seen, readiness)
    return summary


@dataclass(frozen=True)
class _Seen:
    """What the collector itself observed, beyond the reports (network, refused reports)."""

    network: LanFacts
    rejections: dict[int, int]
    line: dict[int, bool]
    holders: dict[int, dict[int, int]]
    """Per licence entry, the machines holding its seats (rules.licences.covers_of)."""
    contexts: UnitContexts
    keys: dict[int, KeyHistory] = field(default_factory=dict)


def _scan_agentless(session: Session, rules: LoadedRules, units: Sequence[UnitRow], now: datetime,
                    summary: ScanSummary, seen: _Seen) -> None:
    """Judge the machines declared without an agent on what is known of them: their OS (the
    end-of-support rule) and, for the offline role, their MAC on the LAN; everything else unknown."""
    by_id = {u.id: u for u in units}
    chains = unit_chains(units)
    judged = []
    for machine in agentless_machines(session):
        facts = agentless_facts(machine.os_name, machine.role, seen.network.mac_seen_since(machine.id, None))
        subject = Subject(f"machine:{machine.id}", machine.unit_id, machine.id)
        judged.append((subject, evaluate(rules.ruleset, facts, now, subject=subject.key,
                                         units=chains[by_id[machine.unit_id].id])))
        summary.machines += 1
    summary.changes += len(apply_many_findings(session, judged, rules.rules, now))


def _scan_units(session: Session, rules: LoadedRules, units: Sequence[UnitRow], terms: Sequence[LicenceTerm],
                counted: Mapping[str, UnitCount], now: datetime, summary: ScanSummary,
                seen: _Seen, readiness: ReadinessScan | None = None) -> None:
    tallies: dict[int, UnitCount] = defaultdict(UnitCount)
    for unit_path, count in counted.items():
        for unit_id in path_ids(unit_path):  # the unit and each ancestor
            tallies[unit_id].add(count)
    chains = unit_chains(units)
    valid = [t for t in terms if t.valid_on(now.date())]
    over = seats_exceeded(valid, licence_installs(session, EVERYTHING, valid))
    fingerprint, marked, digests = rules_fingerprint(rules, now), unit_marks(session), {}
    judged = []
    for unit in units:
        if not unit.live:
            continue
        tally = tallies[unit.id]
        expiry = days_to_expiry(terms, unit.path, now.date())
        aggregate = UnitAggregate(
            kind=unit.kind, machines=tally.machines, offline_pcs=tally.offline,
            # The unit's own configured link when its state is known, else what its agents reached.
            dedicated_line_reachable=seen.line.get(unit.id, tally.line),
            unknown_devices=seen.network.unknown_devices.get(unit.id, 0) if seen.network.lan_swept else None,
            devices_without_agent=seen.network.no_agent.get(unit.id, 0) if seen.network.lan_swept else None,
            seats_exceeded=[t.product for t, _ in over if t.unit_path == unit.path],
            licences_expired=[t.product for t in terms if t.unit_path == unit.path and t.expires_on < now.date()],
            licence_next_expiry_days=expiry[0], licence_next_expiring=expiry[1],
            readiness_below_target=None if readiness is None else readiness.below.get(unit.id, []),
            readiness_failing=None if readiness is None else readiness.failing.get(unit.id, []))
        subject, facts = Subject(f"unit:{unit.code}", unit.id), unit_facts(aggregate)
        summary.units += 1
        digest = unit_digest(fingerprint, now, unit.id, chains[unit.id], facts)
        if marked.get(subject.key) == digest:
            continue  # the same findings as when last judged (collector.judging.unit_inputs)
        digests[subject.key] = digest
        judged.append((subject, evaluate(rules.ruleset, facts, now, subject=subject.key,
                                         scope=RuleScope.UNIT, units=chains[unit.id])))
    summary.changes += len(apply_many_findings(session, judged, rules.rules, now))
    summary.units_judged = save_unit_marks(session, digests, now)

