"""What an error page says under its heading, in the page's language: the Vietnamese half of a
bilingual detail ("English / Vietnamese", as the library writes refusals), a validation error of
the address as the names of its wrong values, never an English sentence on a Vietnamese page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:  # noqa: N802 - marks a message id for pybabel extract (babel.cfg)
    return message


BAD_VALUES = N_("A value in the address or the form is not valid: %(names)s.")
BAD_REQUEST = N_("Check what was typed or chosen, then try again.")


def error_detail(detail: str, status: int, extra: Any, lang: str, gettext: Callable[[str], str]) -> str:
    """The line under the heading of an error page ("" when the heading says enough)."""
    names = _invalid_names(extra)
    if names:
        return gettext(BAD_VALUES) % {"names": ", ".join(names)}
    english, separator, vietnamese = detail.rpartition(" / ")
    if separator:
        return vietnamese.strip() if lang == "vi" else english.strip()
    if lang == "vi":
        return gettext(BAD_REQUEST) if 400 <= status < 500 and status not in (401, 403, 404) else ""
    return "" if detail in ("Not Found", "Method Not Allowed") else detail  # Litestar's bare defaults


def _invalid_names(extra: Any) -> list[str]:
    """The parameter names of Litestar's validation error (``extra``: [{"key": ..., "message": ...}])."""
    if not isinstance(extra, list):
        return []
    return [str(item["key"]) for item in extra if isinstance(item, dict) and item.get("key")]
