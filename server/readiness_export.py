"""The readiness table in people's formats: a terminal table, CSV (UTF-8 with BOM, so Excel reads
Vietnamese correctly), XLSX (openpyxl, formatted) and the printable A4 page (server.readiness_html).

Pure renderers over collector.store.readiness_report values: nothing here reads the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from collector.store.readiness_period import PeriodReport
from collector.store.readiness_report import Cell, Explanation, ReadinessTable, UnitFigures, trend_text
from rules.readiness import percent_text

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
from server.readiness_form import evaluation, form_date, place_of

TOTAL_VI, TOTAL_EN = "Tổng", "Total"


def _units(table: ReadinessTable) -> list[UnitFigures]:
    """Child rows, then the total (the unit asked for); a unit with no children is its own row."""
    return [*table.children, table.unit]


def _unit_label(table: ReadinessTable, unit: UnitFigures) -> str:
    return f"{TOTAL_VI} / {TOTAL_EN}: {unit.name}" if unit is table.unit else unit.name


TABLE_WIDTH = 100
"""The terminal table's widest line: it fits an 80-120 column terminal at any number of units."""
NAME_WIDTH = 44


def render_table(table: ReadinessTable) -> str:
    """One block per indicator: its title (Vietnamese, then English), target and trend, then one
    line per unit by name (the unit asked for first, as the total, then each child) with
    "16/16 — 100%"; no line is wider than TABLE_WIDTH, however many units there are."""
    units = [table.unit, *table.children]
    names = [_short(_unit_label(table, u) if table.children else u.name) for u in units]
    width = max(len(name) for name in names)
    lines = [_short(f"Mức độ sẵn sàng / Readiness: {table.unit.name}", TABLE_WIDTH),
             f"Số liệu lúc / as of {_vietnam_time(table.as_of)} (UTC+7)", ""]
    for number, info in enumerate(table.indicators, start=1):
        lines += [_short(f"{number}. {info.title_vi}", TABLE_WIDTH), _short(f"   {info.title_en}", TABLE_WIDTH),
                  f"   mục tiêu / target {percent_text(info.target)} · xu hướng / trend "
                  f"{trend_text(table.trend.get(info.id, []))}"]
        lines += [f"     {name.ljust(width)}  {_mark(unit.figures[info.id])}"
                  for name, unit in zip(names, units, strict=True)]
        lines.append("")
    lines.append("* dưới mục tiêu / below target")
    return "\n".join(lines) + "\n"


