"""What the yearly report's forms (print page, XLSX) write the same way: the place-and-date line
as Decree 30/2020/NĐ-CP writes it (a day under 10 and a month under 3 with a leading zero), the
place from the unit's name, the trend "start → end" and the verdict, in Vietnamese."""

from __future__ import annotations

import re
from datetime import date

from collector.store.readiness_period import TrendCell
from collector.store.readiness_report import Cell
from server.web.i18n import percent

_PLACE = re.compile(r"\b(?:xã|phường|thị trấn|đặc khu|tỉnh|thành phố|huyện|quận)\s+(.+)$", re.IGNORECASE)


def form_date(day: date) -> str:
    """"ngày 05 tháng 01 năm 2026", "ngày 31 tháng 12 năm 2026"."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_of(unit_name: str) -> str:
    """The place of the date line from the unit's name: "UBND xã Tân Hòa" -> "Tân Hòa"."""
    found = _PLACE.search(unit_name.strip())
    return found.group(1).strip() if found else unit_name.strip()


def trend_vi(trend: TrendCell | None) -> str:
    """"85% → 88,1%"; a missing end shows "—"."""
    if trend is None or (trend.start is None and trend.end is None):
        return "—"
    return f"{percent(trend.start, 'vi')} → {percent(trend.end, 'vi')}"


def evaluation(cell: Cell) -> str:
    if cell.percent is None:
        return "Không áp dụng"
    return "Chưa đạt" if cell.below_target else "Đạt"


def unit_cell_vi(cell: Cell) -> str:
    """"8/10<br>80%" (the per-unit table's cell)."""
    return f"{cell.n}/{cell.d}<br>{percent(cell.percent, 'vi')}"
