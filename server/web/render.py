"""Rendering pages: one Jinja environment per language with that language's catalog installed."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Response

from server.web import i18n


@cache
def environment(lang: str) -> Environment:
    env = Environment(loader=PackageLoader("server.web", "templates"), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=lang, day=i18n.day, moment=i18n.moment,
                       number=lambda v: i18n.number(v, lang), pct=lambda v: i18n.percent(v, lang),
                       bi=lambda text: i18n.bilingual(text or "", lang))
    env.globals["show"] = show
    env.filters.update(dict_without=lambda d, key: {k: v for k, v in d.items() if k != key},
                       columns=columns)
    return env


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def show(value: Any) -> str:
    """A report value as people read it: ISO instants and days as dd/mm/yyyy (Vietnam time)."""
    if isinstance(value, str):
        try:
            if _ISO_TIME.match(value):
                return i18n.moment(datetime.fromisoformat(value.replace("Z", "+00:00")))
            if _ISO_DAY.match(value):
                return i18n.day(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """The keys of a list of mappings, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def render(lang: str, template: str, status: int = 200, **context: Any) -> Response[str]:
    html = environment(lang).get_template(template).render(**context)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                             "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
                                                        "form-action 'self'; frame-ancestors 'none'"})
