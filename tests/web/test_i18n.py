"""Labels come from the catalogs (none hard-coded in templates), every label has its Vietnamese
translation, and dates and numbers read the Vietnamese way."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from server.web import i18n

WEB = Path(i18n.__file__).parent
# Words that are the same in both languages (protocol names, the product, the language switch).
SAME_IN_BOTH = {"IP", "MAC", "canh", "gác", "canhgac", "English", "Tiếng", "Việt", "#"}


def template_messages() -> set[str]:
    """Every message pybabel extracts with server/web/babel.cfg: templates and the Python label maps."""
    with (WEB / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(WEB), method_map=method_map, options_map=options_map)
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in found}


def catalog(lang: str) -> dict[str, str]:
    """msgid -> translation; fuzzy entries count as untranslated (compiling leaves them out)."""
    with i18n.po_path(lang).open("rb") as source:
        return {m.id: "" if m.fuzzy else m.string for m in read_po(source) if m.id}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_template_label_is_translated(lang: str) -> None:
    labels, translated = template_messages(), catalog(lang)
    assert labels - translated.keys() == set(), "run pybabel extract/update -N (README: Dashboard)"
    assert [label for label in labels if not translated[label]] == []


def test_vietnamese_is_really_vietnamese() -> None:
    vi = catalog("vi")
    assert vi["Sign in"] == "Đăng nhập" and vi["Alerts"] == "Cảnh báo"
    assert sum(1 for k, v in vi.items() if k == v) <= 3  # "Internet" and the like only


def test_templates_hold_no_hard_coded_words() -> None:
    leftovers = {}
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text()
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>|&[a-z]+;", " ", text)
        words = {w for w in re.findall(r"[^\W\d_]+", text) if w not in SAME_IN_BOTH}
        if words:
            leftovers[template.name] = words
    assert leftovers == {}


@pytest.mark.parametrize(("value", "lang", "shown"), [
    (200_000, "vi", "200.000"), (200_000, "en", "200,000"), (None, "vi", "—"), (16, "vi", "16"),
])
def test_numbers(value: int | None, lang: str, shown: str) -> None:
    assert i18n.number(value, lang) == shown


@pytest.mark.parametrize(("value", "lang", "shown"), [
    (94.55, "vi", "94,6%"), (94.55, "en", "94.6%"), (100.0, "vi", "100%"), (99.96, "vi", "99,9%"), (None, "vi", "—"),
])
def test_percentages_keep_the_readiness_rounding(value: float | None, lang: str, shown: str) -> None:
    assert i18n.percent(value, lang) == shown


def test_dates_are_day_month_year_in_vietnam_time() -> None:
    assert i18n.day(date(2026, 7, 1)) == "01/07/2026"
    assert i18n.day(datetime(2026, 6, 30, 20, 0, tzinfo=UTC)) == "01/07/2026"
    assert i18n.moment(datetime(2026, 6, 30, 20, 5, tzinfo=UTC)) == "01/07/2026 03:05"


@pytest.mark.parametrize(("query", "cookie", "chosen"), [
    (None, None, "vi"), ("en", None, "en"), (None, "en", "en"), ("vi", "en", "vi"), ("fr", None, "vi"),
])
def test_language_choice(query: str | None, cookie: str | None, chosen: str) -> None:
    assert i18n.pick_language(query, cookie) == chosen


def test_stored_bilingual_titles_show_one_side() -> None:
    title = "Máy không có phần mềm phòng chống mã độc / No antivirus installed"
    assert i18n.bilingual(title, "vi") == "Máy không có phần mềm phòng chống mã độc"
    assert i18n.bilingual(title, "en") == "No antivirus installed"
