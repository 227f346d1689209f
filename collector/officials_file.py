"""Reading an officials list (danh sách cán bộ, công chức) as offices keep it: an XLSX workbook or
a CSV file, with title lines above a header row ("STT | Họ và tên | Chức vụ | Tài khoản").

Pure: bytes in, typed rows out; :class:`collector.errors.InvalidInput` (Vietnamese and English)
when no header or no name can be found. CSV may be UTF-8 (with or without BOM) or Windows-1258
(Excel's "CSV" on a Vietnamese Windows), separated by commas or semicolons.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

import msgspec

from collector.errors import InvalidInput

HEADER_ROWS_SEARCHED = 20
MAX_OFFICIALS = 5000

_NAME = ("họ và tên", "họ tên", "ho va ten", "ho ten", "name", "full name")
_POSITION = ("chức vụ", "chức danh", "chuc vu", "chuc danh", "position", "title")
_ACCOUNT = ("tài khoản", "tên đăng nhập", "tai khoan", "account", "username", "user")


class OfficialInput(msgspec.Struct, frozen=True):
    name: str
    position: str = ""
    account: str = ""


def _fold(text: object) -> str:
    return unicodedata.normalize("NFC", str(text or "")).strip().lower()


def parse_officials(data: bytes, filename: str) -> list[OfficialInput]:
    """The officials of a file (XLSX by its name or content, else CSV), in file order."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    return officials_from_rows(rows)


def officials_from_rows(rows: Iterable[Sequence[object]]) -> list[OfficialInput]:
    """Find the header among the first rows, then one official per row with a name."""
    rows = list(rows)
    for index, row in enumerate(rows[:HEADER_ROWS_SEARCHED]):
        columns = _columns(row)
        if columns is not None:
            found = [_official(r, columns) for r in rows[index + 1:]]
            officials = [o for o in found if o is not None]
            if not officials:
                raise InvalidInput("danh sách không có cán bộ nào / the list names no official", code="no_officials")
            if len(officials) > MAX_OFFICIALS:
                raise InvalidInput(f"quá {MAX_OFFICIALS} người / more than {MAX_OFFICIALS} officials",
                                   code="too_many_officials")
            return officials
    raise InvalidInput("không tìm thấy dòng tiêu đề có cột 'Họ và tên' / no header row with a 'Họ và tên' "
                       "(name) column", code="no_header")


def _columns(row: Sequence[object]) -> tuple[int, int | None, int | None] | None:
    cells = [_fold(cell) for cell in row]

    def find(names: tuple[str, ...]) -> int | None:
        return next((i for i, cell in enumerate(cells) if cell in names), None)

    name = find(_NAME)
    return None if name is None else (name, find(_POSITION), find(_ACCOUNT))


def _official(row: Sequence[object], columns: tuple[int, int | None, int | None]) -> OfficialInput | None:
    def cell(index: int | None) -> str:
        if index is None or index >= len(row) or row[index] is None:
            return ""
        return " ".join(unicodedata.normalize("NFC", str(row[index])).split())

    name = cell(columns[0])
    if not name or len(name) > 255:
        return None
    return OfficialInput(name=name, position=cell(columns[1])[:255], account=cell(columns[2])[:128])


def _xlsx_rows(data: bytes) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a file that is not a workbook
        raise InvalidInput(f"không đọc được tệp XLSX / not a readable XLSX workbook: {exc}",
                           code="bad_workbook") from None
    try:
        return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1258 decodes almost any byte string
        raise InvalidInput("không đọc được tệp CSV / the CSV file is not text", code="bad_csv")
    first_lines = "\n".join(text.splitlines()[:HEADER_ROWS_SEARCHED])
    delimiter = ";" if first_lines.count(";") > first_lines.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))
