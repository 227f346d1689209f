"""Readiness as people read it: a unit's figures with one row per child unit and the total,
the trend from the daily snapshots, and the explanation of a figure (who is in the denominator
but not in the numerator, and why). Scoped: a unit outside the person's subtree is not found.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness, ReadinessSnapshot
from collector.models.units import Unit
from collector.store.readiness import (
    CountsSnapshot,
    among_condition,
    children_sums,
    column_condition,
    counts_snapshot,
    in_use_since,
    subtree_sums,
    subtree_unit_rows,
)
from collector.store.scope import Scope
from collector.store.units import UnitRow, get_unit, top_unit
from rules.indicators import Indicator, IndicatorKind, IndicatorSet, builtin_indicators
from rules.readiness import Figure, figure, machine_reason, percent_text, unit_reason


class IndicatorInfo(msgspec.Struct, kw_only=True):
    id: str
    title_vi: str
    title_en: str
    kind: str
    numerator_vi: str
    numerator_en: str
    denominator_vi: str
    denominator_en: str
    target: float
    """Percent."""
    source: str


class Cell(msgspec.Struct, kw_only=True):
    n: int
    d: int
    percent: float | None
    """n/d × 100; null when d is 0 (nothing to count)."""
    text: str
    """"16/16 — 100%"."""
    below_target: bool


class UnitFigures(msgspec.Struct, kw_only=True):
    code: str
    name: str
    kind: str
    figures: dict[str, Cell]


class TrendPoint(msgspec.Struct, kw_only=True):
    day: date
    n: int
    d: int
    percent: float | None


class ReadinessTable(msgspec.Struct, kw_only=True):
    as_of: datetime
    unit: UnitFigures
    """The unit asked for: its whole subtree (the total row)."""
    children: list[UnitFigures]
    """One row per child unit, each its whole subtree."""
    indicators: list[IndicatorInfo]
    trend: dict[str, list[TrendPoint]]
    """Per indicator, the unit's daily snapshots, oldest first (the last ``trend_days`` days)."""


class ExplainItem(msgspec.Struct, kw_only=True):
    kind: str  # "machine" or "unit"
    name: str
    """Hostname, or unit code."""
    unit_code: str
    machine_id: int | None = None
    reason_vi: str
    reason_en: str


class Explanation(msgspec.Struct, kw_only=True):
    indicator: IndicatorInfo
    unit_code: str
    figure: Cell
    missing: list[ExplainItem]
    """In the denominator, not in the numerator (for computers per official: units short of computers)."""
    not_in_use: list[ExplainItem]
    """Machines left out of every figure: no report within the in-use window."""


def info(indicator: Indicator) -> IndicatorInfo:
    return IndicatorInfo(id=indicator.id, title_vi=indicator.title.vi, title_en=indicator.title.en,
                         kind=str(indicator.kind), numerator_vi=indicator.numerator.vi,
                         numerator_en=indicator.numerator.en, denominator_vi=indicator.denominator.vi,
                         denominator_en=indicator.denominator.en, target=indicator.target, source=indicator.source)


def cell(indicator: Indicator, value: Figure) -> Cell:
    percent = value.percent
    return Cell(n=value.n, d=value.d, percent=None if percent is None else round(percent, 2), text=value.text(),
                below_target=value.below(indicator.target))


def _figures(unit: Any, sums: dict[str, int], indicators: IndicatorSet) -> UnitFigures:
    return UnitFigures(code=unit.code, name=unit.name, kind=unit.kind,
                       figures={i.id: cell(i, figure(i, sums)) for i in indicators.indicators})


def _root(session: Session, scope: Scope, unit_code: str | None) -> UnitRow:
    """The unit asked for, else the top of the person's scope (the first root for everything)."""
    return get_unit(session, unit_code, scope) if unit_code is not None else top_unit(session, scope)


def readiness_table(session: Session, scope: Scope, unit_code: str | None, now: datetime,
                    indicators: IndicatorSet | None = None, trend_days: int = 365,
                    counts: CountsSnapshot | None = None) -> ReadinessTable:
    """The readiness of ``unit_code`` (the top of the scope when None) and of each of its children,
    computed now, or as of ``counts`` (its indicators and time) when given and it knows the unit."""
    root = _root(session, scope, unit_code)
    if counts is not None and root.id in counts.labels:
        indicators, now = counts.indicators, counts.taken_at
        sums = counts.children_sums(root.id, root.path)
        children = [ChildUnit(*child) for child in counts.children(root.path)]
    else:
        indicators = indicators or builtin_indicators()
        sums = children_sums(session, root.id, root.path, indicators, now, _line_reach(session, root.path, now))
        children = [ChildUnit(*row) for row in session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind)
                                                             .where(Unit.parent_id == root.id).order_by(Unit.path))]
    return ReadinessTable(as_of=now, unit=_figures(root, sums[root.id], indicators),
                          children=[_figures(u, sums[u.id], indicators) for u in children],
                          indicators=[info(i) for i in indicators.indicators],
                          trend=trend(session, root.id, now.date() - timedelta(days=trend_days)))


class ChildUnit(NamedTuple):
    id: int
    code: str
    name: str
    kind: str


