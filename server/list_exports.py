"""What the machine, software and alert lists show, as files for Excel set to Vietnamese: CSV
(";" and a UTF-8 BOM: server.readiness_export.vietnamese_csv) and XLSX, with Vietnamese headers,
dates dd/mm/yyyy in Vietnam's time and yes/no in words. One row builder per list, shared by both
formats, so the two files always hold the same cells."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from collector.store.alerts import AlertRow
from collector.store.machines import MachineLine
from collector.store.software import ProgramCount
from server.incidents_export import SEVERITY_VI
from server.readiness_export import vietnamese_csv
from server.web.i18n import bilingual, moment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YES_NO = {True: "Có", False: "Không", None: "Chưa rõ"}
ROLE_VI = {"normal": "Thông thường", "offline": "Soạn thảo văn bản mật"}
STATUS_VI = {"open": "Đang mở", "acknowledged": "Đã tiếp nhận", "resolved": "Đã xử lý xong"}


@dataclass(frozen=True)
class Sheet:
    """A titled table: the header row, then the rows, each column with its width in characters."""

    title: str
    name: str
    header: tuple[str, ...]
    widths: tuple[int, ...]
    rows: list[list[object]]

    def csv(self) -> bytes:
        return vietnamese_csv([list(self.header), *self.rows])

    def xlsx(self) -> bytes:
        return render_sheet_xlsx(self)


MACHINE_HEADER = ("STT", "Tên máy", "Đơn vị", "Vai trò", "Hệ điều hành", "Phần mềm phòng chống mã độc",
                  "Cập nhật mẫu virus", "HĐH có bản quyền", "Sao lưu", "Internet", "Cảnh báo đang mở",
                  "Báo cáo lần cuối")
MACHINE_WIDTHS = (5, 18, 36, 22, 24, 11, 11, 11, 9, 9, 10, 17)


def machine_rows(lines: Sequence[MachineLine]) -> Iterator[list[object]]:
    for number, line in enumerate(lines, start=1):
        m, r = line.machine, line.readiness
        flags = [None] * 5 if r is None else [r.av_installed, r.av_up_to_date, r.os_activated, r.backup_ok,
                                              r.has_internet]
        yield [number, m.hostname, m.unit_name, ROLE_VI.get(m.role, m.role), m.os_name or "—",
               *(YES_NO[f] for f in flags), line.open_alerts, moment(m.last_seen_at)]


def machines_sheet(lines: Sequence[MachineLine], title: str) -> Sheet:
    return Sheet(title, "Máy tính", MACHINE_HEADER, MACHINE_WIDTHS, list(machine_rows(lines)))


def software_sheet(programs: Sequence[ProgramCount], title: str) -> Sheet:
    rows: list[list[object]] = [[n, p.name, p.machines] for n, p in enumerate(programs, start=1)]
    return Sheet(title, "Phần mềm", ("STT", "Tên phần mềm", "Số máy cài đặt"), (6, 60, 16), rows)


def software_machines_sheet(lines: Sequence[MachineLine], title: str) -> Sheet:
    return machines_sheet(lines, title)


ALERT_HEADER = ("STT", "Đơn vị", "Máy tính", "Cảnh báo", "Mức độ", "Trạng thái", "Số lần", "Lần đầu",
                "Lần cuối", "Tiếp nhận (người, ghi chú)", "Cách xử lý")
ALERT_WIDTHS = (6, 26, 18, 44, 12, 14, 8, 17, 17, 30, 50)


def alert_rows(alerts: Sequence[AlertRow]) -> Iterator[list[object]]:
    for number, a in enumerate(alerts, start=1):
        acked = f"{moment(a.acked_at)} {a.acked_by or ''}: {a.ack_comment or ''}".strip() if a.acked_at else "—"
        yield [number, a.unit_name or a.unit_code, a.hostname or "—", bilingual(a.title, "vi"),
               SEVERITY_VI.get(a.severity, a.severity), STATUS_VI.get(a.status, a.status), a.count,
               moment(a.first_seen_at), moment(a.last_seen_at), acked, bilingual(a.remediation, "vi") or "—"]


def alerts_sheet(alerts: Sequence[AlertRow], title: str) -> Sheet:
    return Sheet(title, "Cảnh báo", ALERT_HEADER, ALERT_WIDTHS, list(alert_rows(alerts)))


def _lines_needed(text: str, width: int) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (words kept whole)."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def render_sheet_xlsx(sheet_data: Sheet) -> bytes:
    """A workbook with the title in A1, the bold header in row 2 (frozen, with a filter) and the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_data.name
    sheet.append([sheet_data.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(sheet_data.header))
    centred = Alignment(horizontal="center")
    for number, row in enumerate(sheet_data.rows, start=3):
        sheet.append(row)
        for column, value in enumerate(row, start=1):
            if isinstance(value, int):
                sheet.cell(row=number, column=column).alignment = centred
    top = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = top
    # Neither Excel nor LibreOffice grows a row for wrapped text it did not lay out itself.
    sheet.row_dimensions[2].height = 15 * max(_lines_needed(h, w) for h, w in zip(sheet_data.header,
                                                                                 sheet_data.widths, strict=True))
    for column, width in enumerate(sheet_data.widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A3"
    last = get_column_letter(len(sheet_data.header))
    sheet.auto_filter.ref = f"A2:{last}{len(sheet_data.rows) + 2}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
