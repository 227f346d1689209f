"""The yearly readiness report (báo cáo năm) of a unit: its figures as of the end of the period
(computed now while the period runs, else the last daily snapshot of the period), one row per
child unit, each indicator's trend from the first snapshot of the period to its end, the
incidents per child unit in the period, and the notes the figures need (counted by staff number,
any KMS host accepted, the offline PC left out of the LAN and Internet figures)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models.readiness import ReadinessSnapshot
from collector.models.units import Unit
from collector.store.incidents import incident_counts
from collector.store.readiness_report import Cell, ReadinessTable, UnitFigures, cell, readiness_table
from collector.store.scope import Scope
from collector.store.unit_context import VIETNAM_OFFSET, period_bounds
from collector.store.units import get_unit, top_unit, unit_codes_on_path
from rules.indicators import IndicatorSet, builtin_indicators
from rules.readiness import Figure


class TrendCell(msgspec.Struct, frozen=True, kw_only=True):
    start: float | None
    """The percent of the first snapshot of the period (None: no snapshot)."""
    start_day: date | None
    end: float | None
    end_day: date | None


class PeriodReport(msgspec.Struct, kw_only=True):
    year: int
    start_day: date
    end_day: date
    """The period's last day, or today while it runs: what the figures are as of."""
    table: ReadinessTable
    parent_name: str
    """The issuing unit's parent (cơ quan chủ quản), "" for a root."""
    trend: dict[str, TrendCell]
    """Per indicator, the unit's start → end of the period."""
    incidents: dict[str, int]
    """Per unit code (the unit and each child): incidents detected in the period."""
    notes: list[str]
    """Vietnamese notes the figures need (for the form's "Ghi chú")."""


def period_report(session: Session, scope: Scope, unit_code: str | None, year: int, now: datetime,
                  indicators: IndicatorSet | None = None) -> PeriodReport:
    indicators = indicators or builtin_indicators()
    root = get_unit(session, unit_code, scope) if unit_code else top_unit(session, scope)
    start, until = period_bounds(year)
    today = (now + VIETNAM_OFFSET).date()
    last_day = (until + VIETNAM_OFFSET).date() - timedelta(days=1)
    running = now < until
    table = readiness_table(session, scope, root.code, now, indicators)
    if not running:
        table = _as_of_snapshot(session, table, year, last_day, indicators)
    end_day = today if running else last_day
    trend = _trend(session, root.id, (start + VIETNAM_OFFSET).date(), end_day, table, running)
    units = {root.id: root.path,
             **dict(session.execute(select(Unit.id, Unit.path).where(Unit.parent_id == root.id)).all())}
    counts = incident_counts(session, units, start, min(until, now))
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(units))).all())
    parent = session.scalar(select(Unit.name).where(Unit.id == root.parent_id)) if root.parent_id else None
    return PeriodReport(year=year, start_day=(start + VIETNAM_OFFSET).date(), end_day=end_day, table=table,
                        parent_name=parent or "", trend=trend,
                        incidents={codes[u]: n for u, n in counts.items()}, notes=notes_of(table, counts[root.id]))


def _trend(session: Session, unit_id: int, first_day: date, end_day: date, table: ReadinessTable,
           running: bool) -> dict[str, TrendCell]:
    rows = session.execute(select(ReadinessSnapshot.indicator, ReadinessSnapshot.day, ReadinessSnapshot.numerator,
                                  ReadinessSnapshot.denominator)
                           .where(ReadinessSnapshot.unit_id == unit_id, ReadinessSnapshot.day >= first_day,
                                  ReadinessSnapshot.day <= end_day).order_by(ReadinessSnapshot.day))
    first: dict[str, tuple[date, float | None]] = {}
    last: dict[str, tuple[date, float | None]] = {}
    for indicator, day, n, d in rows:
        point = (day, Figure(n, d).percent)
        first.setdefault(indicator, point)
        last[indicator] = point
    found = {}
    for info in table.indicators:
        start_point = first.get(info.id)
        end_point = (end_day, table.unit.figures[info.id].percent) if running else last.get(info.id)
        found[info.id] = TrendCell(start=start_point[1] if start_point else None,
                                   start_day=start_point[0] if start_point else None,
                                   end=end_point[1] if end_point else None, end_day=end_point[0] if end_point else None)
    return found


