"""Readiness storage (each machine's row: collector.store.readiness_rows), the per-unit SQL
aggregate every figure comes from, the daily snapshot and the scan's readiness step.

The heavy part is one ``GROUP BY unit_id`` over ``machine_readiness``, read from one covering
index (ix_machine_readiness_counts); the tree rollup then adds those per-unit counts up the units
(rules.readiness.rollup), never looping over machines. A readiness table needs its unit and that
unit's children only (:func:`children_sums`, rules.readiness.rollup_children).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, false, func, insert, or_, select, true
from sqlalchemy.orm import Session

from agent.wire.schema import Role
from collector.models.readiness import MachineReadiness, ReadinessSnapshot
from collector.models.units import Unit
from collector.store.readiness_rows import refresh_machine_readiness
from collector.store.unit_context import UnitContexts
from collector.store.units import live_units
from rules.indicators import Indicator, IndicatorKind, IndicatorSet, builtin_indicators
from rules.readiness import (
    UnitNode,
    below_target,
    count_keys,
    figure,
    official_keys,
    rollup,
    rollup_children,
)

_ROLLED_KEPT = 512  # units whose rollup a CountsSnapshot keeps (then it starts again)


# --- the SQL aggregate ------------------------------------------------------------------------


def column_condition(name: str) -> ColumnElement[bool]:
    """The SQL condition "this machine counts for ``name``" (a column of rules.indicators.MACHINE_COLUMNS)."""
    if name == "offline_compliant":
        return and_(MachineReadiness.role == Role.OFFLINE, MachineReadiness.offline_isolated == true(),
                    or_(MachineReadiness.via_network.is_(None), MachineReadiness.via_network == false()))
    column = getattr(MachineReadiness, name)
    return column == true()  # type: ignore[no-any-return]


def among_condition(indicator: Indicator) -> ColumnElement[bool]:
    """The SQL condition "this machine in use is in the indicator's denominator"."""
    return and_(true(), *_among_parts(indicator))


def _among_parts(indicator: Indicator) -> list[ColumnElement[bool]]:
    parts: list[ColumnElement[bool]] = [column_condition(name) for name in indicator.only]
    if indicator.exclude_roles:
        parts.append(MachineReadiness.role.not_in(sorted(indicator.exclude_roles)))
    return parts


def _count(condition: ColumnElement[bool]) -> Any:
    return func.count(case((condition, 1)))  # NULL otherwise: counted without adding (cheaper than SUM)


def _aggregates(indicators: IndicatorSet) -> dict[str, Any]:
    columns: dict[str, Any] = {"in_use": func.count(), "offline": _count(MachineReadiness.role == Role.OFFLINE)}
    for indicator in indicators.indicators:
        if indicator.kind in (IndicatorKind.MACHINE, IndicatorKind.OFFICIAL):
            # No "1 = 1" for an indicator counted among every machine: its denominator is then the
            # same COUNT(*) as "in_use", computed once (_distinct_aggregates).
            among = _among_parts(indicator)
            columns[f"n:{indicator.id}"] = _count(and_(*among, column_condition(indicator.counts)))
            columns[f"d:{indicator.id}"] = _count(and_(*among)) if among else func.count()
        elif indicator.kind is IndicatorKind.UNIT:
            columns[f"has:{indicator.counts}"] = _count(column_condition(indicator.counts))
    assert tuple(columns) == machine_count_keys(indicators)
    return columns


def machine_count_keys(indicators: IndicatorSet) -> tuple[str, ...]:
    """The count keys the per-unit SQL over machines gives (the officials' come after them)."""
    keys = count_keys(indicators)
    return keys[:len(keys) - len(official_keys(indicators))]


def in_use_since(indicators: IndicatorSet, now: datetime) -> datetime:
    return now - timedelta(days=indicators.in_use_days)


def unit_counts(session: Session, indicators: IndicatorSet, now: datetime,
                subtree: str | None = None) -> dict[int, dict[str, int]]:
    """Per unit (its own machines only): the counts of rules.readiness.count_keys, machines in use."""
    names = count_keys(indicators)
    return {unit_id: dict(zip(names, counts, strict=True))
            for unit_id, counts in unit_count_rows(session, indicators, now, subtree).items()}


def unit_count_rows(session: Session, indicators: IndicatorSet, now: datetime,
                    subtree: str | None = None) -> dict[int, tuple[int, ...]]:
    """As :func:`unit_counts`, each unit's counts as one tuple in count_keys order (no dict per unit):
    the machines' aggregate, then the officials register's counts (collector.store.official_counts)."""
    from collector.store.official_counts import official_counts

    machines = _machine_count_rows(session, indicators, now, subtree)
    officials = official_counts(session, indicators, now, subtree)
    no_machines = (0,) * len(machine_count_keys(indicators))
    no_officials = (0,) * len(official_keys(indicators))
    return {unit_id: (*machines.get(unit_id, no_machines), *officials.get(unit_id, no_officials))
            for unit_id in machines.keys() | officials.keys()}


def _machine_count_rows(session: Session, indicators: IndicatorSet, now: datetime,
                        subtree: str | None = None) -> dict[int, tuple[int, ...]]:
    keys, distinct = _distinct_aggregates(indicators)
    pick = itemgetter(*(1 + position for _, position in keys))
    query = select(MachineReadiness.unit_id, *(c.label(f"c{i}") for i, c in enumerate(distinct)))
    query = query.where(MachineReadiness.seen_at >= in_use_since(indicators, now)).group_by(MachineReadiness.unit_id)
    if subtree is not None and subtree != "/":
        # By unit id, not machine_readiness.unit_path: SQLite's LIKE cannot use an index (its LIKE is
        # case-insensitive), while a list of unit ids seeks the (unit_id, ...) index: a commune reads
        # its own machines' rows only, not the province's.
        units = select(Unit.id).where(Unit.path.startswith(subtree, autoescape=True))
        query = query.where(MachineReadiness.unit_id.in_(units.scalar_subquery()))
    return {row[0]: pick(row) for row in session.execute(query)}


def _distinct_aggregates(indicators: IndicatorSet) -> tuple[list[tuple[str, int]], list[Any]]:
    """Each count key with the position of its aggregate, the same SQL computed once (several
    indicators share a denominator, e.g. every machine in use): fewer expressions per row scanned."""
    keys: list[tuple[str, int]] = []
    distinct: list[Any] = []
    seen: dict[str, int] = {}
    for key, column in _aggregates(indicators).items():
        text = str(column.compile(compile_kwargs={"literal_binds": True}))
        if text not in seen:
            seen[text] = len(distinct)
            distinct.append(column)
        keys.append((key, seen[text]))
    return keys, distinct


def subtree_units(session: Session, path: str | None) -> list[Unit]:
    """Units of the subtree at ``path`` (everything when None), parents first."""
    query = select(Unit).where(live_units()).order_by(Unit.path)
    if path is not None:
        query = query.where(Unit.path.startswith(path, autoescape=True))
    return list(session.scalars(query))


def subtree_unit_rows(session: Session, path: str | None) -> list[Any]:
    """As :func:`subtree_units`, as plain rows of the columns the rollup and the readiness table
    read (id, parent_id, path, kind, staff_count, code, name): no ORM objects for 10,000 units."""
    query = select(Unit.id, Unit.parent_id, Unit.path, Unit.kind, Unit.staff_count, Unit.code, Unit.name) \
        .where(live_units()).order_by(Unit.path)
    if path is not None:
        query = query.where(Unit.path.startswith(path, autoescape=True))
    return list(session.execute(query))


def unit_nodes(units: Iterable[Any]) -> list[UnitNode]:
    return [UnitNode(u.id, u.parent_id, u.path, u.kind, u.staff_count or 0) for u in units]


def subtree_sums(session: Session, units: Sequence[Any], indicators: IndicatorSet, now: datetime,
                 subtree: str | None, line_reach: Mapping[int, bool] | None = None) -> dict[int, dict[str, int]]:
    """Every unit's subtree sums (rules.readiness.rollup) for ``units`` (a whole subtree).
    ``line_reach``: per unit id, whether its configured dedicated line is up, where its state is
    known (collector.store.links.dedicated_line_reach); it decides "units reaching the line"."""
    return rollup(unit_nodes(units), unit_counts(session, indicators, now, subtree), indicators, _observed(line_reach))


def children_sums(session: Session, root_id: int, root_path: str, indicators: IndicatorSet, now: datetime,
                  line_reach: Mapping[int, bool] | None = None) -> dict[int, dict[str, int]]:
    """The subtree sums of the unit ``root_id`` at ``root_path`` and of each of its direct children
    only (rules.readiness.rollup_children): what the readiness table shows, the same figures as
    :func:`subtree_sums` without summing every unit of the subtree. ``line_reach`` as there."""
    units = session.execute(select(Unit.id, Unit.path, Unit.kind, Unit.staff_count)
                            .where(Unit.path.startswith(root_path, autoescape=True), live_units()))
    return rollup_children(root_id, root_path, units, unit_count_rows(session, indicators, now, root_path),
                           indicators, _observed(line_reach))


def _observed(line_reach: Mapping[int, bool] | None) -> dict[int, dict[str, bool]]:
    return {unit_id: {"has_dedicated_line": up} for unit_id, up in (line_reach or {}).items()}


@dataclass(frozen=True)
class CountsSnapshot:
    """Every unit's own counts at ``taken_at`` (one aggregate over the whole tree), the units and the
    known dedicated-line states: any unit's readiness table rolls up from it with no SQL over machines
    (:meth:`children_sums`). The dashboard keeps one and shares it between people (server.web.cache)."""

    taken_at: datetime
    indicators: IndicatorSet
    units: list[tuple[int, str, str, int]]
    """(id, path, kind, staff) of every unit."""
    labels: dict[int, tuple[str, str]]
    """Unit id -> (code, name)."""
    own: dict[int, tuple[int, ...]]
    """Unit id -> its own machines' counts in count_keys order (units with no machine in use: absent)."""
    line_reach: dict[int, bool]
    _rolled: dict[int, dict[int, dict[str, int]]] = field(default_factory=dict, repr=False, compare=False)

    def children_sums(self, root_id: int, root_path: str) -> dict[int, dict[str, int]]:
        """As the function :func:`children_sums`, for a unit the snapshot knows; kept for the next
        request (the snapshot never changes; a province's rollup is tens of milliseconds)."""
        found = self._rolled.get(root_id)
        if found is None:
            found = rollup_children(root_id, root_path, self.units, self.own, self.indicators,
                                    _observed(self.line_reach))
            if len(self._rolled) >= _ROLLED_KEPT:
                self._rolled.clear()
            self._rolled[root_id] = found
        return found

    def children(self, root_path: str) -> list[tuple[int, str, str, str]]:
        """(id, code, name, kind) of the direct children of the unit at ``root_path``, in path order."""
        depth = root_path.count("/") + 1
        found = [(path, unit_id, kind) for unit_id, path, kind, _staff in self.units
                 if path.startswith(root_path) and path.count("/") == depth]
        return [(unit_id, *self.labels[unit_id], kind) for _path, unit_id, kind in sorted(found)]


def counts_snapshot(session: Session, indicators: IndicatorSet, now: datetime,
                    line_reach: Mapping[int, bool]) -> CountsSnapshot:
    """Every unit's counts at ``now`` (``line_reach`` for every unit, as for :func:`subtree_sums`)."""
    units, labels = [], {}
    for unit_id, path, kind, staff, code, name in session.execute(
            select(Unit.id, Unit.path, Unit.kind, Unit.staff_count, Unit.code, Unit.name).where(live_units())):
        units.append((unit_id, path, kind, staff or 0))
        labels[unit_id] = (code, name)
    return CountsSnapshot(now, indicators, units, labels, unit_count_rows(session, indicators, now),
                          dict(line_reach))


# --- snapshot, below target -------------------------------------------------------------------


def write_snapshot(session: Session, sums: Mapping[int, Mapping[str, int]], indicators: IndicatorSet,
                   day: date) -> int:
    """Today's figures of every unit (replacing an earlier snapshot of the same day: the rows whose
    figure changed are rewritten, the others kept). Returns how many rows the day has."""
    wanted = {(unit_id, i.id): (f.n, f.d) for unit_id, unit_sums in sums.items() for i in indicators.indicators
              for f in (figure(i, unit_sums),)}
    stored = {(unit_id, indicator): (row_id, (numerator, denominator)) for row_id, unit_id, indicator, numerator,
              denominator in session.execute(select(ReadinessSnapshot.id, ReadinessSnapshot.unit_id,
                                                    ReadinessSnapshot.indicator, ReadinessSnapshot.numerator,
                                                    ReadinessSnapshot.denominator)
                                             .where(ReadinessSnapshot.day == day))}
    stale = [row_id for key, (row_id, figures) in stored.items() if wanted.get(key) != figures]
    for start in range(0, len(stale), 5000):
        session.execute(delete(ReadinessSnapshot).where(ReadinessSnapshot.id.in_(stale[start:start + 5000])))
    rows = [{"unit_id": unit_id, "indicator": indicator, "day": day, "numerator": n, "denominator": d}
            for (unit_id, indicator), (n, d) in wanted.items()
            if (unit_id, indicator) not in stored or stored[(unit_id, indicator)][1] != (n, d)]
    for start in range(0, len(rows), 5000):
        session.execute(insert(ReadinessSnapshot), rows[start:start + 5000])
    return len(wanted)


@dataclass(frozen=True)
class ReadinessScan:
    """What the scan's readiness step gives the unit rules."""

    below: dict[int, list[str]]
    """Per unit id, the indicators below the unit's target."""
    failing: dict[int, list[str]]
    """Per unit id with any below target: each such indicator's figure and failing members, in words."""


def scan_readiness(session: Session, now: datetime, indicators: IndicatorSet | None = None,
                   line_reach: Mapping[int, bool] | None = None,
                   changed: Collection[int] | None = None) -> ReadinessScan:
    """The scheduled scan's readiness step: refresh the machines' rows (``changed`` as for
    :func:`refresh_machine_readiness`; the scan passes none: it wrote the rows of the machines it
    judged), snapshot today's figures
    of every unit, and give each unit's indicators below its target (per unit and year) with the
    members failing them (for rule readiness.below_target). ``line_reach`` as for
    :func:`subtree_sums` (the scan has just worked the link states out)."""
    from collector.store.readiness_members import failing_members

    indicators = indicators or builtin_indicators()
    refresh_machine_readiness(session, now, indicators=indicators, changed=changed)
    units = subtree_unit_rows(session, None)
    sums = subtree_sums(session, units, indicators, now, None, line_reach)
    write_snapshot(session, sums, indicators, now.date())
    contexts = UnitContexts(session, indicators, now)
    below = {u.id: below_target(contexts.of(u.path), sums[u.id]) for u in units}
    return ReadinessScan(below, failing_members(session, units, sums, below, indicators, now, contexts.of))
