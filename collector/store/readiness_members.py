"""Who fails an indicator below target, for the unit's alert (readiness.below_target): per unit,
per indicator, its figure and the first members that fail it, each with its reason in words:
"Máy tính có phần mềm phòng chống mã độc bản quyền 8/10 (mục tiêu 100%): tanlong-pc01 (chưa cài phần
mềm phòng chống mã độc), ...". One pass over the machines in use and one over the officials register, each
row added to its unit's ancestors: no query per unit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, literal, or_, select, true
from sqlalchemy.orm import Session

from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness
from collector.store.official_counts import in_use_since, no_machine_reason, official_machines, working
from collector.store.units import path_ids
from rules.indicators import Indicator, IndicatorKind, IndicatorSet
from rules.readiness import figure, percent_text
from rules.readiness_reasons import machine_reason, unit_reason

SHOWN = 5
"""Members named per indicator; the rest are counted."""


class _Members:
    """The first ``SHOWN`` members failing an indicator in a unit's subtree, and how many fail:
    a province's list would otherwise hold every failing machine of every commune, to name five."""

    __slots__ = ("shown", "count")

    def __init__(self, shown: list[str] | None = None, count: int = 0) -> None:
        self.shown = shown if shown is not None else []
        self.count = count

    def full(self) -> bool:
        return len(self.shown) >= SHOWN

    def add(self, member: str | None) -> None:
        """One more failing member (None: not named, the list being full)."""
        self.count += 1
        if member is not None and not self.full():
            self.shown.append(member)

    def __add__(self, other: _Members) -> _Members:
        return _Members((self.shown + other.shown)[:SHOWN], self.count + other.count)

    def text(self) -> str:
        more = self.count - len(self.shown)
        return ", ".join(self.shown) + (f" và {more} khác" if more > 0 else "")


def failing_members(session: Session, units: Sequence[Any], sums: Mapping[int, Mapping[str, int]],
                    below: Mapping[int, Sequence[str]], indicators: IndicatorSet, now: datetime,
                    indicators_of: Callable[[str], IndicatorSet]) -> dict[int, list[str]]:
    """Per unit with indicators below target, one line per such indicator (see the module)."""
    wanted = {unit_id for unit_id, ids in below.items() if ids}
    if not wanted:
        return {}
    by_id = {u.id: u for u in units}
    people, registered = _official_members(session, indicators, now, wanted)
    machines = _machine_members(session, indicators, now, wanted, registered)
    failing_units = _unit_members(units, sums, indicators, wanted)
    found: dict[int, list[str]] = {}
    for unit_id in wanted:
        unit = by_id[unit_id]
        mine = indicators_of(unit.path)
        lines = []
        for indicator_id in below[unit_id]:
            indicator = mine.get(indicator_id)
            value = figure(indicator, sums[unit_id])
            head = f"{indicator.title.vi} {value.n}/{value.d} (mục tiêu {percent_text(indicator.target)})"
            shown = _members(indicator, unit, sums, failing_units, machines, people).text()
            lines.append(f"{head}: {shown}" if shown else head)
        found[unit_id] = lines
    return found


def _members(indicator: Indicator, unit: Any, sums: Mapping[int, Mapping[str, int]],
             failing_units: Mapping[tuple[int, str], list[str]], machines: Mapping[tuple[int, str], _Members],
             people: Mapping[tuple[int, str], _Members]) -> _Members:
    if indicator.kind is IndicatorKind.UNIT:
        units = failing_units.get((unit.id, indicator.id)) or [unit_reason(indicator, sums[unit.id]).vi]
        return _Members(units[:SHOWN], len(units))
    if indicator.kind is IndicatorKind.MACHINE:
        return machines.get((unit.id, indicator.id), _Members())
    listed = people.get((unit.id, indicator.id), _Members())
    if indicator.kind is IndicatorKind.OFFICIAL:
        listed = listed + machines.get((unit.id, indicator.id), _Members())
    short = sums[unit.id].get("sd", 0) - sums[unit.id].get("sn", 0) if indicator.kind is IndicatorKind.STAFF else 0
    fallback = short - listed.count if short > listed.count else 0
    return listed + _Members([f"thiếu {fallback} máy theo số biên chế"], 1) if fallback else listed