def _short(text: str, width: int = NAME_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _vietnam_time(moment: datetime) -> str:
    return f"{moment.astimezone(timezone(timedelta(hours=7))):%d/%m/%Y %H:%M}"


def _mark(cell: Cell) -> str:
    return f"{cell.text}{' *' if cell.below_target else ''}"


def _flat_rows(table: ReadinessTable) -> Iterator[list[object]]:
    header: list[object] = ["Mã đơn vị / Code", "Đơn vị / Unit", "Cấp / Kind"]
    for info in table.indicators:
        title = f"{info.title_vi} / {info.title_en}"
        header += [f"{title} — đạt / n", f"{title} — tổng / d", f"{title} — %",
                   f"{title} — mục tiêu / target %"]
    yield header
    for unit in _units(table):
        row: list[object] = [unit.code, _unit_label(table, unit), unit.kind]
        for info in table.indicators:
            cell = unit.figures[info.id]
            row += [cell.n, cell.d, "" if cell.percent is None else round(cell.percent, 1), info.target]
        yield row


def render_csv(table: ReadinessTable) -> bytes:
    """One row per child unit and the total; n, d, % and target per indicator (:func:`vietnamese_csv`)."""
    return vietnamese_csv(list(_flat_rows(table)))


def vietnamese_csv(rows: list[list[object]]) -> bytes:
    """CSV that Excel set to Vietnamese opens in columns with its numbers as numbers: Excel splits
    a CSV on the list separator of Windows' regional settings, which is ";" for Vietnamese (whose
    decimal mark is ","), so fields are separated by ";" and decimals written "88,1". UTF-8 with a
    BOM: without it Excel reads the bytes as the ANSI code page and the diacritics break."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_vi_number(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _vi_number(value: object) -> object:
    if isinstance(value, float):
        text = f"{value:.1f}"
        return (text[:-2] if text.endswith(".0") else text).replace(".", ",")
    return value


VI_PERCENT = "[$-42A]0.0%"
"""A percent in Vietnamese form (88,1%) whatever the reader's locale: [$-42A] is the format code's
locale (LCID 0x042A, Vietnamese), which Excel and LibreOffice both honour."""
VI_INTEGER = "[$-42A]#,##0"


def render_xlsx(report: PeriodReport, place: str = "", number: str = "") -> bytes:
    """The yearly report as a workbook in the official form: sheet "Báo cáo" (header block,
    the unit's indicators with start and end of the period, notes, signature block) and sheet
    "Theo đơn vị" (one row per child unit and the total: "n/d" and % per indicator, shaded below
    target); percents are numbers in Vietnamese format."""
    from openpyxl import Workbook

    book = Workbook()
    _report_sheet(book.active, report, place, number)
    _units_sheet(book.create_sheet("Theo đơn vị"), report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _report_sheet(sheet: Worksheet, report: PeriodReport, place: str, number: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side

    sheet.title = "Báo cáo"
    unit, bold, center = report.table.unit, Font(name="Times New Roman", bold=True, size=12), \
        Alignment(horizontal="center", vertical="center", wrap_text=True)
    plain = Font(name="Times New Roman", size=12)

    def put(cells: str, value: object, font: Font = plain, align: Alignment = center) -> None:
        sheet.merge_cells(cells)
        first = sheet[cells.split(":")[0]]
        first.value, first.font, first.alignment = value, font, align

    put("A1:D1", report.parent_name.upper())
    put("A2:D2", unit.name.upper(), bold)
    put("A3:D3", f"Số: {number or '      /BC-      '}")
    put("E1:I1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
    put("E2:I2", "Độc lập - Tự do - Hạnh phúc", bold)
    put("E3:I3", f"{place or place_of(unit.name)}, {form_date(report.end_day)}",
        Font(name="Times New Roman", italic=True, size=12))
    put("A5:I5", "BÁO CÁO", Font(name="Times New Roman", bold=True, size=14))
    put("A6:I6", f"Mức độ sẵn sàng ứng dụng công nghệ thông tin năm {report.year}", bold)
    put("A7:I7", f"Kỳ báo cáo: từ ngày {report.start_day:%d/%m/%Y} đến ngày {report.end_day:%d/%m/%Y} "
                 f"(số liệu tính đến ngày {report.end_day:%d/%m/%Y})")
    sheet.cell(row=9, column=1, value="I. Các chỉ số của đơn vị").font = bold
    header = ["TT", "Chỉ số", "Đạt", "Tổng số", "Tỷ lệ", "Mục tiêu", "Đầu kỳ", "Cuối kỳ", "Đánh giá"]
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, title in enumerate(header, start=1):
        cell = sheet.cell(row=10, column=column, value=title)
        cell.font, cell.alignment, cell.border = bold, center, box
    for row, info in enumerate(report.table.indicators, start=11):
        figure, trend = unit.figures[info.id], report.trend.get(info.id)
        values: list[object] = [row - 10, info.title_vi, figure.n, figure.d, _fraction(figure.percent),
                                info.target / 100, _fraction(trend.start if trend else None),
                                _fraction(trend.end if trend else None), evaluation(figure)]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.font, cell.border = plain, box
            cell.alignment = Alignment(vertical="center", wrap_text=True,
                                       horizontal="left" if column == 2 else "center")
            if column in (5, 6, 7, 8):
                cell.number_format = VI_PERCENT
            elif column in (3, 4):
                cell.number_format = VI_INTEGER
    row = 12 + len(report.table.indicators)
    sheet.cell(row=row, column=1, value="II. Ghi chú").font = bold
    for offset, note in enumerate(report.notes, start=1):
        put(f"A{row + offset}:I{row + offset}", f"{offset}. {note}", plain,
            Alignment(horizontal="left", vertical="top", wrap_text=True))
        sheet.row_dimensions[row + offset].height = 32
    sign = row + len(report.notes) + 2
    put(f"A{sign}:D{sign}", "NGƯỜI LẬP BIỂU", bold)
    put(f"E{sign}:I{sign}", "THỦ TRƯỞNG ĐƠN VỊ", bold)
    hint = Font(name="Times New Roman", italic=True, size=12)
    put(f"A{sign + 1}:D{sign + 1}", "(Ký, ghi rõ họ tên)", hint)
    put(f"E{sign + 1}:I{sign + 1}", "(Ký tên, đóng dấu)", hint)
    for letter, width in zip("ABCDEFGHI", (5, 46, 7, 8, 9, 9, 9, 9, 11), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.row_dimensions[10].height = 30
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "portrait", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _units_sheet(sheet: Worksheet, report: PeriodReport) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    table, bold = report.table, Font(name="Times New Roman", bold=True)
    below = PatternFill("solid", fgColor="F8CBAD")
    sheet.append([f"Mức độ sẵn sàng theo đơn vị trực thuộc — {table.unit.name} — năm {report.year}"])
    sheet["A1"].font = Font(name="Times New Roman", bold=True, size=13)
    header: list[object] = ["TT", "Đơn vị"]
    for number, info in enumerate(table.indicators, start=1):
        header += [f"{number}. {info.title_vi} (mục tiêu {percent_text(info.target).replace('.', ',')})", "Tỷ lệ"]
    sheet.append([*header, "Sự cố"])
    for cell in sheet[2]:
        cell.font, cell.alignment = bold, Alignment(wrap_text=True, vertical="top", horizontal="center")
    units = [*table.children, table.unit]
    for number, unit in enumerate(units, start=1):
        total = unit is table.unit
        row: list[object] = ["" if total else number, "Tổng cộng" if total else unit.name]
        for info in table.indicators:
            figure = unit.figures[info.id]
            row += [f"{figure.n}/{figure.d}", _fraction(figure.percent)]
        sheet.append([*row, report.incidents.get(unit.code, 0)])
        for index, info in enumerate(table.indicators):
            percent_cell = sheet.cell(row=sheet.max_row, column=4 + 2 * index)
            percent_cell.number_format = VI_PERCENT
            if unit.figures[info.id].below_target:
                percent_cell.fill = sheet.cell(row=sheet.max_row, column=3 + 2 * index).fill = below
        if total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 5, 34
    for column in range(3, 3 + 2 * len(table.indicators)):
        sheet.column_dimensions[get_column_letter(column)].width = 16 if column % 2 else 8
    sheet.row_dimensions[2].height = 90
    sheet.freeze_panes = "C3"
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100


def render_explanation(explanation: Explanation) -> str:
    """The figure, then each machine, official or unit not counted in the numerator with its
    reason, what to do, and what the figure leaves out."""
    info = explanation.indicator
    lines = [f"{info.title_vi} / {info.title_en} — {explanation.unit_code}: {explanation.figure.text} "
             f"(mục tiêu / target {percent_text(explanation.figure.target)})",
             f"Tử số / numerator: {info.numerator_vi} / {info.numerator_en}",
             f"Mẫu số / denominator: {info.denominator_vi} / {info.denominator_en}"]
    if not explanation.missing:
        lines.append("Không có trường hợp nào chưa đạt / nothing in the denominator is missing from the numerator")
    for item in explanation.missing:
        where = f" ({item.unit_code})" if item.kind in ("machine", "official") else ""
        lines.append(f"  - {item.name}{where}: {item.reason_vi} / {item.reason_en}")
    if explanation.missing and info.remediation_vi:
        lines.append(f"Khắc phục / remediation: {info.remediation_vi} / {info.remediation_en}")
    if explanation.excluded:
        lines.append("Không tính vào chỉ số này / left out of this figure:")
        lines += [f"  - {i.name} ({i.unit_code}): {i.reason_vi} / {i.reason_en}" for i in explanation.excluded]
    if explanation.not_in_use:
        lines.append("Không tính (không còn báo cáo) / not counted (no longer reporting):")
        lines += [f"  - {i.name} ({i.unit_code}): {i.reason_vi} / {i.reason_en}" for i in explanation.not_in_use]
    return "\n".join(lines) + "\n"
