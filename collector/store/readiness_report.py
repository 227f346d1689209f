"""Readiness as people read it: a unit's figures with one row per child unit and the total,
the trend from the daily snapshots, and the explanation of a figure (who is in the denominator
but not in the numerator, and why). Scoped: a unit outside the person's subtree is not found.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness, ReadinessSnapshot
from collector.models.units import Unit
from collector.store.official_counts import official_gaps
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
from collector.store.unit_context import UnitContexts, report_year
from collector.store.units import UnitRow, get_unit, live_units, top_unit, unit_codes_on_path
from rules.indicators import Indicator, IndicatorKind, IndicatorSet, builtin_indicators
from rules.readiness import Figure, excluded, figure, percent_text
from rules.readiness_reasons import machine_reason, unit_reason


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
    """Percent (the unit asked for's, in the table's year)."""
    source: str
    remediation_vi: str = ""
    remediation_en: str = ""


class Cell(msgspec.Struct, kw_only=True):
    n: int
    d: int
    percent: float | None
    """n/d × 100; null when d is 0 (nothing to count)."""
    text: str
    """"16/16 — 100%"."""
    below_target: bool
    target: float = 100.0
    """The unit's target for this indicator in the table's year (percent)."""
    excluded: int = 0
    """Machines in use this figure leaves out of its denominator (the offline PC in LAN/Internet)."""


class UnitFigures(msgspec.Struct, kw_only=True):
    code: str
    name: str
    kind: str
    figures: dict[str, Cell]
    fallback_units: int = 0
    """Units of the subtree counted by staff number (no officials register yet)."""
    registered_units: int = 0
    """Units of the subtree counted by their officials register."""


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
    kms_any: bool = False
    """No KMS host list applies to the unit: any KMS activation counts as activated."""
    year: int = 0
    """The year the targets are of (Vietnam time of ``as_of``)."""


class ExplainItem(msgspec.Struct, kw_only=True):
    kind: str  # "machine", "unit" or "official"
    name: str
    """Hostname, unit code or the official's name."""
    unit_code: str
    machine_id: int | None = None
    reason_vi: str
    reason_en: str


class Explanation(msgspec.Struct, kw_only=True):
    indicator: IndicatorInfo
    unit_code: str
    figure: Cell
    missing: list[ExplainItem]
    """In the denominator, not in the numerator: machines, units, officials of a register, units
    counted by staff number that are short of computers."""
    not_in_use: list[ExplainItem]
    """Machines left out of every figure: no report within the in-use window."""
    excluded: list[ExplainItem] = []
    """Machines in use this figure leaves out of its denominator (its excluded roles)."""


def info(indicator: Indicator) -> IndicatorInfo:
    remediation = indicator.remediation
    return IndicatorInfo(id=indicator.id, title_vi=indicator.title.vi, title_en=indicator.title.en,
                         kind=str(indicator.kind), numerator_vi=indicator.numerator.vi,
                         numerator_en=indicator.numerator.en, denominator_vi=indicator.denominator.vi,
                         denominator_en=indicator.denominator.en, target=indicator.target, source=indicator.source,
                         remediation_vi=remediation.vi if remediation else "",
                         remediation_en=remediation.en if remediation else "")


def cell(indicator: Indicator, value: Figure, sums: dict[str, int] | None = None) -> Cell:
    percent = value.percent
    return Cell(n=value.n, d=value.d, percent=None if percent is None else round(percent, 2), text=value.text(),
                below_target=value.below(indicator.target), target=indicator.target,
                excluded=excluded(indicator, sums) if sums else 0)


def _figures(unit: Any, sums: dict[str, int], indicators: IndicatorSet) -> UnitFigures:
    """``indicators`` as they apply to the unit (its targets)."""
    return UnitFigures(code=unit.code, name=unit.name, kind=unit.kind,
                       figures={i.id: cell(i, figure(i, sums), sums) for i in indicators.indicators},
                       fallback_units=sums.get("fallback", 0), registered_units=sums.get("registered", 0))


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
                                                             .where(Unit.parent_id == root.id, live_units())
                                                             .order_by(Unit.path))]
    year = report_year(now)
    chain = unit_codes_on_path(session, root.path) if indicators.overrides else ()
    mine = indicators.for_unit(chain, year)
    return ReadinessTable(as_of=now, unit=_figures(root, sums[root.id], mine),
                          children=[_figures(u, sums[u.id], indicators.for_unit((*chain, u.code), year))
                                    for u in children],
                          indicators=[info(i) for i in mine.indicators],
                          trend=trend(session, root.id, now.date() - timedelta(days=trend_days)),
                          kms_any=not mine.parameter("kms_hosts", []), year=year)


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
    indicators.get(indicator_id)  # IndicatorError for an unknown id
    root = _root(session, scope, unit_code)
    mine = UnitContexts(session, indicators, now).of(root.path)
    indicator = mine.get(indicator_id)
    units = subtree_unit_rows(session, root.path)
    sums = subtree_sums(session, units, indicators, now, root.path, _line_reach(session, root.path, now))
    if indicator.kind is IndicatorKind.MACHINE:
        missing = _missing_machines(session, indicator, root.path, indicators, now)
    elif indicator.kind is IndicatorKind.UNIT:
        missing = [ExplainItem(kind="unit", name=u.code, unit_code=u.code, reason_vi=r.vi, reason_en=r.en)
                   for u in units if u.kind in indicators.unit_kinds and not sums[u.id][f"un:{indicator.id}"]
                   for r in (unit_reason(indicator, sums[u.id]),)]
    else:
        missing = _officials_missing(session, indicator, root.path, indicators, now, units, sums)
    return Explanation(indicator=info(indicator), unit_code=root.code,
                       figure=cell(indicator, figure(indicator, sums[root.id]), sums[root.id]), missing=missing,
                       not_in_use=_not_in_use(session, root.path, indicators, now),
                       excluded=_excluded(session, indicator, root.path, indicators, now))


