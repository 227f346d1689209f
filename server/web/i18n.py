"""Languages of the dashboard: Vietnamese by default, English on request (``?lang=en`` or the
``canhgac_lang`` cookie). Catalogs are the .po files in server/web/locale, compiled in memory on
first use (so a fresh install never runs stale or missing .mo files); formats follow Babel."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from rules.readiness import percent_text

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
LANG_COOKIE = "canhgac_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
# Vietnam keeps one offset all year (no daylight saving), so no tz database is needed.
VIETNAM = timezone(timedelta(hours=7), "ICT")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of ``lang`` (one of LANGUAGES)."""
    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def pick_language(query: str | None, cookie: str | None) -> str:
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return str(choice)
    return DEFAULT


def number(value: float | int | None, lang: str) -> str:
    """200.000 in Vietnamese, 200,000 in English; "—" for None."""
    return "—" if value is None else format_decimal(value, locale=lang)


def percent(value: float | None, lang: str) -> str:
    """The readiness rounding of rules.readiness, with the language's decimal mark (94,5%)."""
    text = percent_text(value)
    return text.replace(".", ",") if lang == "vi" else text


def in_vietnam(value: datetime) -> datetime:
    """The instant in Vietnam's time; one past the last representable day there (RFC 5280's
    9999-12-31T23:59:59Z, "no well-defined expiration", is year 10000 in UTC+7) stays as it is."""
    try:
        return value.astimezone(VIETNAM)
    except OverflowError:
        return value


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy (in Vietnam's time for instants); "—" for None."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = in_vietnam(value)
    return value.strftime("%d/%m/%Y")


FORM_DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"
"""What a date field of a form takes: dd/mm/yyyy as people write it (yyyy-mm-dd from scripts too)."""


def parse_day(text: str) -> date:
    """A day typed into a form: dd/mm/yyyy (d/m/yyyy, - or . between parts) or ISO yyyy-mm-dd.
    Forms use text fields rather than <input type="date">, which Chromium lays out by the
    browser's own locale (mm/dd/yyyy on an English Windows), not by the page's language."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text)
    parts = text.replace("-", "/").replace(".", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise ValueError(f"day {text!r}: write dd/mm/yyyy")
    dd, mm, yyyy = (int(p) for p in parts)
    return date(yyyy, mm, dd)


def moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time; "—" for None."""
    return "—" if value is None else in_vietnam(value).strftime("%d/%m/%Y %H:%M")


def bilingual(text: str, lang: str) -> str:
    """One side of a stored "Vietnamese / English" title (rules store both)."""
    vi, sep, en = text.partition(" / ")
    return (en if lang == "en" else vi) if sep else text
