"""Readings the agent reports as codes or English, in the page's words: Security Center's
``productState`` (397568 → "on, signatures up to date, Microsoft's") and the reasons a probe
gives for a failure ("timed out after 3.0 s" → "không phản hồi sau 3 giây"). Pure: text in,
text out; an unknown reason stays as the agent wrote it."""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.wire.product_state import parse_product_state

Translate = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - marks a message id for pybabel extract (babel.cfg)
    return message


PRODUCT_STATES = {"on": N_("protection on"), "off": N_("protection off"), "snoozed": N_("protection snoozed"),
                  "expired": N_("licence expired"), "unknown": N_("state unknown")}
SIGNATURES = {True: N_("signatures up to date"), False: N_("signatures out of date")}
OWNERS = {True: N_("Microsoft's"), False: N_("another vendor's")}


def product_state_words(raw: str, gettext: Translate) -> str:
    """``state_raw`` in words, the number after it for whoever checks it against a PC; "—" when empty."""
    if not raw.strip():
        return "—"
    try:
        decoded = parse_product_state(int(raw.strip()))
    except ValueError:
        return raw
    words = [gettext(PRODUCT_STATES[decoded.state]), gettext(SIGNATURES[decoded.signatures_up_to_date]),
             gettext(OWNERS[decoded.microsoft])]
    return f"{', '.join(words)} ({raw.strip()})"


# (pattern, message id with the pattern's named groups): the reasons the agent's probes write
# (agent/probes/reachability.py, the Windows readers) and the OS's error texts they pass on.
REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^timed out after (?P<seconds>[\d.]+) ?s$", re.I), N_("no answer within %(seconds)s seconds")),
    (re.compile(r"^timed out$", re.I), N_("no answer in time")),
    (re.compile(r"^connection refused$", re.I), N_("connection refused")),
    (re.compile(r"^no route to host$", re.I), N_("no route to the host")),
    (re.compile(r"^network is unreachable$", re.I), N_("the network cannot be reached")),
    (re.compile(r"^cannot resolve: .*$", re.I), N_("the name cannot be resolved (DNS)")),
    (re.compile(r"^access (is )?denied\.?$", re.I), N_("access denied")),
    (re.compile(r"^not found$", re.I), N_("not found")),
]


def reason_words(reason: str, gettext: Translate, lang: str) -> str:
    """A probe's failure reason in the page's language (a known one), else as it was written."""
    text = reason.strip()
    for pattern, message in REASONS:
        found = pattern.match(text)
        if found:
            values = {k: _number(v, lang) for k, v in found.groupdict().items()}
            return gettext(message) % values if values else gettext(message)
    return reason


def _number(text: str, lang: str) -> str:
    """3.0 → 3; 2.5 → 2,5 in Vietnamese."""
    value = float(text)
    shown = f"{value:g}"
    return shown.replace(".", ",") if lang == "vi" else shown
