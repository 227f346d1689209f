"""The readiness table in people's formats: a terminal table, CSV (UTF-8 with BOM, so Excel reads
Vietnamese correctly), XLSX (openpyxl, formatted) and the printable A4 page (server.readiness_html).

Pure renderers over collector.store.readiness_report values: nothing here reads the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from collector.store.readiness_report import Cell, Explanation, ReadinessTable, UnitFigures, trend_text
from rules.readiness import percent_text

TOTAL_VI, TOTAL_EN = "Tổng", "Total"


def _units(table: ReadinessTable) -> list[UnitFigures]:
    """Child rows, then the total (the unit asked for); a unit with no children is its own row."""
    return [*table.children, table.unit]


def _unit_label(table: ReadinessTable, unit: UnitFigures) -> str:
    return f"{TOTAL_VI} / {TOTAL_EN}: {unit.name}" if unit is table.unit else unit.name


def render_table(table: ReadinessTable) -> str:
    """Rows are indicators; columns the unit asked for, then each child ("16/16 — 100%")."""
    units = [table.unit, *table.children]
    header = ["Chỉ số / Indicator", "Mục tiêu / Target", *(u.code for u in units), "Xu hướng / Trend"]
    rows = [header]
    for info in table.indicators:
        cells = [_mark(u.figures[info.id]) for u in units]
        rows.append([f"{info.title_vi} / {info.title_en}", f"{percent_text(info.target)}", *cells,
                     trend_text(table.trend.get(info.id, []))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"Mức độ sẵn sàng / Readiness: {table.unit.name} ({table.unit.code}), {table.as_of:%d/%m/%Y %H:%M} UTC"]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines.append("* dưới mục tiêu / below target")
    return "\n".join(lines) + "\n"


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


def render_xlsx(table: ReadinessTable) -> bytes:
    """A workbook: sheet "Sẵn sàng" (one row per child unit and the total, "n/d" and % per indicator,
    red where below target) and sheet "Chỉ số" (the definitions, targets and sources)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Sẵn sàng"
    sheet.append([f"Mức độ sẵn sàng CNTT / IT readiness — {table.unit.name} — {table.as_of:%d/%m/%Y}"])
    sheet["A1"].font = Font(bold=True, size=13)
    header = ["Mã / Code", "Đơn vị / Unit"]
    for info in table.indicators:
        header += [f"{info.title_vi}\n{info.title_en}\n(mục tiêu / target {percent_text(info.target)})", "%"]
    sheet.append(header)
    bold, wrap, below = Font(bold=True), Alignment(wrap_text=True, vertical="top"), PatternFill("solid",
                                                                                              fgColor="F8CBAD")
    for cell in sheet[2]:
        cell.font, cell.alignment = bold, wrap
    for unit in _units(table):
        row: list[object] = [unit.code, _unit_label(table, unit)]
        for info in table.indicators:
            figure = unit.figures[info.id]
            row += [f"{figure.n}/{figure.d}", None if figure.percent is None else figure.percent / 100]
        sheet.append(row)
        for index, info in enumerate(table.indicators):
            percent_cell = sheet.cell(row=sheet.max_row, column=4 + 2 * index)
            percent_cell.number_format = "0.0%"
            if unit.figures[info.id].below_target:
                percent_cell.fill = below
                sheet.cell(row=sheet.max_row, column=3 + 2 * index).fill = below
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 16, 36
    for column in range(3, 3 + 2 * len(table.indicators)):
        sheet.column_dimensions[get_column_letter(column)].width = 18 if column % 2 else 8
    sheet.row_dimensions[2].height = 64
    sheet.freeze_panes = "C3"
    _definitions_sheet(book, table, bold, wrap)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _definitions_sheet(book, table: ReadinessTable, bold, wrap) -> None:  # type: ignore[no-untyped-def]
    sheet = book.create_sheet("Chỉ số")
    sheet.append(["Mã / Id", "Chỉ số", "Indicator", "Tử số / Numerator", "Mẫu số / Denominator",
                  "Mục tiêu / Target", "Nguồn / Source"])
    for cell in sheet[1]:
        cell.font = bold
    for info in table.indicators:
        sheet.append([info.id, info.title_vi, info.title_en, f"{info.numerator_vi} / {info.numerator_en}",
                      f"{info.denominator_vi} / {info.denominator_en}", info.target / 100, info.source])
        sheet.cell(row=sheet.max_row, column=6).number_format = "0%"
    for letter, width in zip("ABCDEFG", (24, 40, 36, 40, 40, 10, 60), strict=True):
        sheet.column_dimensions[letter].width = width
        for cell in sheet[letter]:
            cell.alignment = wrap


def render_explanation(explanation: Explanation) -> str:
    """The figure, then each machine or unit not counted in the numerator with its reason."""
    info = explanation.indicator
    lines = [f"{info.title_vi} / {info.title_en} — {explanation.unit_code}: {explanation.figure.text} "
             f"(mục tiêu / target {percent_text(info.target)})",
             f"Tử số / numerator: {info.numerator_vi} / {info.numerator_en}",
             f"Mẫu số / denominator: {info.denominator_vi} / {info.denominator_en}"]
    if not explanation.missing:
        lines.append("Không có trường hợp nào chưa đạt / nothing in the denominator is missing from the numerator")
    for item in explanation.missing:
        where = f" ({item.unit_code})" if item.kind == "machine" else ""
        lines.append(f"  - {item.name}{where}: {item.reason_vi} / {item.reason_en}")
    if explanation.not_in_use:
        lines.append("Không tính (không còn báo cáo) / not counted (no longer reporting):")
        lines += [f"  - {i.name} ({i.unit_code}): {i.reason_vi} / {i.reason_en}" for i in explanation.not_in_use]
    return "\n".join(lines) + "\n"
