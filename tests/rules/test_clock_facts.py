"""rules.clock_facts: a ClockPlan (every clock use of some rules, read once) answers exactly as the
rule-by-rule, source-by-source reading it replaced, on the built-in pack and random ages."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from rules.clock_facts import CLOCK_FACTS, DATED_FACTS, DAY, _analysis, clock_plan, next_change
from rules.engine import compile_rules
from rules.loader import load_builtin

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _source_by_source(compiled: Any, facts: dict[str, Any], now: datetime) -> datetime | None:
    """The reading before ClockPlan (git 5e324f4), kept as the reference."""
    soonest = None
    for item in compiled:
        for source in item.sources:
            uses, dated = _analysis(source)
            found = None
            for fact, step, direction, bounds in uses:
                value = facts.get(fact)
                if value is None:
                    continue
                if bounds is None or not isinstance(value, int):
                    found = now
                    break
                ahead = [b for b in bounds if (b - value) * direction > 0]
                if ahead:
                    nearest = min(ahead, key=lambda b: abs(b - value))
                    when = now + step * max(0, abs(nearest - value) - 1)
                    found = when if found is None or when < found else found
            else:
                if any(facts.get(source_fact) is not None for source_fact in dated):
                    found = now + DAY if found is None or now + DAY < found else found
            if found is not None and (soonest is None or found < soonest):
                soonest = found
    return soonest



def test_a_plan_answers_as_every_source_read_one_by_one() -> None:
    ruleset, errors = compile_rules(load_builtin().rules)
    assert errors == []
    plan = clock_plan(ruleset.rules)
    rng = random.Random(18)
    for _ in range(3000):
        facts: dict[str, Any] = {fact: rng.choice([None, rng.randint(-5, 400), rng.randint(0, 5000)])
                                 for fact in CLOCK_FACTS}
        facts.update({fact: rng.choice([None, True, False]) for fact in DATED_FACTS})
        if rng.random() < 0.05:
            facts["backup.age_days"] = 3.5  # not an int: cannot be told, due now
        expected = _source_by_source(ruleset.rules, facts, NOW)
        assert plan.next_change(facts, NOW) == expected == next_change(ruleset.rules, facts, NOW), facts
