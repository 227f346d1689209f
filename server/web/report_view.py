"""The last report of a machine as people read it: every section and field under its label in the
page's language (server.web.labels), values in words and local formats (Có/Không, dd/mm/yyyy in
Vietnam time, sizes in GB/MB, ages in days), and what each probe could not read.

Walks the typed report (agent.wire.schema Structs), so a field added to the schema shows up here
without code: under its label once it has one, under its own key until then."""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import NoneType, UnionType
from typing import Any

import msgspec
from babel.numbers import format_decimal

from agent.wire.schema import ProbeError, Report, Section
from server.web import i18n
from server.web.labels import FIELDS, SECTIONS, VALUE_FIELDS, VALUES
from server.web.probe_words import product_state_words, reason_words

Translate = Callable[[str], str]
FOLD_ROWS = 15
"""Longer lists (installed programs, certificates) are folded: the page opens on their count."""


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Row:
    """One field: ``text``, or ``pairs`` (a mapping, a nested item), or ``table`` (a list of items)."""

    key: str
    label: str
    text: str = ""
    unread: bool = False
    pairs: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    folded: bool = False


@dataclass
class SectionView:
    key: str
    title: str
    errors: list[tuple[str, str]]
    rows: list[Row]


def label_key(struct: type[msgspec.Struct], name: str) -> str | None:
    """The FIELDS key labelling ``struct.name``; None when it has none (it then shows as its key)."""
    for key in (f"{struct.__name__}.{name}", name):
        if key in FIELDS:
            return key
    return None


def report_sections(report: Report, lang: str) -> list[SectionView]:
    """Every section the report carries (None sections are left out), known ones in SECTIONS order."""
    gettext = i18n.translations(lang).gettext
    present = {f.name: getattr(report, f.name) for f in msgspec.structs.fields(report)}
    present = {name: value for name, value in present.items() if isinstance(value, Section)}
    order = [name for name in SECTIONS if name in present] + [name for name in present if name not in SECTIONS]
    return [_section(name, present[name], lang, gettext) for name in order]


def _section(name: str, section: Section, lang: str, gettext: Translate) -> SectionView:
    rows = [_row(type(section), f, getattr(section, f.name), lang, gettext)
            for f in msgspec.structs.fields(section) if f.name != "errors"]
    errors = [(e.what, reason_words(e.reason, gettext, lang)) for e in section.errors]
    return SectionView(key=name, title=gettext(SECTIONS[name]) if name in SECTIONS else name, errors=errors,
                       rows=rows)


def _label(struct: type[msgspec.Struct], name: str, gettext: Translate) -> str:
    key = label_key(struct, name)
    return gettext(FIELDS[key]) if key else name


def _row(struct: type[msgspec.Struct], info: msgspec.structs.FieldInfo, value: Any, lang: str,
         gettext: Translate) -> Row:
    row = Row(key=info.name, label=_label(struct, info.name, gettext))
    if isinstance(value, list) and value and all(isinstance(item, msgspec.Struct) for item in value):
        row.table = _table(value, lang, gettext)
        row.folded = len(value) > FOLD_ROWS
    elif isinstance(value, Mapping):
        row.pairs = [(_word(info.name, str(k), gettext), show(info.name, v, lang, gettext)) for k, v in value.items()]
        row.text = "" if row.pairs else "—"
    elif isinstance(value, msgspec.Struct):
        row.pairs = [(_label(type(value), f.name, gettext), show(f.name, getattr(value, f.name), lang, gettext))
                     for f in msgspec.structs.fields(value)]
    else:
        row.unread = value is None and _is_bool(info.type)
        row.text = gettext("not readable") if row.unread else show(info.name, value, lang, gettext)
    return row


def _table(items: list[msgspec.Struct], lang: str, gettext: Translate) -> Table:
    """One column per field, except those empty ("" or []) in every item."""
    struct = type(items[0])
    names = [f.name for f in msgspec.structs.fields(struct)
             if any(getattr(item, f.name) not in ("", []) for item in items)]
    rows = [[_cell(struct, name, getattr(item, name), lang, gettext) for name in names] for item in items]
    return Table(columns=[_label(struct, name, gettext) for name in names], rows=rows)


def _cell(struct: type[msgspec.Struct], name: str, value: Any, lang: str, gettext: Translate) -> str:
    if value is None and _is_bool(_field_type(struct, name)):
        return gettext("not readable")
    if isinstance(value, ProbeError):
        return f"{value.what}: {reason_words(value.reason, gettext, lang)}"
    return show(name, value, lang, gettext)


def show(name: str, value: Any, lang: str, gettext: Translate) -> str:
    """One value of field ``name`` as text; "—" for None and empty text or lists."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        return i18n.moment(value)
    if isinstance(value, date):
        return i18n.day(value)
    if isinstance(value, enum.Enum):
        return _word(name, str(value.value), gettext)
    if isinstance(value, int | float):
        return _quantity(name, value, lang, gettext)
    if isinstance(value, list):
        return ", ".join(show(name, item, lang, gettext) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{_word(name, str(k), gettext)}: {show(name, v, lang, gettext)}" for k, v in value.items())
    if isinstance(value, msgspec.Struct):
        parts = [(_label(type(value), f.name, gettext), show(f.name, getattr(value, f.name), lang, gettext))
                 for f in msgspec.structs.fields(value)]
        return "; ".join(f"{label}: {text}" for label, text in parts)
    if name in WORDED:
        return WORDED[name](str(value), gettext, lang)
    return _word(name, str(value), gettext)


WORDED: dict[str, Callable[[str, Translate, str], str]] = {
    "state_raw": lambda raw, gettext, _lang: product_state_words(raw, gettext),
    "error": reason_words,
    "reason": reason_words,
}
"""Text fields whose values are codes or the agent's English (server.web.probe_words)."""


def _quantity(name: str, value: float, lang: str, gettext: Translate) -> str:
    if name.endswith("_bytes"):
        return size(value, lang)
    one_decimal = format_decimal(value, format="#,##0.#", locale=lang)
    if name.endswith("_days"):
        return gettext("%(n)s days") % {"n": one_decimal}
    if name.endswith("_ms"):
        return f"{one_decimal} ms"
    if name.endswith("_mbps"):
        return f"{one_decimal} Mb/s"
    if name.endswith("_s"):
        if value and value % 60 == 0:
            return gettext("%(n)s minutes") % {"n": i18n.number(value // 60, lang)}
        return gettext("%(n)s seconds") % {"n": i18n.number(value, lang)}
    return i18n.number(value, lang)


def size(value: float, lang: str) -> str:
    """Bytes in binary GB/MB/KB as Windows shows them: 465,8 GB; 512 MB."""
    for unit, scale in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if value >= scale:
            return f"{format_decimal(value / scale, format='#,##0.#', locale=lang)} {unit}"
    return f"{i18n.number(value, lang)} B"


def _word(name: str, raw: str, gettext: Translate) -> str:
    """A coded value in words (labels.VALUES) in the fields that hold codes; anything else as it is."""
    if name in VALUE_FIELDS and raw in VALUES:
        return gettext(VALUES[raw])
    return raw


def _field_type(struct: type[msgspec.Struct], name: str) -> Any:
    return next((f.type for f in msgspec.structs.fields(struct) if f.name == name), None)


def _is_bool(annotation: Any) -> bool:
    """``bool`` or ``bool | None``: a reading where None means the agent could not read it."""
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        return set(typing.get_args(annotation)) == {bool, NoneType}
    return annotation is bool