def _unit_members(units: Sequence[Any], sums: Mapping[int, Mapping[str, int]], indicators: IndicatorSet,
                  wanted: set[int]) -> dict[tuple[int, str], list[str]]:
    """(unit id, indicator id) -> "name (reason)" of the counted units of its subtree (not itself)
    that a unit indicator does not count: each failing unit added to its ancestors, one pass."""
    kinds = [i for i in indicators.indicators if i.kind is IndicatorKind.UNIT]
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    for unit in units:
        mine = sums[unit.id]
        ancestors = [u for u in path_ids(unit.path)[:-1] if u in wanted]
        for indicator in kinds if ancestors and unit.kind in indicators.unit_kinds else ():
            if mine.get(f"ud:{indicator.id}") and not mine.get(f"un:{indicator.id}"):
                line = f"{unit.name} ({unit_reason(indicator, mine).vi})"
                for ancestor in ancestors:
                    found[(ancestor, indicator.id)].append(line)
    return found


def _machine_members(session: Session, indicators: IndicatorSet, now: datetime, wanted: set[int],
                     registered: set[int]) -> dict[tuple[int, str], _Members]:
    """(unit id, indicator id) -> "hostname (reason)" of machines of the unit's subtree in use, in
    the denominator and not the numerator, for the units in ``wanted`` (an official indicator
    counts the machines of units without a register only).

    SQL tells, per row that may fail, which indicators it fails (a bit each); the rows come in
    (unit path, hostname) order, so each unit's own first members and counts, added to its wanted
    ancestors unit by unit, give every list; only the members named read their details."""
    kinds = [i for i in indicators.indicators if i.kind in (IndicatorKind.MACHINE, IndicatorKind.OFFICIAL)]
    rows, machines = MachineReadiness.__table__, Machine.__table__  # Core: no ORM work per row
    fails = [_failing(rows, i) for i in kinds]
    query = (select(rows.c.machine_id, rows.c.unit_id, rows.c.unit_path, machines.c.hostname,
                    sum((case((failing, 1 << bit), else_=0) for bit, failing in enumerate(fails)), literal(0)))
             .join(machines, machines.c.id == rows.c.machine_id)
             .where(rows.c.seen_at >= in_use_since(indicators, now), or_(*fails))
             .order_by(rows.c.unit_path, machines.c.hostname))
    official = sum(1 << bit for bit, i in enumerate(kinds) if i.kind is IndicatorKind.OFFICIAL)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    shown: dict[tuple[int, str], list[_Unnamed]] = defaultdict(list)
    ancestors_of = _Ancestors(wanted)
    own = _OwnMembers("")
    for machine_id, own_unit, path, hostname, failed in session.execute(query):
        if path != own.path:
            own.add_to(counts, shown, ancestors_of(own.path), kinds)
            own = _OwnMembers(path)
        own.add(machine_id, hostname, failed & ~official if own_unit in registered else failed)
    own.add_to(counts, shown, ancestors_of(own.path), kinds)
    names = _names(session, shown, kinds)
    return {key: _Members([names[(m[0], m[2])] for m in shown[key]], count) for key, count in counts.items()}


_Unnamed = tuple[int, str, int]
"""A member to name: (machine id, hostname, indicator bit)."""


