"""The engine: compile once, evaluate purely; unknown on missing data; broken files reported;
per-unit overrides."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules.engine import compile_rules, evaluate, rewrite
from rules.loader import load_packs, load_text
from rules.model import Outcome, Override, RuleError, RuleScope, Severity

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

PACK = """
pack: test
rules:
  - id: t.stale
    title: {vi: "Cũ", en: "Stale"}
    remediation: {vi: "Sửa", en: "Fix"}
    severity: medium
    scope: machine
    parameters: {max_age_days: 90}
    condition: "backup.age_days > params.max_age_days"
    sources: [{text: "practice"}]
  - id: t.offline
    title: {vi: "Mật", en: "Offline"}
    remediation: {vi: "Sửa", en: "Fix"}
    severity: critical
    scope: machine
    roles: [offline]
    condition: "report.via_network"
    sources: [{text: "Law 117/2025/QH15 Art. 5(2)"}]
"""


def ruleset(text: str = PACK, overrides: tuple[Override, ...] = ()):  # type: ignore[no-untyped-def]
    loaded = load_text(text, "test.yaml")
    assert loaded.errors == []
    compiled, errors = compile_rules(loaded.rules, overrides)
    assert errors == []
    return compiled


@pytest.mark.parametrize(("facts", "expected"), [
    ({"role": "normal", "backup.age_days": 120}, [("t.stale", Outcome.FIRING)]),
    ({"role": "normal", "backup.age_days": 10}, []),
    ({"role": "normal", "backup.age_days": None}, [("t.stale", Outcome.UNKNOWN)]),
    ({"role": "normal"}, [("t.stale", Outcome.UNKNOWN)]),
    ({"role": "offline", "backup.age_days": 1, "report.via_network": True}, [("t.offline", Outcome.FIRING)]),
    ({"role": "offline", "backup.age_days": 1, "report.via_network": False}, []),
])
def test_it_judges_each_rule_once(facts: dict[str, object], expected: list[tuple[str, Outcome]]) -> None:
    findings = evaluate(ruleset(), facts, NOW, subject="machine:1")
    assert [(f.rule_id, f.outcome) for f in findings] == expected
    assert all(f.subject == "machine:1" for f in findings)


def test_missing_data_names_the_fact() -> None:
    [finding] = evaluate(ruleset(), {"role": "normal"}, NOW)
    assert finding.outcome is Outcome.UNKNOWN and "backup.age_days" in finding.reason


def test_a_type_error_on_the_data_is_unknown_not_a_pass() -> None:
    [finding] = evaluate(ruleset(), {"role": "normal", "backup.age_days": "long ago"}, NOW)
    assert finding.outcome is Outcome.UNKNOWN and "cannot evaluate" in finding.reason


def test_a_province_may_allow_180_days_and_a_commune_90() -> None:
    rules = ruleset(overrides=(Override(unit="PV", rule_id="t.stale", parameters={"max_age_days": 180}),
                               Override(unit="XA", rule_id="t.stale", parameters={"max_age_days": 90},
                                        severity=Severity.HIGH)))
    facts = {"role": "normal", "backup.age_days": 120}
    assert evaluate(rules, facts, NOW, units=("PV", "XB")) == []
    [finding] = evaluate(rules, facts, NOW, units=("PV", "XA"))
    assert finding.severity is Severity.HIGH
    assert evaluate(rules, facts, NOW, units=()) != []


def test_an_override_can_disable_a_rule_for_a_subtree() -> None:
    rules = ruleset(overrides=(Override(unit="XA", rule_id="t.stale", disabled=True),))
    assert evaluate(rules, {"role": "normal", "backup.age_days": 500}, NOW, units=("PV", "XA")) == []


def test_rules_of_another_scope_do_not_run() -> None:
    assert evaluate(ruleset(), {"role": "normal", "backup.age_days": 500}, NOW, scope=RuleScope.UNIT) == []


def test_a_broken_rule_is_reported_with_file_line_and_reason_and_the_others_still_run() -> None:
    broken = PACK + """
  - id: t.broken
    title: {vi: "Hỏng", en: "Broken"}
    remediation: {vi: "Sửa", en: "Fix"}
    severity: high
    scope: machine
    condition: "av.nonsense > 1"
    sources: [{text: "x"}]
  - id: t.no_title
    severity: high
"""
    loaded = load_text(broken, "ops/broken.yaml")
    assert [e.line for e in loaded.errors] == [28] and "missing 'title'" in loaded.errors[0].reason
    compiled, errors = compile_rules(loaded.rules)
    assert len(errors) == 1 and errors[0].file == "ops/broken.yaml" and errors[0].line == 21
    assert "unknown fact 'av.nonsense'" in errors[0].reason
    assert [c.rule.id for c in compiled.rules] == ["t.stale", "t.offline"]


def test_invalid_yaml_is_one_error_with_its_line() -> None:
    loaded = load_text("pack: x\nrules:\n  - id: [unclosed\n", "bad.yaml")
    assert loaded.rules == [] and loaded.errors[0].file == "bad.yaml" and loaded.errors[0].line >= 3


def test_operator_packs_load_after_the_builtin_ones_and_duplicates_are_errors(tmp_path: Path) -> None:
    (tmp_path / "10-local.yaml").write_text(PACK.replace("t.stale", "av.absent"), encoding="utf-8")
    result = load_packs(tmp_path)
    assert any("already defined" in e.reason for e in result.errors)
    assert "t.offline" in {r.id for r in result.rules}


def test_parameters_become_literals_and_strings_are_left_alone() -> None:
    source, named = rewrite('os.name.matches(params.p) && role == "av.installed"', {"p": "(?i)^windows 7"})
    assert source == 'os__name.cached_matches("(?i)^windows 7") && role == "av.installed"'
    assert named == ("os.name", "role")


def test_an_undeclared_parameter_is_an_error() -> None:
    loaded = load_text(PACK.replace("params.max_age_days", "params.other"), "test.yaml")
    _compiled, errors = compile_rules(loaded.rules)
    assert len(errors) == 1 and isinstance(errors[0], RuleError) and "params.other" in errors[0].reason


def test_rules_import_neither_sqlalchemy_nor_the_web_stack() -> None:
    code = ("import sys, rules.engine, rules.loader, rules.facts, rules.lifecycle, rules.licences;"
            "bad = [m for m in ('sqlalchemy', 'litestar', 'uvicorn', 'collector', 'server') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
