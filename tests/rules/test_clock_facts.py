"""rules.clock_facts with rules.fact_steps: a machine's verdicts hold from the scan until the time
the plan gives (the scan does not judge it again before then), and that time is no sooner than
the flip it waits for. Checked on the demo fleet's reports with random contexts and clocks, by
judging the facts again at and around every step."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from agent.wire.schema import Report
from rules.clock_facts import CLOCK_FACTS, clock_plan, next_change
from rules.engine import RuleSet, compile_rules, evaluate
from rules.fact_steps import clock_steps
from rules.facts import MachineContext, machine_facts
from rules.licences import LicenceCover
from rules.loader import load_builtin, load_text
from server.demo_fleet import demo_machines, demo_report

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _ruleset() -> RuleSet:
    ruleset, errors = compile_rules(load_builtin().rules)
    assert errors == []
    return ruleset


def _verdicts(ruleset: RuleSet, report: Report, meta: MachineContext, at: datetime) -> set[tuple[str, str, str]]:
    findings = evaluate(ruleset, machine_facts(report, meta, at), at)
    return {(f.rule_id, str(f.outcome), str(f.severity)) for f in findings}


def _cases(count: int, seed: int) -> list[tuple[Report, MachineContext, datetime]]:
    """Demo reports judged at random clocks, with random last-seen and key times and, for some,
    an antivirus licence entry in the register that ends within a few weeks."""
    rng = random.Random(seed)
    machines = demo_machines()
    cases = []
    for index in range(count):
        made = NOW - timedelta(hours=rng.randint(0, 2000))
        report = demo_report(machines[index % len(machines)], "a", 1, made, rng)
        now = made + timedelta(minutes=rng.randint(0, 60 * 24 * 12), seconds=rng.randint(0, 59))
        licences = [LicenceCover("Kaspersky", "*", 100, (now + timedelta(days=rng.randint(-3, 40))).date(), rank=1)] \
            if rng.random() < 0.4 else []
        meta = MachineContext(last_seen_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 6)),
                              key_enrolled_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 4)),
                              licences=licences, cert_min_days=rng.choice([30, 60]))
        cases.append((report, meta, now))
    return cases


def test_a_machines_verdicts_hold_until_the_plan_says_they_may_change() -> None:
    ruleset = _ruleset()
    plan = clock_plan(ruleset.rules)
    rng = random.Random(7)
    flipped = 0
    for report, meta, now in _cases(400, 1):
        due = plan.next_change(machine_facts(report, meta, now), now, clock_steps(report, meta, now))
        before = _verdicts(ruleset, report, meta, now)
        end = due if due is not None else now + timedelta(days=800)
        moments = [end - TICK, *(now + (end - now) * rng.random() for _ in range(4))]
        moments += [s - TICK for s in clock_steps(report, meta, now).values() if now < s < end]
        for moment in moments:
            assert _verdicts(ruleset, report, meta, moment) == before, (now, due, moment)
        if due is not None and due > now:
            flipped += _verdicts(ruleset, report, meta, due + timedelta(seconds=1)) != before
    assert flipped > 50  # the time is not merely safe: the verdicts often change right after it


def test_each_clock_fact_holds_until_its_step_and_then_moves() -> None:
    seen: set[str] = set()
    for report, meta, now in _cases(300, 2):
        facts, steps = machine_facts(report, meta, now), clock_steps(report, meta, now)
        for fact, step in steps.items():
            assert step >= now, fact
            assert machine_facts(report, meta, step - TICK)[fact] == facts[fact], (fact, now, step)
            if fact not in ("cert.signing_days_left", "av.signature_age_days"):  # their steps may not move them
                assert machine_facts(report, meta, step + TICK)[fact] != facts[fact], (fact, now, step)
        seen |= steps.keys()
        # Given the facts (as the scan does), the same steps, for the facts known.
        assert clock_steps(report, meta, now, facts) == {f: s for f, s in steps.items() if facts[f] is not None}
    assert seen == set(CLOCK_FACTS)  # every clock fact's step was checked


def test_the_flip_waited_for_is_where_the_comparison_answers_otherwise() -> None:
    loaded = load_text("""
pack: t
rules:
  - {id: t.gt, title: {vi: T, en: T}, remediation: {vi: S, en: F}, severity: low, scope: machine,
     condition: "agent.silent_hours > 72", sources: [{text: test}]}
  - {id: t.ge, title: {vi: T, en: T}, remediation: {vi: S, en: F}, severity: low, scope: machine,
     condition: "backup.age_days >= 90", sources: [{text: test}]}
  - {id: t.le, title: {vi: T, en: T}, remediation: {vi: S, en: F}, severity: low, scope: machine,
     condition: "cert.signing_days_left <= 30", sources: [{text: test}]}
""", "t.yaml")
    ruleset, errors = compile_rules(loaded.rules)
    assert errors == [] and loaded.errors == []
    by_id = {c.rule.id: [c] for c in ruleset.rules}
    seen = NOW - timedelta(hours=72, minutes=20)  # 72 h silent: 73 (> 72) 40 minutes from now
    silent = {"agent.silent_hours": 72}
    assert next_change(by_id["t.gt"], silent, NOW, {"agent.silent_hours": seen + timedelta(hours=73)}) \
        == NOW + timedelta(minutes=40)
    assert next_change(by_id["t.gt"], silent, NOW) == NOW  # the step unknown: it may come at once
    assert next_change(by_id["t.gt"], {"agent.silent_hours": 70}, NOW) == NOW + timedelta(hours=2)
    assert next_change(by_id["t.gt"], {"agent.silent_hours": 73}, NOW) is None
    midnight = datetime(2026, 11, 23, tzinfo=UTC)
    assert next_change(by_id["t.ge"], {"backup.age_days": 88}, NOW, {"backup.age_days": midnight}) \
        == midnight + timedelta(days=1)  # 89 at midnight, 90 the midnight after
    assert next_change(by_id["t.ge"], {"backup.age_days": 90}, NOW) is None
    ends = {"cert.signing_days_left": NOW + timedelta(hours=5)}
    assert next_change(by_id["t.le"], {"cert.signing_days_left": 32}, NOW, ends) == ends[
        "cert.signing_days_left"] + timedelta(days=1)  # 31 in 5 hours, 30 (<= 30) a day later
    assert next_change(by_id["t.le"], {"cert.signing_days_left": 30}, NOW, ends) is None


def test_a_dated_fact_waits_for_the_step_of_the_fact_it_hangs_on() -> None:
    """``av.licensed`` changes when the licence's calendar days step (at midnight), not a day
    after the scan: the scan before it used to leave it a day late (now + 1 day)."""
    ruleset = _ruleset()
    licensed = [c for c in ruleset.rules if c.rule.id == "av.not_licensed"]  # av.installed && !av.licensed
    assert len(licensed) == 1
    midnight = datetime(2026, 11, 23, tzinfo=UTC)
    facts = {"av.installed": True, "av.licensed": True, "av.licence_product": "Kaspersky", "av.licence_days_left": 0}
    assert next_change(licensed, facts, NOW, {"av.licence_days_left": midnight}) == midnight
    assert next_change(licensed, facts, NOW) == NOW  # unknown: at once
