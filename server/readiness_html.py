"""The printable readiness report: one self-contained HTML page in Vietnamese (English beside)
that prints cleanly on A4 (the unit's indicators on a portrait page, the per-unit table on a
landscape page), with the unit, the date, and per indicator n/d, %, target and trend."""

from __future__ import annotations

from html import escape

from collector.store.readiness_report import ReadinessTable, trend_text
from rules.readiness import percent_text

_STYLE = """
@page { size: A4 portrait; margin: 15mm 12mm; }
@page wide { size: A4 landscape; margin: 12mm; }
body { font-family: "Times New Roman", "Noto Serif", serif; font-size: 12pt; color: #000; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 4pt; text-transform: uppercase; }
p.meta { text-align: center; margin: 0 0 10pt; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #000; padding: 3pt 4pt; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
.en { color: #444; font-size: 9pt; display: block; }
.below { background: #f8cbad; }
section.units { page: wide; page-break-before: always; font-size: 9pt; }
section.units th, section.units td { padding: 2pt 3pt; }
footer { margin-top: 10pt; font-size: 9pt; }
@media print { th, .below { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def render_html(table: ReadinessTable) -> str:
    """The whole page as text (UTF-8 when written)."""
    unit = table.unit
    parts = ["<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
             f"<title>Báo cáo mức độ sẵn sàng — {escape(unit.name)}</title><style>{_STYLE}</style></head><body>",
             "<h1>Báo cáo mức độ sẵn sàng công nghệ thông tin</h1>",
             f'<p class="meta"><b>{escape(unit.name)}</b> ({escape(unit.code)})<br>'
             f"Ngày / Date: {table.as_of:%d/%m/%Y} <span class=\"en\">IT readiness report</span></p>",
             _indicator_table(table)]
    if table.children:
        parts.append(_units_table(table))
    parts.append("<footer>Tỷ lệ = tử số / mẫu số, cộng dồn theo đơn vị (không lấy trung bình các tỷ lệ). "
                 "Ô tô màu: dưới mục tiêu. <span class=\"en\">Ratios sum numerators and denominators up the unit "
                 "tree (percentages are never averaged). Shaded: below target.</span></footer></body></html>")
    return "\n".join(parts)


def _indicator_table(table: ReadinessTable) -> str:
    rows = ["<table><thead><tr><th>TT</th><th>Chỉ số<span class=\"en\">Indicator</span></th>"
            "<th>Đạt / Tổng<span class=\"en\">n/d</span></th><th>Tỷ lệ<span class=\"en\">%</span></th>"
            "<th>Mục tiêu<span class=\"en\">Target</span></th><th>Xu hướng<span class=\"en\">Trend</span></th>"
            "<th>Đánh giá<span class=\"en\">Result</span></th></tr></thead><tbody>"]
    for number, info in enumerate(table.indicators, start=1):
        cell = table.unit.figures[info.id]
        verdict = ("—", "n/a") if cell.percent is None else (("Chưa đạt", "below") if cell.below_target
                                                             else ("Đạt", "met"))
        css = ' class="below"' if cell.below_target else ""
        rows.append(f"<tr{css}><td class=\"num\">{number}</td><td>{escape(info.title_vi)}"
                    f"<span class=\"en\">{escape(info.title_en)}</span></td>"
                    f"<td class=\"num\">{cell.n}/{cell.d}</td><td class=\"num\">{percent_text(cell.percent)}</td>"
                    f"<td class=\"num\">{percent_text(info.target)}</td>"
                    f"<td>{escape(trend_text(table.trend.get(info.id, [])))}</td>"
                    f"<td>{verdict[0]}<span class=\"en\">{verdict[1]}</span></td></tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _units_table(table: ReadinessTable) -> str:
    head = "".join(f"<th>{n}</th>" for n in range(1, len(table.indicators) + 1))
    rows = ['<section class="units"><h1>Theo đơn vị trực thuộc</h1>'
            '<p class="meta">By unit (columns numbered as the indicators above)</p>',
            f"<table><thead><tr><th>Đơn vị<span class=\"en\">Unit</span></th>{head}</tr></thead><tbody>"]
    for unit in [*table.children, table.unit]:
        name = "<b>Tổng / Total</b>" if unit is table.unit else escape(unit.name)
        cells = []
        for info in table.indicators:
            cell = unit.figures[info.id]
            css = ' class="num below"' if cell.below_target else ' class="num"'
            cells.append(f"<td{css}>{cell.n}/{cell.d}<br>{percent_text(cell.percent)}</td>")
        rows.append(f"<tr><td>{name}</td>{''.join(cells)}</tr>")
    rows.append("</tbody></table></section>")
    return "\n".join(rows)
