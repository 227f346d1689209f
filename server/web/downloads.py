"""A list's export as the browser saves it: CSV or XLSX of a server.list_exports.Sheet."""

from __future__ import annotations

from typing import Any

from litestar import Response

from collector.errors import InvalidInput
from server.list_exports import XLSX, Sheet

MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def download(sheet: Sheet, kind: str, stem: str) -> Response[Any]:
    """``stem``.csv or ``stem``.xlsx as an attachment (never cached: it holds the scope's data)."""
    if kind not in MEDIA:
        raise InvalidInput(f"format {kind!r}: csv or xlsx", code="invalid_format")
    body = sheet.csv() if kind == "csv" else sheet.xlsx()
    return Response(body, media_type=MEDIA[kind], headers={
        "Content-Disposition": f'attachment; filename="{stem}.{kind}"', "Cache-Control": "no-store"})
