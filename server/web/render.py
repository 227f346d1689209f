"""Rendering pages: one Jinja environment per language with that language's catalog installed."""

from __future__ import annotations

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
    env.globals.update(lang=lang, day=i18n.day, moment=i18n.moment, day_pattern=i18n.FORM_DAY_PATTERN,
                       number=lambda v: i18n.number(v, lang), pct=lambda v: i18n.percent(v, lang),
                       bi=lambda text: i18n.bilingual(text or "", lang))
    env.filters.update(dict_without=lambda d, key: {k: v for k, v in d.items() if k != key})
    return env


def render(lang: str, template: str, status: int = 200, **context: Any) -> Response[str]:
    html = environment(lang).get_template(template).render(**context)
    return Response(html, status_code=status, media_type="text/html",
                    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                             "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
                                                        "form-action 'self'; frame-ancestors 'none'"})