def _machines(path: str) -> Select[MachineReadiness, str, str]:
    return (select(MachineReadiness, Machine.hostname, Unit.code)
            .join(Machine, Machine.id == MachineReadiness.machine_id).join(Unit, Unit.id == MachineReadiness.unit_id)
            .where(MachineReadiness.unit_path.startswith(path, autoescape=True))
            .order_by(MachineReadiness.unit_path, Machine.hostname))


def _missing_machines(session: Session, indicator: Indicator, path: str, indicators: IndicatorSet,
                      now: datetime, without_register: set[int] | None = None) -> list[ExplainItem]:
    query = _machines(path).where(MachineReadiness.seen_at >= in_use_since(indicators, now), among_condition(indicator),
                                  case((column_condition(indicator.counts), 1), else_=0) == 0)
    if without_register is not None:
        query = query.where(MachineReadiness.unit_id.in_(without_register or {-1}))
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


def _excluded(session: Session, indicator: Indicator, path: str, indicators: IndicatorSet,
              now: datetime) -> list[ExplainItem]:
    if indicator.kind is not IndicatorKind.MACHINE or not indicator.exclude_roles:
        return []
    query = _machines(path).where(MachineReadiness.seen_at >= in_use_since(indicators, now),
                                  MachineReadiness.role.in_(sorted(indicator.exclude_roles)))
    return [ExplainItem(kind="machine", name=hostname, unit_code=code, machine_id=row.machine_id,
                        reason_vi="máy soạn thảo văn bản mật: không tính vào chỉ số này",
                        reason_en="the offline PC: not counted in this figure")
            for row, hostname, code in session.execute(query)]


def _officials_missing(session: Session, indicator: Indicator, path: str, indicators: IndicatorSet, now: datetime,
                       units: list[Any], sums: dict[int, dict[str, int]]) -> list[ExplainItem]:
    """Officials of a register left out, then the units counted without one (staff: short of
    computers; official kinds: their machines that fail)."""
    items = [ExplainItem(kind="official", name=gap.name, unit_code=gap.unit_code, machine_id=gap.machine_id,
                         reason_vi=gap.reason.vi, reason_en=gap.reason.en)
             for gap in official_gaps(session, indicator, path, indicators, now)]
    registered = _registered_units(units, sums, indicators)
    if indicator.kind is IndicatorKind.OFFICIAL:
        return items + _missing_machines(session, indicator, path, indicators, now,
                                         {u.id for u in units} - registered)
    return items + _short_of_computers([u for u in units if u.id not in registered], sums)


def _registered_units(units: list[Any], sums: dict[int, dict[str, int]], indicators: IndicatorSet) -> set[int]:
    """Units whose own officials register counts (their subtree sums hold more registers than
    their children's)."""
    children: dict[int | None, int] = {}
    for unit in units:
        children[unit.parent_id] = children.get(unit.parent_id, 0) + sums[unit.id].get("registered", 0)
    return {u.id for u in units if sums[u.id].get("registered", 0) > children.get(u.id, 0)}


def _short_of_computers(units: list[Any], sums: dict[int, dict[str, int]]) -> list[ExplainItem]:
    """Units counted by staff number (no register) with fewer computers in use than officials."""
    items = []
    for unit in units:
        machines, staff = sums[unit.id]["in_use"], sums[unit.id]["staff"]
        own_staff = unit.staff_count or 0
        if own_staff and machines < staff:
            items.append(ExplainItem(kind="unit", name=unit.code, unit_code=unit.code,
                                     reason_vi=f"{machines} máy đang dùng / {staff} cán bộ theo số biên chế "
                                               f"(chưa có danh sách): thiếu {staff - machines}",
                                     reason_en=f"{machines} computers in use for {staff} officials by staff number "
                                               f"(no register): {staff - machines} short"))
    return items
