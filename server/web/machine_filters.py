"""The machine list's query string (``/machines?q=&unit=&problems=1&failing=backup_ok&silent=30&old=1
&sort=alerts&desc=1``) as a collector.store.machine_list.MachineFilter, and the column and indicator
labels the page shows (catalog message ids, translated when rendered)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from agent.wire.schema import Role
from collector.errors import CanhgacError, InvalidInput
from collector.store.machine_list import INDICATORS, MachineFilter, SortKey
from server.web.labels import N_

TEXT_MAX = 100
UNIT_CODE_MAX = 64
SEARCH_MAX = 255
SILENT_MAX_DAYS = 3650

COLUMNS: tuple[tuple[SortKey, str], ...] = (
    (SortKey.HOSTNAME, N_("Host name")), (SortKey.UNIT, N_("Unit")), (SortKey.OS, N_("Operating system")),
    (SortKey.ANTIVIRUS, N_("Antivirus")), (SortKey.SIGNATURES, N_("Signatures")),
    (SortKey.OS_ACTIVATED, N_("OS activated")), (SortKey.BACKUP, N_("Backup")),
    (SortKey.INTERNET, N_("Internet")), (SortKey.ALERTS, N_("Open alerts")),
    (SortKey.LAST_REPORT, N_("Last report")))
"""The list's columns in order, each sortable by its key."""

INDICATOR_LABELS: dict[str, str] = {
    "av_installed": N_("Antivirus installed"), "av_licensed": N_("Antivirus licensed"),
    "av_up_to_date": N_("Antivirus signatures up to date"), "os_activated": N_("OS activated"),
    "backup_ok": N_("Backup within policy"), "has_lan": N_("Reaches the LAN"),
    "has_internet": N_("Reaches the Internet"), "has_dedicated_line": N_("Reaches the dedicated line"),
    "hardware_ok": N_("Hardware within age and spec"), "has_signing_cert": N_("Valid signing certificate")}


def _flag(query: Mapping[str, str], key: str) -> bool:
    return query.get(key, "") in ("1", "true", "on")


def _choice(value: str, allowed: tuple[str, ...], key: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"{key} {value!r}: one of {', '.join(allowed)}", code="invalid_filter")
    return value


def _days(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > SILENT_MAX_DAYS:
        raise InvalidInput(f"silent {value!r}: a number of days, 0 to {SILENT_MAX_DAYS}", code="invalid_filter")
    return int(value)


def _text(query: Mapping[str, str], key: str, longest: int) -> str:
    """A text parameter as server.params bounds them for the other pages: no NUL (PostgreSQL refuses
    it), at most ``longest`` characters."""
    value = query.get(key, "")
    if "\x00" in value or len(value) > longest:  # 400 as server.params' typed parameters answer
        raise CanhgacError(f"{key}: at most {longest} characters, no NUL", code="invalid_filter")
    return value.strip()


def machine_filter(query: Mapping[str, str]) -> MachineFilter:
    """The filter a list or export URL asks for; InvalidInput naming the first bad parameter."""
    sort = _choice(query.get("sort", ""), tuple(SortKey), "sort")
    return MachineFilter(unit=_text(query, "unit", UNIT_CODE_MAX) or None,
                         text=_text(query, "q", SEARCH_MAX)[:TEXT_MAX],
                         role=_choice(query.get("role", ""), tuple(Role), "role"),
                         problems=_flag(query, "problems"), failing=_choice(query.get("failing", ""), INDICATORS,
                                                                           "failing"),
                         silent_days=_days(query.get("silent", "")), old_agent=_flag(query, "old"),
                         sort=SortKey(sort) if sort else SortKey.HOSTNAME, descending=_flag(query, "desc"))


def export_query(query: Mapping[str, str]) -> str:
    """The list's query without its page number: the export holds every page."""
    return urlencode({k: v for k, v in query.items() if k not in ("p", "lang") and v})
