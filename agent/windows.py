"""The one way the agent asks Windows anything: a PowerShell script printing JSON, and the pure
functions that read what Windows PowerShell 5.1 puts in that JSON.

Every probe script is built by :func:`parts_script`: each named part (a PowerShell expression)
runs in its own try/catch, so SecurityCenter2 missing on Windows Server does not cost the
Defender status; the script prints one JSON object ``{"part": value | {"error": "..."}}``.

Quirks handled here (shared/reference/endpoint-formats.md, "General Windows trap"):
- piping unrolls arrays, so every list goes through ``ConvertTo-Json -InputObject @(...)`` and
  :func:`rows` still accepts a bare object or null;
- 5.1 writes ``[datetime]`` as ``"\\/Date(ms)\\/"``, 7 as ISO-8601, an ETS-decorated date as
  ``{"value": "\\/Date(..)\\/", "DateTime": "..."}``; Get-WmiObject gives DMTF strings
  ``yyyymmddHHMMSS.ffffff+UUU`` (UUU = UTC offset in minutes): :func:`parse_ps_date` takes all.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from agent.programs import CommandError, CommandRunner, run_command
from agent.wire.schema import ProbeError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

T = TypeVar("T")

POWERSHELL = ("powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand")
# UTF-8 out: the console code page would turn Vietnamese names into "?"; Stop: a failing cmdlet
# throws into the part's catch instead of printing to stderr and going on.
PRELUDE = (
    "[Console]::OutputEncoding=[Text.Encoding]::UTF8; $ErrorActionPreference='Stop'; "
    "$ProgressPreference='SilentlyContinue'; "
)
DEFAULT_TIMEOUT_S = 90.0  # the SPP (licensing) provider and WMI can take tens of seconds cold
# Patterns, compiled (and cached by re) on first use: this module is imported on Linux too.
_MS_DATE = r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$"
_DMTF = r"^(\d{14})\.(\d{6})([+-])(\d{3}|\*{3})$"


class PowerShellError(Exception):
    """PowerShell could not be run, failed, or printed something that is not JSON."""


def run_powershell(script: str, timeout: float = DEFAULT_TIMEOUT_S, run: CommandRunner = run_command) -> str:
    """The JSON text ``script`` printed; raises PowerShellError with the reason otherwise.

    The script travels base64 UTF-16LE (``-EncodedCommand``), so no quote in it is ever
    re-parsed by the Windows command line.
    """
    encoded = base64.b64encode((PRELUDE + script).encode("utf-16-le")).decode("ascii")
    try:
        done = run([*POWERSHELL, encoded], timeout, None)
    except CommandError as exc:
        raise PowerShellError(str(exc)) from exc
    if done.returncode != 0 or not done.stdout.strip():
        reason = done.stderr.strip().splitlines()[0] if done.stderr.strip() else f"exit status {done.returncode}"
        raise PowerShellError(f"PowerShell failed: {reason}")
    return done.stdout


def parts_script(parts: Mapping[str, str]) -> str:
    """A script that evaluates each ``name -> expression`` alone and prints them as one object;
    a part that throws becomes ``{"error": message}``. Names and expressions are ours (code),
    never configuration values."""
    lines = ["$r=[ordered]@{}"]
    for name, expression in parts.items():
        lines.append(f"try {{ $r['{name}'] = ({expression}) }} catch {{ $r['{name}'] = @{{error=\"$_\"}} }}")
    lines.append("ConvertTo-Json -InputObject $r -Depth 5 -Compress")
    return "; ".join(lines)


def json_rows(expression: str, depth: int = 4) -> str:
    """``expression`` as a JSON array text even for one or zero objects (see module docstring)."""
    return f"(ConvertTo-Json -InputObject @({expression}) -Depth {depth} -Compress)"


def parse_parts(text: str) -> dict[str, Any]:
    """The object printed by a :func:`parts_script`; raises ValueError when it is not one."""
    value = json.loads(text.lstrip("\ufeff"))
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def part_error(value: Any) -> str | None:
    """The error message when a part failed, else None."""
    if isinstance(value, dict) and set(value) == {"error"}:
        return str(value["error"]) or "failed"
    return None


def read_part(parts: Mapping[str, Any], name: str, errors: list[ProbeError], parse: Callable[[Any], T],
              default: T) -> T:
    """``parse(value)`` of the named part; ``default`` with a ProbeError (what = ``name``) when the
    part failed in PowerShell, is missing, or cannot be parsed, so the other parts still count."""
    if name not in parts:
        errors.append(ProbeError(what=name, reason="missing from the script's output"))
        return default
    failed = part_error(parts[name])
    if failed:
        errors.append(ProbeError(what=name, reason=failed.strip()))
        return default
    try:
        return parse(parts[name])
    except Exception as exc:  # noqa: BLE001 - recorded in the report: a probe never raises
        errors.append(ProbeError(what=name, reason=f"{type(exc).__name__}: {exc}"))
        return default


def rows(value: Any) -> list[dict[str, Any]]:
    """A part's value as a list of objects: JSON text from :func:`json_rows` is decoded, a bare
    object (single-item unrolling) is wrapped, null is []. Non-object items are dropped."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else None
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def parse_ps_date(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from any form PowerShell/WMI writes; None for null, "",
    and the zero dates Windows uses for "never" (year 1 / 1601). Raises ValueError otherwise."""
    if isinstance(value, dict):
        value = value.get("value", value.get("DateTime"))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace("\\/", "/")
    found = re.match(_MS_DATE, text)
    if found:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(found.group(1)))
    elif re.match(_DMTF, text):
        moment = parse_dmtf(text)
    else:
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return None if moment.year <= 1601 else moment


def parse_dmtf(text: str) -> datetime:
    """A CIM_DATETIME ``yyyymmddHHMMSS.ffffff+UUU``: UUU is the offset from UTC in minutes
    (``***`` when unknown, read as UTC)."""
    found = re.match(_DMTF, text.strip())
    if not found:
        raise ValueError(f"not a DMTF date: {text!r}")
    stamp, micro, sign, offset = found.groups()
    minutes = 0 if offset == "***" else int(offset) * (1 if sign == "+" else -1)
    moment = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(microsecond=int(micro))
    return moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).astimezone(UTC)


def as_int(value: Any) -> int | None:
    """An integer property (PowerShell may print numbers as strings); None for null/""."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return int(value)


def as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_xml(text: str) -> Element:
    """The root element of an XML document a part printed (File History's Config1.xml, ESET's
    license.lf); ValueError when it is not XML. ElementTree is imported here, not by the probes:
    only Windows parts need it, and a Linux collect would load it for nothing."""
    from xml.etree import ElementTree

    try:
        return ElementTree.fromstring(text.lstrip("\ufeff").strip())
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from exc