def _as_of_snapshot(session: Session, table: ReadinessTable, year: int, last_day: date,
                    indicators: IndicatorSet) -> ReadinessTable:
    """The table with each unit's figures replaced by its last snapshot of the period."""
    codes = [table.unit.code, *(c.code for c in table.children)]
    ids = dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes))).all())
    latest = select(ReadinessSnapshot.unit_id, func.max(ReadinessSnapshot.day).label("day")) \
        .where(ReadinessSnapshot.unit_id.in_(ids.values()), ReadinessSnapshot.day <= last_day,
               ReadinessSnapshot.day >= date(year, 1, 1)).group_by(ReadinessSnapshot.unit_id).subquery()
    rows = session.execute(select(ReadinessSnapshot.unit_id, ReadinessSnapshot.indicator, ReadinessSnapshot.numerator,
                                  ReadinessSnapshot.denominator)
                           .join(latest, (latest.c.unit_id == ReadinessSnapshot.unit_id)
                                 & (latest.c.day == ReadinessSnapshot.day)))
    figures: dict[int, dict[str, Figure]] = {}
    for unit_id, indicator, n, d in rows:
        figures.setdefault(unit_id, {})[indicator] = Figure(n, d)
    chain = unit_codes_on_path(session, session.scalar(select(Unit.path).where(Unit.code == table.unit.code)) or "")

    def replaced(unit: UnitFigures, unit_chain: tuple[str, ...]) -> UnitFigures:
        mine = indicators.for_unit(unit_chain, year)
        known = figures.get(ids.get(unit.code, -1), {})
        cells: dict[str, Cell] = {i.id: cell(i, known.get(i.id, Figure(0, 0))) for i in mine.indicators}
        return msgspec.structs.replace(unit, figures=cells)

    end = datetime(last_day.year, last_day.month, last_day.day, 23, 59) - VIETNAM_OFFSET
    return msgspec.structs.replace(table, as_of=end.replace(tzinfo=table.as_of.tzinfo),
                                   unit=replaced(table.unit, chain),
                                   children=[replaced(c, (*chain, c.code)) for c in table.children])


def notes_of(table: ReadinessTable, incidents: int) -> list[str]:
    """The notes a reader of the figures needs, in Vietnamese (no internal sources or tags)."""
    notes = []
    unit = table.unit
    if unit.fallback_units:
        notes.append("Tỷ lệ cán bộ, công chức được trang bị máy tính: tính theo số biên chế, chưa có danh sách "
                     f"cán bộ, công chức ({unit.fallback_units} đơn vị).")
    if table.kms_any:
        notes.append("Hệ điều hành kích hoạt qua máy chủ KMS: chưa có danh sách máy chủ KMS của tỉnh, mọi máy chủ "
                     "KMS đều được chấp nhận.")
    excluded = max((c.excluded for c in unit.figures.values()), default=0)
    if excluded:
        notes.append(f"Các chỉ số kết nối mạng LAN, Internet không tính {excluded} máy soạn thảo văn bản mật "
                     "(máy không được kết nối mạng).")
    notes.append(f"Trong kỳ báo cáo ghi nhận {incidents} sự cố an toàn thông tin mạng." if incidents else
                 "Trong kỳ báo cáo chưa ghi nhận sự cố an toàn thông tin mạng.")
    notes.append("Tỷ lệ = số đạt / tổng số, cộng dồn theo đơn vị (không lấy trung bình các tỷ lệ).")
    return notes
