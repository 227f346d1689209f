"""The incident register in people's formats: a terminal table, CSV for Excel set to Vietnamese
(semicolons, UTF-8 with BOM) and XLSX. The columns hold what Law 116/2025/QH15 asks a reporting
unit to give of an incident (what, where, when, effect, handling; notice within 24 h, report
within 72 h per Decree 331/2026 Art. 31.2.d [S], shared/reference/policy.md section 2)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

from collector.store.incidents import IncidentRow
from server.readiness_export import vietnamese_csv
from server.web.i18n import bilingual, moment

HEADER = ("STT", "Đơn vị", "Sự cố", "Mức độ", "Nơi xảy ra (máy)", "Dấu hiệu phát hiện", "Thời điểm phát hiện",
          "Tiếp nhận (thời điểm, người)", "Hết dấu hiệu", "Ảnh hưởng, hậu quả", "Biện pháp xử lý", "Kết quả",
          "Đóng sự cố (thời điểm, người)")
SEVERITY_VI = {"critical": "Nghiêm trọng", "high": "Cao", "medium": "Trung bình", "low": "Thấp", "info": "Thông tin"}


def incident_rows(incidents: Sequence[IncidentRow]) -> Iterator[list[str]]:
    yield list(HEADER)
    for number, i in enumerate(incidents, start=1):
        yield [str(number), i.unit_name, bilingual(i.title, "vi"), SEVERITY_VI.get(i.severity, i.severity),
               i.hostname or "—", bilingual(i.evidence, "vi"), moment(i.detected_at),
               f"{moment(i.acknowledged_at)} {i.acknowledged_by or ''}".strip() if i.acknowledged_at else "—",
               moment(i.cleared_at), i.effect or "—", i.handling or "—", i.outcome or "—",
               f"{moment(i.closed_at)} {i.closed_by or ''}".strip() if i.closed_at else "chưa đóng"]


def render_incidents_csv(incidents: Sequence[IncidentRow]) -> bytes:
    return vietnamese_csv(list(incident_rows(incidents)))


def render_incidents_xlsx(incidents: Sequence[IncidentRow], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Sự cố"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    for row in incident_rows(incidents):
        sheet.append(row)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHIJKLM", (5, 24, 36, 12, 16, 44, 17, 22, 17, 30, 30, 30, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_incidents_table(incidents: Sequence[IncidentRow]) -> str:
    lines = []
    for i in incidents:
        state = "đã đóng / closed" if i.closed_at else ("đã hết / cleared" if i.cleared_at else "đang mở / open")
        lines.append(f"#{i.id:<5} {moment(i.detected_at)}  {i.unit_code:<14} {i.hostname or '—':<16} "
                     f"{i.severity:<8} {state:<18} {i.title}")
    return "\n".join(lines) + ("\n" if lines else "")
