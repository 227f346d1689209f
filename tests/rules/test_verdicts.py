"""Remembered verdicts (rules.verdicts) and the fleet sweep (engine.evaluate_fleet): the same
findings as judging each subject afresh, whatever the order, overrides, roles or list facts."""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rules.engine import RuleSet, compile_rules, evaluate, evaluate_fleet
from rules.loader import load_builtin
from rules.model import Outcome, Override, RuleScope
from rules.verdicts import RuleJudge

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
BENCH = Path(__file__).resolve().parents[2] / "bench" / "rules.py"


def _synthetic_fleet(count: int, seed: int = 3) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("bench_rules", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = random.Random(seed)
    return [bench.synthetic_facts(rng) for _ in range(count)]


def _builtin(overrides: tuple[Override, ...] = ()) -> RuleSet:
    ruleset, errors = compile_rules(load_builtin().rules, overrides)
    assert errors == []
    return ruleset


def _fresh(ruleset: RuleSet) -> RuleSet:
    """The same compiled rules with empty memos."""
    return RuleSet(rules=ruleset.rules, overrides=ruleset.overrides)


def test_remembered_verdicts_equal_fresh_ones_on_a_varied_fleet() -> None:
    fleet = _synthetic_fleet(600)
    shared = _builtin()
    for index, facts in enumerate(fleet):
        remembered = evaluate(shared, facts, NOW, subject=f"machine:{index}")
        afresh = evaluate(_fresh(shared), facts, NOW, subject=f"machine:{index}")
        assert remembered == afresh


@pytest.mark.parametrize("units", [(), ("HN",), ("HN", "HN.XA")])
def test_the_fleet_sweep_gives_each_subject_its_own_findings(units: tuple[str, ...]) -> None:
    overrides = (Override(unit="HN", rule_id="backup.quarterly", parameters={"max_age_days": 30}),
                 Override(unit="HN.XA", rule_id="agent.silent", disabled=True))
    ruleset = _builtin(overrides)
    fleet = [(f"machine:{i}", facts) for i, facts in enumerate(_synthetic_fleet(400))]
    swept = evaluate_fleet(ruleset, fleet, NOW, units=units)
    one_by_one = [evaluate(_fresh(ruleset), facts, NOW, subject=subject, units=units) for subject, facts in fleet]
    assert swept == one_by_one
    assert any(f.outcome is Outcome.FIRING for findings in swept for f in findings)


def test_a_list_fact_is_remembered_by_its_items() -> None:
    ruleset = _builtin()
    base = _synthetic_fleet(1)[0] | {"role": "offline", "software.chat": ["Zalo"]}
    judge = next(j for j in ruleset.judges((), RuleScope.MACHINE, "offline")
                 if j.item.rule.id == "offline.chat_software")
    assert isinstance(judge, RuleJudge)
    first = judge.verdict(base)
    assert first is not None and first.read == (("software.chat", ["Zalo"]),)
    other = judge.verdict(base | {"software.chat": ["Telegram"]})
    assert other is not None and other.read == (("software.chat", ["Telegram"]),)
    assert judge.verdict(base | {"software.chat": []}) is None
    assert judge.verdicts([base, base | {"software.chat": []}]) == [first, None]


def test_incomplete_facts_judge_unknown_in_the_sweep_as_one_by_one() -> None:
    ruleset = _builtin()
    fleet = [("machine:1", {"role": "normal", "backup.configured": True, "backup.age_days": 200})]
    assert evaluate_fleet(ruleset, fleet, NOW) == [evaluate(_fresh(ruleset), fleet[0][1], NOW, subject="machine:1")]


def test_the_rules_benchmark_runs_on_every_fact_of_the_catalogue() -> None:
    # It had stopped at its first line: the catalogue grew (KMS, certificates, licences) and its
    # facts did not, so the figure in issue 18 could not be re-measured.
    done = subprocess.run([sys.executable, str(BENCH), "--machines", "300", "--json"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert '"machines": 300' in done.stdout
