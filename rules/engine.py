"""Compiling rules (CEL, once each) and evaluating them: ``evaluate(rules, facts, now) -> findings``.

Rules name facts with dots (``av.signature_age_days``) and parameters as ``params.NAME``. At
compile time each fact becomes a flat CEL variable (``av__signature_age_days``: flat variables
convert into CEL several times faster than nested maps) and each parameter becomes a literal
(so a per-unit override is its own compiled program, made once and cached). A fact the
catalogue does not know, or a parameter the rule does not declare, is a load-time error.

Evaluation is pure: facts in, findings out. A rule whose required facts are missing (None) or
whose expression fails on the data judges UNKNOWN; a rule that passes yields no finding.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from itertools import compress
from typing import Any

import cel

from rules.facts import FACT_NAMES
from rules.loader import flatten_facts
from rules.model import Finding, Outcome, Override, Rule, RuleError, RuleScope, Severity
from rules.verdicts import RuleJudge, explain

__all__ = ["CompiledRule", "RuleSet", "compile_rule", "compile_rules", "evaluate", "evaluate_fleet", "explain",
           "run_example"]

_NAMESPACES = frozenset(name.split(".")[0] for name in FACT_NAMES if "." in name)
_TOKEN = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(?<![\w.])([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?""")
_MATCHES = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|\.matches\(""")


@lru_cache(maxsize=65536)
def _cached_matches(text: str, pattern: str) -> bool:
    """CEL ``matches`` (a search, as RE2's) with the compiled pattern and the answer cached: the CEL
    library compiles the regular expression on every call (about 70 µs), which would dominate a sweep."""
    return re.search(pattern, text) is not None


FUNCTIONS = {"cached_matches": _cached_matches}


def cel_name(fact: str) -> str:
    return fact.replace(".", "__")


def cel_literal(value: Any) -> str:
    """A parameter value as a CEL literal (bool, int, float, string, list of those)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cel_literal(v) for v in value) + "]"
    raise ValueError(f"parameter value {value!r}: use a number, text, true/false or a list")


def rewrite(condition: str, parameters: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The CEL source with facts renamed and parameters inlined, and the facts it names (in order)."""
    named: list[str] = []

    def replace_token(match: re.Match[str]) -> str:
        literal, head, tail = match.groups()
        if literal is not None:
            return literal
        dotted = f"{head}.{tail}" if tail else head
        if head == "params":
            if tail not in parameters:
                raise ValueError(f"params.{tail} is not among the rule's parameters")
            return cel_literal(parameters[tail])
        if dotted in FACT_NAMES:
            named.append(dotted)
            return cel_name(dotted)
        if head in _NAMESPACES and tail:
            raise ValueError(f"unknown fact {dotted!r} (see rules/FACTS.md)")
        if head in FACT_NAMES:
            named.append(head)
        return match.group(0)

    source = _TOKEN.sub(replace_token, condition)
    source = _MATCHES.sub(lambda m: m.group(1) or ".cached_matches(", source)
    return source, tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    program: Any  # cel.Program
    required: tuple[str, ...]
    facts: tuple[str, ...]
    dated: bool = False
    levels: tuple[tuple[Severity, Any], ...] = ()
    """(severity, program) of each level, the most severe first."""
    context_facts: tuple[str, ...] = ()
    """Every fact the condition, the levels and the evidence read (what the CEL context needs)."""
    sources: tuple[str, ...] = ()
    """The CEL of the condition and of each level as compiled (parameters inlined): rules.clock_facts reads them."""


def compile_rule(rule: Rule, parameters: Mapping[str, Any] | None = None) -> CompiledRule:
    """Compile ``rule`` with its parameters (defaults, replaced by ``parameters``); RuleError if broken."""
    values = {**rule.parameters, **(parameters or {})}
    unknown = sorted(set(values) - set(rule.parameters))
    try:
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r}")
        source, named = rewrite(rule.condition, values)
        required = named if rule.requires is None else tuple(rule.requires)
        missing = [name for name in (*required, *rule.evidence) if name not in FACT_NAMES]
        if missing:
            raise ValueError(f"requires unknown fact {missing[0]!r}")
        program = cel.compile(source)
        levels, level_facts, sources = [], [], [source]
        for level in rule.levels:
            level_source, level_named = rewrite(level.condition, values)
            levels.append((level.severity, cel.compile(level_source)))
            level_facts += level_named
            sources.append(level_source)
    except ValueError as exc:
        raise RuleError(rule.file or "<rule>", rule.line, f"rule {rule.id!r}: {exc}") from None
    return CompiledRule(rule=rule, program=program, required=required, facts=named,
                        dated=bool(rule.active_from or rule.active_until), levels=tuple(levels),
                        context_facts=tuple(dict.fromkeys((*named, *level_facts))), sources=tuple(sources))


@dataclass
class RuleSet:
    """Compiled rules plus per-unit overrides; effective rules are compiled once per unit chain."""

    rules: list[CompiledRule]
    overrides: dict[str, dict[str, Override]] = field(default_factory=dict)
    _chains: dict[tuple[str, ...], list[CompiledRule]] = field(default_factory=dict)
    _programs: dict[tuple[str, str], CompiledRule] = field(default_factory=dict)
    _names: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    _judges: dict[tuple[tuple[str, ...], RuleScope, Any], list[RuleJudge]] = field(default_factory=dict)
    _memos: dict[int, RuleJudge] = field(default_factory=dict)

    def judges(self, units: Sequence[str], scope: RuleScope, role: Any) -> list[RuleJudge]:
        """The effective rules of ``units`` that apply to ``scope`` and ``role``, each with its memo
        (one per compiled program, shared by every chain where it is the effective rule)."""
        chain = tuple(u for u in units if u in self.overrides)
        key = (chain, scope, role if isinstance(role, str) else None)
        found = self._judges.get(key)
        if found is None:
            found = self._judges[key] = [self._judge_of(item) for item in self.effective(chain)
                                         if _applies(item.rule, scope, key[2])]
        return found

    def _judge_of(self, item: CompiledRule) -> RuleJudge:
        judge = self._memos.get(id(item))
        if judge is None:
            judge = self._memos[id(item)] = RuleJudge(item, FUNCTIONS)
        return judge

    def context_names(self, units: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
        """(fact, CEL variable) for every fact the effective rules name: only these go into a context."""
        chain = tuple(u for u in units if u in self.overrides)
        names = self._names.get(chain)
        if names is None:
            names = self._names[chain] = names_of(self.effective(units))
        return names

    def effective(self, units: Sequence[str] = ()) -> list[CompiledRule]:
        """The rules as they apply in the unit chain ``units`` (root first): deeper overrides win."""
        chain = tuple(u for u in units if u in self.overrides)
        cached = self._chains.get(chain)
        if cached is None:
            cached = self._chains[chain] = [r for r in (self._apply(c, chain) for c in self.rules) if r is not None]
        return cached

    def _apply(self, compiled: CompiledRule, chain: tuple[str, ...]) -> CompiledRule | None:
        parameters: dict[str, Any] = {}
        severity = compiled.rule.severity
        for unit in chain:
            override = self.overrides[unit].get(compiled.rule.id)
            if override is None:
                continue
            if override.disabled:
                return None
            parameters.update(override.parameters)
            severity = override.severity or severity
        if not parameters and severity is compiled.rule.severity:
            return compiled
        key = (compiled.rule.id, json.dumps([parameters, str(severity)], sort_keys=True))
        if key not in self._programs:
            self._programs[key] = compile_rule(replace(compiled.rule, severity=severity), parameters)
        return self._programs[key]


def names_of(compiled: Iterable[CompiledRule]) -> tuple[tuple[str, str], ...]:
    facts = dict.fromkeys(name for item in compiled for name in (item.context_facts or item.facts))
    return tuple((name, cel_name(name)) for name in facts)


def compile_rules(rules: Iterable[Rule], overrides: Iterable[Override] = ()) -> tuple[RuleSet, list[RuleError]]:
    """Compile every rule; broken ones (and overrides that do not compile) are errors, the rest run."""
    compiled, errors = [], []
    for rule in rules:
        try:
            compiled.append(compile_rule(rule))
        except RuleError as exc:
            errors.append(exc)
    ruleset = RuleSet(rules=compiled)
    known = {c.rule.id for c in compiled}
    for override in overrides:
        if override.rule_id not in known:
            errors.append(RuleError("overrides", 1, f"unit {override.unit!r}: no rule {override.rule_id!r}"))
            continue
        ruleset.overrides.setdefault(override.unit, {})[override.rule_id] = override
    for unit in list(ruleset.overrides):
        try:
            ruleset.effective((unit,))
        except RuleError as exc:
            errors.append(exc)
            del ruleset.overrides[unit]
            ruleset._chains.clear()
            ruleset._names.clear()
            ruleset._judges.clear()
    return ruleset, errors


def evaluate(rules: RuleSet | Sequence[CompiledRule], facts: Mapping[str, Any], now: datetime, *,
             subject: str = "", scope: RuleScope = RuleScope.MACHINE, units: Sequence[str] = ()) -> list[Finding]:
    """Judge one subject: a finding per rule that fires or cannot judge; passing rules yield none.

    ``units`` is the subject's unit chain (root first) for per-unit overrides. Rules of another
    scope, for another role, or not active at ``now`` do not apply and yield nothing. A RuleSet
    remembers each rule's verdict by the values of the facts it reads (rules.verdicts)."""
    if isinstance(rules, RuleSet):
        judges = rules.judges(units, scope, facts.get("role"))
    else:
        judges = [RuleJudge(item, FUNCTIONS) for item in rules if _applies(item.rule, scope, facts.get("role"))]
    today = now.date().isoformat()
    findings: list[Finding] = []
    for judge in judges:
        if judge.item.dated and not _active(judge.item.rule, today):
            continue
        verdict = judge.verdict(facts)
        if verdict is not None:
            findings.append(Finding(judge.item.rule.id, subject, *verdict))
    return findings


def evaluate_fleet(rules: RuleSet, fleet: Sequence[tuple[str, Mapping[str, Any]]], now: datetime, *,
                   scope: RuleScope = RuleScope.MACHINE, units: Sequence[str] = ()) -> list[list[Finding]]:
    """``evaluate`` of many (subject, facts) of one unit chain at once, rule by rule: each rule's
    keys are read and looked up in bulk (rules.verdicts), so a sweep costs a few C-level passes
    per rule instead of a Python call per machine and rule. Facts must be complete mappings
    (rules.facts builds them so). Returns each subject's findings, in ``fleet`` order.

    The cyclic garbage collector pauses meanwhile: the sweep makes no cycles, and the hundreds of
    thousands of findings it keeps would otherwise trigger ever longer full passes over every fact
    of every machine (measured: more than the judging itself at 100,000 machines)."""
    today = now.date().isoformat()
    found: list[list[Finding]] = [[] for _ in fleet]
    by_role: dict[Any, list[int]] = {}
    for index, (_, facts) in enumerate(fleet):
        by_role.setdefault(facts.get("role"), []).append(index)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for role, indices in by_role.items():
            group = [fleet[i][1] for i in indices]
            for judge in rules.judges(units, scope, role):
                if judge.item.dated and not _active(judge.item.rule, today):
                    continue
                rule_id = judge.item.rule.id
                verdicts = judge.verdicts(group)
                for index, verdict in zip(compress(indices, verdicts), filter(None, verdicts), strict=True):
                    found[index].append(_finding((rule_id, fleet[index][0], *verdict)))
    finally:
        if collecting:
            gc.enable()
    return found


_finding = Finding._make


def _applies(rule: Rule, scope: RuleScope, role: Any) -> bool:
    return rule.scope is scope and (not rule.roles or role in rule.roles)


def _active(rule: Rule, today: str) -> bool:
    started = not rule.active_from or today >= rule.active_from
    return started and not (rule.active_until and today >= rule.active_until)


def run_example(rule: Rule, facts: Mapping[str, Any], parameters: Mapping[str, Any], now: datetime) -> Outcome:
    """How ``rule`` judges the example facts (nested or dotted) with these parameters."""
    finding = example_finding(rule, facts, parameters, now)
    return finding.outcome if finding else Outcome.PASSING


def example_finding(rule: Rule, facts: Mapping[str, Any], parameters: Mapping[str, Any],
                    now: datetime) -> Finding | None:
    """The finding ``rule`` gives on the example facts (None: it passes)."""
    compiled = compile_rule(rule, parameters)
    flat = flatten_facts(facts)
    if rule.roles and flat.get("role") is None:
        flat["role"] = sorted(rule.roles)[0]
    findings = evaluate([compiled], flat, now, scope=rule.scope)
    return findings[0] if findings else None