class _OwnMembers:
    """One unit's own machines failing each indicator (by bit): how many, and the first ``SHOWN``
    still to name."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.counts: dict[int, int] = defaultdict(int)
        self.first: dict[int, list[_Unnamed]] = defaultdict(list)

    def add(self, machine_id: int, hostname: str, failed: int) -> None:
        while failed:
            low = failed & -failed
            bit = low.bit_length() - 1
            self.counts[bit] += 1
            if len(self.first[bit]) < SHOWN:
                self.first[bit].append((machine_id, hostname, bit))
            failed ^= low

    def add_to(self, counts: dict[tuple[int, str], int], shown: dict[tuple[int, str], list[_Unnamed]],
               ancestors: Sequence[int], kinds: Sequence[Indicator]) -> None:
        """Into each wanted ancestor's count and first members (``ancestors``, the unit itself
        included), after those of the units before it in path order."""
        for bit, count in self.counts.items():
            for unit_id in ancestors:
                key = (unit_id, kinds[bit].id)
                counts[key] += count
                shown[key].extend(self.first[bit][:SHOWN - len(shown[key])])


def _names(session: Session, shown: Mapping[tuple[int, str], list[_Unnamed]],
           kinds: Sequence[Indicator]) -> dict[tuple[int, int], str]:
    """(machine id, indicator bit) -> "hostname (reason)" of the members shown."""
    ids = sorted({member[0] for members in shown.values() for member in members})
    columns = sorted({i.counts for i in kinds})
    rows = MachineReadiness.__table__
    read: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), 500):
        for machine_id, detail_json, *values in session.execute(
                select(rows.c.machine_id, rows.c.detail_json, *(rows.c[c] for c in columns))
                .where(rows.c.machine_id.in_(ids[start:start + 500]))):
            read[machine_id] = (json.loads(detail_json or "{}"), dict(zip(columns, values, strict=True)))
    names: dict[tuple[int, int], str] = {}
    for machine_id, hostname, bit in {member for members in shown.values() for member in members}:
        detail, values = read[machine_id]
        indicator = kinds[bit]
        names[(machine_id, bit)] = f"{hostname} ({machine_reason(indicator, values[indicator.counts], detail).vi})"
    return names


def _failing(rows: Any, indicator: Indicator) -> ColumnElement[bool]:
    """SQL: the row may fail ``indicator`` (in its denominator, not its numerator): every row the
    loop of :func:`_machine_members` names for it, the others left in the database."""
    counted = rows.c[indicator.counts]
    parts = [or_(counted.is_(None), counted == false()), *(rows.c[c] == true() for c in indicator.only)]
    if indicator.exclude_roles:
        parts.append(or_(rows.c.role.is_(None), rows.c.role.not_in(sorted(indicator.exclude_roles))))
    return and_(*parts)


class _Ancestors:
    """Per unit path, its units (itself and its ancestors) that are in ``wanted``, worked out once."""

    def __init__(self, wanted: set[int]) -> None:
        self.wanted = wanted
        self._kept: dict[str, list[int]] = {}

    def __call__(self, path: str) -> list[int]:
        found = self._kept.get(path)
        if found is None:
            found = self._kept[path] = [u for u in path_ids(path) if u in self.wanted]
        return found


def _official_members(session: Session, indicators: IndicatorSet, now: datetime,
                      wanted: set[int]) -> tuple[dict[tuple[int, str], _Members], set[int]]:
    """(unit id, indicator id) -> "name (reason)" of officials without a working machine, for the
    staff indicator and the official ones (for those, a working machine missing the column too);
    and the units that have a register."""
    since = in_use_since(indicators, now)
    people = [i for i in indicators.indicators if i.kind in (IndicatorKind.STAFF, IndicatorKind.OFFICIAL)]
    paths = _unit_paths(session)
    found: dict[tuple[int, str], _Members] = defaultdict(_Members)
    registered: set[int] = set()
    for person in official_machines(session, indicators, None):
        registered.add(person.unit_id)
        ancestors = [u for u in path_ids(paths.get(person.unit_id, "")) if u in wanted]
        if not ancestors:
            continue
        machines = [c for c in person.candidates if working(c, since)]
        for indicator in people:
            if machines and (indicator.kind is IndicatorKind.STAFF
                             or any(c.values.get(indicator.counts) for c in machines)):
                continue
            reason = no_machine_reason(person, since).vi if not machines else \
                machine_reason(indicator, machines[0].values.get(indicator.counts), machines[0].detail).vi
            for unit_id in ancestors:
                found[(unit_id, indicator.id)].add(f"{person.name} ({reason})")
    return found, registered


def _unit_paths(session: Session) -> dict[int, str]:
    from collector.models.units import Unit

    return dict(session.execute(select(Unit.id, Unit.path)).all())
