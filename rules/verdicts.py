"""One compiled rule's verdict on one subject's facts, remembered by the values it depends on.

A rule's verdict (passes, fires with a severity, reason and evidence, or cannot judge) is a pure
function of the facts it reads: its required facts, the facts its condition and levels name, and
its evidence facts (parameters are literals in the compiled program; CEL has no clock or I/O,
and ``cached_matches`` is pure). So a sweep over a fleet, where thousands of machines share
``backup.age_days == 120`` or ``av.installed == true``, judges each distinct combination once and
looks the rest up: the CEL context (about 25 µs to build with every fact) and the program run are
paid once per combination, not per machine. The memo is bounded (cleared when full). Facts have
one type each (rules/FACTS.md), so ``1`` and ``true`` never meet under one fact name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import cel

from rules.facts import CATALOGUE
from rules.model import Outcome, Severity

if TYPE_CHECKING:
    from rules.engine import CompiledRule

MEMO_LIMIT = 50_000
"""Distinct fact combinations remembered per rule before its memo starts afresh."""

LIST_FACTS = frozenset(fact.name for fact in CATALOGUE if fact.type.startswith("list"))
CEL_ERRORS = (TypeError, ValueError, KeyError, RuntimeError, OverflowError, ZeroDivisionError)


class RuleVerdict(NamedTuple):
    """A finding without its subject: what ``rules.model.Finding`` carries after rule id and subject."""

    outcome: Outcome
    severity: Severity
    reason: str
    read: tuple[tuple[str, Any], ...] = ()
    evidence: tuple[str, ...] = ()


class RuleJudge:
    """A compiled rule with the memo of its verdicts (None: the rule passes)."""

    __slots__ = ("item", "reads", "_variables", "_memo", "_single", "_functions", "_lists", "_getter")

    def __init__(self, item: CompiledRule, functions: Mapping[str, Any]) -> None:
        self.item = item
        self.reads = tuple(dict.fromkeys((*item.required, *item.context_facts, *item.facts, *item.rule.evidence)))
        self._variables = tuple((name, name.replace(".", "__")) for name in
                                dict.fromkeys((*item.context_facts, *item.facts)))
        self._memo: dict[Any, RuleVerdict | None] = {}
        self._single = self.reads[0] if len(self.reads) == 1 else None
        self._lists = not LIST_FACTS.isdisjoint(self.reads)
        self._getter = itemgetter(*self.reads)
        self._functions = functions

    def verdict(self, facts: Mapping[str, Any]) -> RuleVerdict | None:
        key = facts.get(self._single) if self._single is not None else tuple(map(facts.get, self.reads))
        if self._lists:
            key = _frozen(key, self._single is not None)
        try:
            return self._memo[key]
        except KeyError:
            pass
        except TypeError:  # a list fact (software.chat ...): remembered by its items
            key = _frozen(key, self._single is not None)
            try:
                if key in self._memo:
                    return self._memo[key]
            except TypeError:  # nested lists: not remembered
                return judge(self.item, facts, self._variables, self._functions)
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        found = self._memo[key] = judge(self.item, facts, self._variables, self._functions)
        return found


    def verdicts(self, fleet: Sequence[Mapping[str, Any]]) -> list[RuleVerdict | None]:
        """``verdict`` of each subject's facts, the keys gathered and looked up in bulk; facts are
        complete mappings (every fact the rule reads is a key, None when unknown)."""
        try:
            keys = self._keys(fleet)
        except KeyError:  # incomplete facts: one by one, with None for what is missing
            return [self.verdict(facts) for facts in fleet]
        memo = self._memo
        try:
            missing = set(keys).difference(memo)
        except TypeError:  # nested lists: one by one
            return [self.verdict(facts) for facts in fleet]
        if missing:
            if len(memo) + len(missing) > MEMO_LIMIT:
                memo.clear()
                missing = set(keys)
            first = dict(zip(reversed(keys), reversed(fleet), strict=True))
            for key in missing:
                memo[key] = judge(self.item, first[key], self._variables, self._functions)
        return list(map(memo.__getitem__, keys))


    def _keys(self, fleet: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Each subject's memo key, column by column (a list fact's column as tuples)."""
        if not self._lists:
            return list(map(self._getter, fleet))
        columns = [map(_hashable, map(itemgetter(name), fleet)) if name in LIST_FACTS else map(itemgetter(name), fleet)
                   for name in self.reads]
        return list(columns[0]) if len(columns) == 1 else list(zip(*columns, strict=True))


def judge(item: CompiledRule, facts: Mapping[str, Any], variables: tuple[tuple[str, str], ...],
          functions: Mapping[str, Any]) -> RuleVerdict | None:
    """Run the rule's program on ``facts``: None when it passes."""
    rule = item.rule
    missing = next((name for name in item.required if facts.get(name) is None), None)
    if missing is not None:
        return RuleVerdict(Outcome.UNKNOWN, rule.severity, f"{missing} is not known")
    context = cel.Context(variables={variable: facts.get(name) for name, variable in variables}, functions=functions)
    try:
        result = item.program.execute(context)
    except CEL_ERRORS as exc:
        return RuleVerdict(Outcome.UNKNOWN, rule.severity, f"cannot evaluate: {exc}")
    if result is True:  # the facts it read become the alert's detail (which product, which age)
        return RuleVerdict(Outcome.FIRING, level_of(item, context), explain(item, facts),
                       tuple((name, facts.get(name)) for name in dict.fromkeys((*item.context_facts, *rule.evidence))),
                       evidence_items(rule.evidence, facts))
    if result is not False:
        return RuleVerdict(Outcome.UNKNOWN, rule.severity, f"the condition gave {result!r}, not true or false")
    return None


def level_of(item: CompiledRule, context: Any) -> Severity:
    """The severity of the highest level whose condition holds (a level that cannot be judged on
    the data does not apply), else the rule's."""
    base = item.rule.severity
    for severity, program in item.levels:
        try:
            if program.execute(context) is True:
                return severity if severity.rank > base.rank else base
        except CEL_ERRORS:
            continue
    return base


def evidence_items(evidence: tuple[str, ...], facts: Mapping[str, Any]) -> tuple[str, ...]:
    """The items of the rule's evidence facts: each element of a list, or "fact=value"."""
    items: list[str] = []
    for name in evidence:
        value = facts.get(name)
        if isinstance(value, list | tuple):
            items += [str(v) for v in value]
        elif value is not None:
            items.append(f"{name}={json.dumps(value, ensure_ascii=False)}")
    return tuple(items)


def explain(item: CompiledRule, facts: Mapping[str, Any]) -> str:
    """The facts a rule read, as ``name=value`` (for `rules test` and alert details)."""
    return ", ".join(f"{name}={json.dumps(facts.get(name), ensure_ascii=False)}" for name in item.facts)


def _hashable(value: Any) -> Any:
    return tuple(value) if type(value) is list else value


def _frozen(key: Any, single: bool) -> Any:
    """The key with its lists as tuples (a list of texts is the usual list fact)."""
    if single:
        return tuple(key) if type(key) is list else key
    return tuple(tuple(value) if type(value) is list else value for value in key)
