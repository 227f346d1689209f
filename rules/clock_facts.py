"""When could a subject's verdicts change by the clock alone? The incremental scan re-judges a
machine whose inputs did not change only once that time has come.

Facts that move with time are ages and days left (``CLOCK_FACTS``: each steps by one per hour,
day or year, up or down) and a few yes/no facts computed from a date (``DATED_FACTS``). A rule
compares an age with literals (``agent.silent_hours > 72`` after its parameters are inlined), so
its verdict stays the same until the age reaches the value where the comparison answers
otherwise (73 for ``> 72``, 72 for ``>= 72``). When the age next steps comes from
rules.fact_steps (the instant each fact holds until); without it the age may step at once. A rule
that uses a clock fact any other way (arithmetic, a list) cannot be read so: its subject is due at
every scan. Pure: compiled sources, facts and steps in, a time out.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from rules.engine import CompiledRule, cel_name

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
CLOCK_FACTS: dict[str, tuple[timedelta, int]] = {
    "agent.silent_hours": (HOUR, +1),
    "agent.key_age_hours": (HOUR, +1),
    "av.signature_age_days": (DAY, +1),
    "backup.age_days": (DAY, +1),
    "os.update_age_days": (DAY, +1),
    "hw.age_years": (365 * DAY, +1),  # whole years of 365 days (rules.facts._hardware)
    "cert.signing_days_left": (DAY, -1),
    "av.licence_days_left": (DAY, -1),
}
"""Fact -> (the least time between two of its steps, +1 growing / -1 shrinking)."""

DATED_FACTS: dict[str, str] = {"cert.signing": "cert.signing_days_left", "av.licensed": "av.licence_days_left",
                               "av.licence_product": "av.licence_days_left"}
"""Yes/no facts decided by a date -> the clock fact they hang on: they may change when it steps."""

_COMPARED = r"(<=|>=|<|>|==|!=)\s*(-?\d+)\b"
_FLIPS = {">": (1,), "<=": (1,), ">=": (0,), "<": (0,), "==": (0, 1), "!=": (0, 1)}
"""Comparison with literal L -> the values X (as offsets from L) where it answers otherwise than at X - 1."""


def next_change(compiled: Iterable[CompiledRule], facts: Mapping[str, Any], now: datetime,
                steps: Mapping[str, datetime] | None = None) -> datetime | None:
    """The earliest time any of ``compiled`` could judge ``facts`` differently by the clock alone
    (``now`` when it cannot be told); None when no verdict depends on the clock. ``steps``: per
    clock fact, the instant its value holds until (rules.fact_steps.clock_steps)."""
    return clock_plan(compiled).next_change(facts, now, steps)


_Analysis = tuple[tuple[tuple[str, timedelta, int, "frozenset[int] | None"], ...], tuple[str, ...]]
_Use = tuple[str, timedelta, int, "tuple[int, ...] | None"]


@dataclass(frozen=True)
class ClockPlan:
    """The clock analysis of some compiled rules, read once for many subjects: every use of a
    clock fact in their sources (its step, direction and flip values, sorted; None: not only
    compared with literals) and the date-bearing facts their dated facts hang on."""

    uses: tuple[_Use, ...]
    dated: tuple[str, ...]

    def next_change(self, facts: Mapping[str, Any], now: datetime,
                    steps: Mapping[str, datetime] | None = None) -> datetime | None:
        """As :func:`next_change` of the rules this plan was made of: the soonest of every use's
        next flip (``now`` when one cannot be told; nothing is sooner)."""
        steps = steps or {}
        soonest: datetime | None = None
        for fact, step, direction, flips in self.uses:
            value = facts.get(fact)
            if value is None:
                continue
            if flips is None or not isinstance(value, int):
                return now
            moves = _moves_to_flip(value, flips, direction)
            if moves is not None:
                # The first move when the fact next steps (at once if unknown), the others a step apart.
                when = max(now, steps.get(fact, now)) + step * (moves - 1)
                soonest = when if soonest is None or when < soonest else soonest
        for source_fact in self.dated:
            # A dated fact may change when the fact it hangs on steps (or a certificate starts or
            # ends: rules.fact_steps), at once when that is unknown.
            when = steps.get(source_fact, now if facts.get(source_fact) is not None else None)
            if when is not None:
                when = max(now, when)
                soonest = when if soonest is None or when < soonest else soonest
        return soonest


def clock_plan(compiled: Iterable[CompiledRule]) -> ClockPlan:
    """The plan of ``compiled`` (each use once: two sources comparing an age with the same
    literals flip at the same time)."""
    uses: dict[_Use, None] = {}
    dated: dict[str, None] = {}
    for item in compiled:
        for source in item.sources:
            source_uses, source_dated = _analysis(source)
            for fact, step, direction, flips in source_uses:
                uses[(fact, step, direction, None if flips is None else tuple(sorted(flips)))] = None
            dated.update(dict.fromkeys(source_dated))
    return ClockPlan(tuple(uses), tuple(dated))


def _moves_to_flip(value: int, flips: tuple[int, ...], direction: int) -> int | None:
    """How many steps ``value``, moving in ``direction``, takes to cross a flip (growing: to reach
    the next flip X above it; shrinking: to fall below the last X at or under it, to X - 1);
    None: it never does."""
    at = bisect_right(flips, value)
    if direction > 0:
        return flips[at] - value if at < len(flips) else None
    return value - flips[at - 1] + 1 if at > 0 else None


@lru_cache(maxsize=4096)
def _analysis(source: str) -> _Analysis:
    """The clock facts ``source`` names (each with its step, direction and flip values, None when
    not only compared with literals) and the date-bearing facts its dated facts hang on."""
    uses = tuple((fact, step, direction, _flips(source, cel_name(fact)))
                 for fact, (step, direction) in CLOCK_FACTS.items() if _names(source, cel_name(fact)))
    dated = tuple(source_fact for fact, source_fact in DATED_FACTS.items() if _names(source, cel_name(fact)))
    return uses, dated


def _names(source: str, variable: str) -> bool:
    return re.search(rf"\b{variable}\b", source) is not None


def _flips(source: str, variable: str) -> frozenset[int] | None:
    """The values X at which a comparison of ``variable`` with an integer literal answers otherwise
    than at X - 1 (``_FLIPS``); None when ``variable`` also appears outside such comparisons."""
    uses = len(re.findall(rf"\b{variable}\b", source))
    plain = re.findall(rf"\b{variable}\s*{_COMPARED}", source)
    nulls = len(re.findall(rf"\b{variable}\s*(==|!=)\s*null\b", source))
    if len(plain) + nulls != uses:
        return None
    return frozenset(int(literal) + offset for operator, literal in plain for offset in _FLIPS[operator])
