"""Licence probe: Windows activation from ``SoftwareLicensingProduct``, whether an antivirus
reports its licence expired (Security Center's "expired" product state), and the antivirus
licence's end date where the product writes it down: ESET's licence file (``License\\license.lf``
under the data folder ESET's own ``HKLM\\SOFTWARE\\ESET\\ESET Security\\CurrentVersion\\Info``
names in ``AppDataDir``, the file and attribute the GLPI agent reads). The file is only read;
nothing is run, and no path comes from configuration.

Only ``PartialProductKey`` (the last five characters) is ever read; the full key is not.
Elsewhere (Linux) there is no activation: the section stays empty, without errors.
Source: shared/reference/endpoint-formats.md section 2; tests/fixtures/windows/README.md.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from agent import windows
from agent.probes.antivirus import parse_product_state
from agent.probes.context import ProbeContext, attempt
from agent.wire.schema import Licence, ProbeError

WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"
# SoftwareLicensingProduct.LicenseStatus (learn.microsoft.com sppwmi/softwarelicensingproduct)
LICENCE_STATUS = {
    0: "unlicensed",
    1: "licensed",
    2: "oob_grace",
    3: "oot_grace",
    4: "non_genuine_grace",
    5: "notification",
    6: "extended_grace",
}
WINDOWS_PARTS = {
    # Without the ApplicationID filter there are hundreds of unused SKU rows (reference §2).
    "os": windows.json_rows(
        "Get-CimInstance SoftwareLicensingProduct -Filter \"ApplicationID='" + WINDOWS_APPLICATION_ID + "' "
        "AND PartialProductKey IS NOT NULL\" | Select-Object Name, Description, LicenseStatus, PartialProductKey, "
        "GracePeriodRemaining, ProductKeyChannel"
    ),
    "antivirus": windows.json_rows(
        "Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | "
        "Select-Object displayName, productState"
    ),
    # license.lf holds the licence XML inside a signed file, UTF-16 by the GLPI agent's account:
    # only the <ESET>...</ESET> element travels; null when ESET or its file is not there.
    "eset": "$($info = Get-ItemProperty 'HKLM:\\SOFTWARE\\ESET\\ESET Security\\CurrentVersion\\Info' "
    "-ErrorAction SilentlyContinue; $lf = if ($info.AppDataDir) { Join-Path $info.AppDataDir 'License\\license.lf' }; "
    "if ($lf -and (Test-Path -LiteralPath $lf)) { $b = [IO.File]::ReadAllBytes($lf); "
    "foreach ($enc in [Text.Encoding]::Unicode, [Text.Encoding]::UTF8) { "
    "$m = [regex]::Match($enc.GetString($b), '(?s)<ESET[\\s>].*</ESET>'); if ($m.Success) { $m.Value; break } } })",
}


def licence_status_name(value: int) -> str:
    return LICENCE_STATUS.get(value, f"unknown ({value})")


def parse_os_licence(items: list[dict[str, Any]], licence: Licence) -> None:
    """Fill the OS fields from the Windows rows: the licensed row when there are several; none
    means no product key is installed at all (unlicensed)."""
    if not items:
        licence.os_activated, licence.os_licence_status = False, "unlicensed"
        return
    row = next((item for item in items if windows.as_int(item.get("LicenseStatus")) == 1), items[0])
    status = windows.as_int(row.get("LicenseStatus"))
    licence.os_activated = status == 1
    licence.os_licence_status = licence_status_name(status) if status is not None else ""
    licence.os_partial_key = windows.as_text(row.get("PartialProductKey"))[-5:]
    licence.os_product = windows.as_text(row.get("Name"))
    licence.os_licence_channel = windows.as_text(row.get("ProductKeyChannel"))


def parse_antivirus_expired(items: list[dict[str, Any]]) -> bool | None:
    """True when a product's state is "expired"; None when Security Center lists none."""
    values = [windows.as_int(item.get("productState")) for item in items]
    states = [parse_product_state(value).state for value in values if value is not None]
    return "expired" in states if states else None


def parse_eset_license(text: str | None) -> date | None:
    """The end of ESET's licence: the latest ``EXPIRATION_DATE`` of an ``ACTIVE_PRODUCT`` in the
    ``<ESET>`` element of license.lf (``2019-12-11T12:00:00Z``, a UTC date). None when there is no
    file or no active product; the ``FREE_PRODUCT`` element's date is not the licence's end.
    Raises ValueError for text that is not the XML."""
    if not text or not text.strip():
        return None
    root = windows.parse_xml(text)
    dates = [_utc_date(product.get("EXPIRATION_DATE", "")) for product in root.iter("ACTIVE_PRODUCT")]
    found = [value for value in dates if value is not None]
    return max(found) if found else None


def _utc_date(value: str) -> date | None:
    # ESET writes UTC with a Z and, in ISSUE_DATE, seven fractional digits (.0576783Z): the date part is enough.
    found = re.match(r"^(\d{4}-\d{2}-\d{2})T", value.strip())
    return datetime.strptime(found.group(1), "%Y-%m-%d").date() if found else None


def parse_windows_licence(text: str) -> Licence:
    """The licence section from the script's output; a part that failed or cannot be read is
    recorded in ``errors`` and leaves its fields unknown."""
    parts = windows.parse_parts(text)
    licence = Licence()
    for name, fill in (("os", lambda v: parse_os_licence(windows.rows(v), licence)),
                       ("antivirus", lambda v: setattr(licence, "antivirus_licence_expired",
                                                       parse_antivirus_expired(windows.rows(v)))),
                       ("eset", lambda v: setattr(licence, "antivirus_licence_expires", parse_eset_license(v)))):
        failed = windows.part_error(parts.get(name))
        if failed:
            licence.errors.append(ProbeError(what=name, reason=failed))
        else:
            attempt(licence.errors, name, lambda fill=fill, name=name: fill(parts.get(name)), None)
    return licence


def collect(ctx: ProbeContext) -> Licence:
    """Windows activation and antivirus licence state; an empty section elsewhere. Never raises."""
    if ctx.system != "Windows":
        return Licence()
    errors: list[ProbeError] = []
    script = windows.parts_script(WINDOWS_PARTS)
    text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
    if text is None:
        return Licence(errors=errors)
    return attempt(errors, "licence", lambda: parse_windows_licence(text), Licence(errors=errors))
