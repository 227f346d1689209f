"""The yearly readiness report in the official form a commune sends (the print page and
``report readiness --format html``): Quốc hiệu and Tiêu ngữ, the issuing unit under its parent,
the number and the place-and-date line, the title and period, the unit's indicators with the
trend from the start of the period to its end, one row per child unit, the notes and the
signature block. Vietnamese only (no English lines, no internal sources), numbers as Vietnamese
writes them (88,1%), one self-contained page that prints on A4 (Decree 30/2020/NĐ-CP layout)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from collector.store.readiness_period import PeriodReport
from server.readiness_form import evaluation, form_date, place_of, trend_vi, unit_cell_vi
from server.web.i18n import percent

_STYLE = """
@page { size: A4 portrait; margin: 15mm 15mm 15mm 25mm; }
@page wide { size: A4 landscape; margin: 15mm 15mm 15mm 20mm; }
body { font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 13pt; color: #000; }
table.head { width: 100%; border: 0; margin-bottom: 6pt; }
table.head td { border: 0; text-align: center; vertical-align: top; padding: 0; }
table.head td.org { width: 42%; font-size: 12.5pt; }
table.head td.nation { font-size: 12.5pt; }
.rule { display: block; width: 30%; margin: 2pt auto 4pt; border-top: 1px solid #000; }
.rule.long { width: 60%; }
.date { font-style: italic; }
h1 { font-size: 14pt; text-align: center; margin: 8pt 0 0; }
p.subject { text-align: center; font-weight: bold; margin: 2pt 0 4pt; }
p.period { text-align: center; margin: 0 0 10pt; }
h2 { font-size: 13pt; margin: 10pt 0 4pt; }
section.units h2 { text-align: center; }
table.grid { border-collapse: collapse; width: 100%; page-break-inside: auto; font-size: 11pt; }
table.grid tr { page-break-inside: avoid; }
table.grid th, table.grid td { border: 1px solid #000; padding: 1pt 3pt; vertical-align: middle; }
table.grid th { font-weight: bold; text-align: center; }
td.num { text-align: center; white-space: nowrap; }
td.no { text-align: center; }
tr.total td { font-weight: bold; }
section.units { page: wide; page-break-before: always; }
section.units table.grid { font-size: 10pt; }
section.units table.grid th { font-size: 9.5pt; }
ol.notes { margin: 2pt 0 0 18pt; padding: 0; font-size: 12pt; }
table.sign { width: 100%; margin-top: 8pt; border: 0; page-break-inside: avoid; }
table.sign td { border: 0; vertical-align: top; width: 50%; text-align: center; }
.sign-role { font-weight: bold; }
.sign-hint { font-style: italic; font-size: 12pt; }
.sign-space { height: 56pt; }
p.recipients { font-size: 11pt; margin: 0; }
a.why { color: inherit; text-decoration: none; }
@media screen { a.why:hover, a.why:focus { text-decoration: underline; } }
"""


def render_html(report: PeriodReport, place: str = "", number: str = "", links: bool = False) -> str:
    """The whole page as text (UTF-8 when written). ``links``: on the dashboard's print page each
    figure opens the machines or units that fail it (/readiness/explain); on paper the figures look
    the same, and a file written by the CLI has no server to link to."""
    unit = report.table.unit
    parts = ["<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
             f"<title>Báo cáo mức độ sẵn sàng năm {report.year} — {escape(unit.name)}</title>"
             f"<style>{_STYLE}</style></head><body>",
             _head(report, place, number),
             "<h1>BÁO CÁO</h1>",
             f'<p class="subject">Mức độ sẵn sàng ứng dụng công nghệ thông tin năm {report.year}</p>',
             f'<p class="period">Kỳ báo cáo: từ ngày {report.start_day:%d/%m/%Y} đến ngày {report.end_day:%d/%m/%Y}'
             f" (số liệu tính đến ngày {report.end_day:%d/%m/%Y})</p>",
             "<h2>I. Các chỉ số của đơn vị</h2>", _indicators(report, links),
             "<h2>II. Ghi chú</h2>",
             '<ol class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ol>",
             _signature(report)]
    if report.table.children:
        parts.append(_units(report, links))
    parts.append("</body></html>")
    return "\n".join(parts)


def _head(report: PeriodReport, place: str, number: str) -> str:
    unit = report.table.unit
    parent = f"{escape(report.parent_name.upper())}<br>" if report.parent_name else ""
    return ('<table class="head"><tr>'
            f'<td class="org">{parent}<b>{escape(unit.name.upper())}</b><span class="rule"></span>'
            f"Số: {escape(number) if number else '&nbsp;' * 8 + '/BC-' + '&nbsp;' * 8}</td>"
            '<td class="nation"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>'
            '<b>Độc lập - Tự do - Hạnh phúc</b><span class="rule long"></span>'
            f'<span class="date">{escape(place or place_of(unit.name))}, {form_date(report.end_day)}</span>'
            "</td></tr></table>")


def _why(text: str, indicator: str, unit_code: str, links: bool) -> str:
    """A figure, as a link to who fails it and why when the page is served."""
    if not links:
        return text
    query = escape(urlencode({"indicator": indicator, "unit": unit_code}))
    return f'<a class="why" href="/readiness/explain?{query}">{text}</a>'


def _indicators(report: PeriodReport, links: bool) -> str:
    rows = ['<table class="grid"><colgroup><col style="width:5%"><col style="width:38%"><col style="width:10%">'
            '<col style="width:9%"><col style="width:9%"><col style="width:17%"><col style="width:12%"></colgroup>'
            "<thead><tr><th>TT</th><th>Chỉ số</th><th>Đạt / Tổng số</th><th>Tỷ lệ</th>"
            "<th>Mục tiêu</th><th>Đầu kỳ → Cuối kỳ</th><th>Đánh giá</th></tr></thead><tbody>"]
    for number, info in enumerate(report.table.indicators, start=1):
        cell = report.table.unit.figures[info.id]
        rows.append(f'<tr><td class="no">{number}</td><td>{escape(info.title_vi)}</td>'
                    f'<td class="num">{_why(f"{cell.n}/{cell.d}", info.id, report.table.unit.code, links)}</td>'
                    f'<td class="num">{percent(cell.percent, "vi")}</td>'
                    f'<td class="num">{percent(cell.target, "vi")}</td>'
                    f'<td class="num">{escape(trend_vi(report.trend.get(info.id)))}</td>'
                    f'<td class="num">{evaluation(cell)}</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _units(report: PeriodReport, links: bool) -> str:
    table = report.table
    head = "".join(f"<th>{n}</th>" for n in range(1, len(table.indicators) + 1))
    rows = ['<section class="units"><h2>PHỤ LỤC: SỐ LIỆU THEO ĐƠN VỊ TRỰC THUỘC</h2>',
            f'<p>(Kèm theo báo cáo mức độ sẵn sàng ứng dụng công nghệ thông tin năm {report.year} của '
            f'{escape(table.unit.name)}.) Số cột là số thứ tự chỉ số tại mục I; mỗi ô ghi số đạt / tổng số '
            "và tỷ lệ.</p>",
            f'<table class="grid"><thead><tr><th>TT</th><th>Đơn vị</th>{head}<th>Sự cố</th></tr></thead><tbody>']
    for number, unit in enumerate(table.children, start=1):
        cells = "".join(f'<td class="num">{_why(unit_cell_vi(unit.figures[i.id]), i.id, unit.code, links)}</td>'
                        for i in table.indicators)
        rows.append(f'<tr><td class="no">{number}</td><td>{escape(unit.name)}</td>{cells}'
                    f'<td class="num">{report.incidents.get(unit.code, 0)}</td></tr>')
    total = "".join(f'<td class="num">{unit_cell_vi(table.unit.figures[i.id])}</td>' for i in table.indicators)
    rows.append(f'<tr class="total"><td></td><td>Tổng cộng</td>{total}'
                f'<td class="num">{report.incidents.get(table.unit.code, 0)}</td></tr>')
    rows.append("</tbody></table></section>")
    return "\n".join(rows)


def _signature(report: PeriodReport) -> str:
    recipients = f"- {escape(report.parent_name)};<br>" if report.parent_name else ""
    return ('<table class="sign"><tr>'
            '<td><span class="sign-role">NGƯỜI LẬP BIỂU</span><br><span class="sign-hint">(Ký, ghi rõ họ tên)</span>'
            '<div class="sign-space"></div></td>'
            '<td><span class="sign-role">THỦ TRƯỞNG ĐƠN VỊ</span><br>'
            '<span class="sign-hint">(Ký tên, đóng dấu)</span><div class="sign-space"></div></td>'
            "</tr></table>"
            f'<p class="recipients"><b><i>Nơi nhận:</i></b><br>{recipients}- Lưu: VT.</p>')