def readiness_counts(session: Session, now: datetime, indicators: IndicatorSet | None = None) -> CountsSnapshot:
    """Every unit's readiness counts at ``now``, for :func:`readiness_table` to roll any unit up from."""
    return counts_snapshot(session, indicators or builtin_indicators(), now, _line_reach(session, "/", now))


def _line_reach(session: Session, path: str, now: datetime) -> dict[int, bool]:
    """Per unit of the subtree at ``path``, whether its configured dedicated line is up (where known)."""
    from collector.store.links import dedicated_line_reach, link_states

    rows = link_states(session, Scope(path), now)
    return dedicated_line_reach(session, rows) if rows else {}


def trend(session: Session, unit_id: int, since: date) -> dict[str, list[TrendPoint]]:
    rows = session.execute(select(ReadinessSnapshot).where(ReadinessSnapshot.unit_id == unit_id,
                                                           ReadinessSnapshot.day >= since)
                           .order_by(ReadinessSnapshot.day)).scalars()
    points: dict[str, list[TrendPoint]] = {}
    for row in rows:
        value = Figure(row.numerator, row.denominator)
        points.setdefault(row.indicator, []).append(TrendPoint(day=row.day, n=value.n, d=value.d,
                                                               percent=value.percent))
    return points


def trend_text(points: list[TrendPoint], last: int = 4) -> str:
    """"90% → 94% → 100%": the last few snapshots."""
    return " → ".join(percent_text(p.percent) for p in points[-last:]) or "—"


# --- explain ----------------------------------------------------------------------------------


def explain(session: Session, scope: Scope, unit_code: str | None, indicator_id: str, now: datetime,
            indicators: IndicatorSet | None = None) -> Explanation:
    """Why ``indicator_id`` of ``unit_code`` is not n = d: each machine or unit in the denominator
    and not in the numerator, with its reason (Vietnamese and English)."""
    indicators = indicators or builtin_indicators()
    indicator = indicators.get(indicator_id)
    root = _root(session, scope, unit_code)
    units = subtree_unit_rows(session, root.path)
    sums = subtree_sums(session, units, indicators, now, root.path, _line_reach(session, root.path, now))
    if indicator.kind is IndicatorKind.MACHINE:
        missing = _missing_machines(session, indicator, root.path, indicators, now)
    elif indicator.kind is IndicatorKind.UNIT:
        missing = [ExplainItem(kind="unit", name=u.code, unit_code=u.code, reason_vi=r.vi, reason_en=r.en)
                   for u in units if u.kind in indicators.unit_kinds and not sums[u.id][f"un:{indicator.id}"]
                   for r in (unit_reason(indicator, sums[u.id]),)]
    else:
        missing = _short_of_computers(units, sums)
    return Explanation(indicator=info(indicator), unit_code=root.code, figure=cell(indicator, figure(indicator,
                       sums[root.id])), missing=missing, not_in_use=_not_in_use(session, root.path, indicators, now))


def _machines(path: str):  # type: ignore[no-untyped-def]
    return (select(MachineReadiness, Machine.hostname, Unit.code)
            .join(Machine, Machine.id == MachineReadiness.machine_id).join(Unit, Unit.id == MachineReadiness.unit_id)
            .where(MachineReadiness.unit_path.startswith(path, autoescape=True))
            .order_by(MachineReadiness.unit_path, Machine.hostname))


def _missing_machines(session: Session, indicator: Indicator, path: str, indicators: IndicatorSet,
                      now: datetime) -> list[ExplainItem]:
    query = _machines(path).where(MachineReadiness.seen_at >= in_use_since(indicators, now), among_condition(indicator),
                                  case((column_condition(indicator.counts), 1), else_=0) == 0)
    items = []
    for row, hostname, unit_code in session.execute(query):
        reason = machine_reason(indicator, getattr(row, indicator.counts), json.loads(row.detail_json or "{}"))
        items.append(ExplainItem(kind="machine", name=hostname, unit_code=unit_code, machine_id=row.machine_id,
                                 reason_vi=reason.vi, reason_en=reason.en))
    return items


def _not_in_use(session: Session, path: str, indicators: IndicatorSet, now: datetime) -> list[ExplainItem]:
    query = _machines(path).where(MachineReadiness.seen_at < in_use_since(indicators, now))
    return [ExplainItem(kind="machine", name=hostname, unit_code=code, machine_id=row.machine_id,
                        reason_vi=f"không có báo cáo từ {row.seen_at:%d/%m/%Y} (quá {indicators.in_use_days} ngày)",
                        reason_en=f"no report since {row.seen_at:%Y-%m-%d} (over {indicators.in_use_days} days)")
            for row, hostname, code in session.execute(query)]


def _short_of_computers(units: list[Unit], sums: dict[int, dict[str, int]]) -> list[ExplainItem]:
    items = []
    for unit in units:
        machines, staff = sums[unit.id]["in_use"], sums[unit.id]["staff"]
        if unit.staff_count and machines < staff:
            items.append(ExplainItem(kind="unit", name=unit.code, unit_code=unit.code,
                                     reason_vi=f"{machines} máy đang dùng / {staff} cán bộ: thiếu {staff - machines}",
                                     reason_en=f"{machines} computers in use for {staff} officials: "
                                               f"{staff - machines} short"))
    return items
