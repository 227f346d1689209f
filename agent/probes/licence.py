"""Licence probe: Windows activation from ``SoftwareLicensingProduct``, whether an antivirus
reports its licence expired (Security Center's "expired" product state), and the antivirus
licence's end date where the product writes it down: ESET's licence file (``License\\license.lf``
under the data folder ESET's own ``HKLM\\SOFTWARE\\ESET\\ESET Security\\CurrentVersion\\Info``
names in ``AppDataDir``, the file and attribute the GLPI agent reads). The file is only read;
nothing is run, and no path comes from configuration.

A volume (GVLK) activation also tells its KMS host: the one configured on the product or on the
licensing service (``KeyManagementServiceMachine``, set by ``slmgr /skms``), else the one the
client discovered in DNS (``DiscoveredKeyManagementServiceMachineName`` / ``...IpAddress``).

Only ``PartialProductKey`` (the last five characters) is ever read; the full key is not.
Elsewhere (Linux) there is no activation: the section stays empty, without errors.
Source: shared/reference/endpoint-formats.md section 2; tests/fixtures/windows/README.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent import windows
from agent.probes.antivirus import parse_product_state
from agent.probes.antivirus_licences import antivirus_licences, parse_eset_license
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
# SoftwareLicensingProduct and SoftwareLicensingService both carry these (sppwmi docs); the
# product's are recorded in tests/fixtures/windows/softwarelicensingproduct-kms.json.
KMS_PROPERTIES = ("KeyManagementServiceMachine", "KeyManagementServicePort",
                  "DiscoveredKeyManagementServiceMachineName", "DiscoveredKeyManagementServiceMachineIpAddress")
KMS_DEFAULT_PORT = 1688
KMS_CLIENT_CHANNEL = "volume:gvlk"  # ProductKeyChannel of a KMS client key (Description: VOLUME_KMSCLIENT)
WINDOWS_PARTS = {
    # Without the ApplicationID filter there are hundreds of unused SKU rows (reference §2).
    "os": windows.json_rows(
        "Get-CimInstance SoftwareLicensingProduct -Filter \"ApplicationID='" + WINDOWS_APPLICATION_ID + "' "
        "AND PartialProductKey IS NOT NULL\" | Select-Object Name, Description, LicenseStatus, PartialProductKey, "
        "GracePeriodRemaining, ProductKeyChannel, " + ", ".join(KMS_PROPERTIES)
    ),
    # The machine-wide KMS host (slmgr /skms without an activation id) lives on the service.
    "kms_service": "Get-CimInstance SoftwareLicensingService | Select-Object " + ", ".join(KMS_PROPERTIES),
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


def parse_os_licence(items: list[dict[str, Any]], licence: Licence, service: dict[str, Any] | None = None) -> None:
    """Fill the OS fields from the Windows rows: the licensed row when there are several; none
    means no product key is installed at all (unlicensed). ``service`` is the licensing service's
    row (its machine-wide KMS host), {} when unknown."""
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
    licence.kms_host, licence.kms_host_discovered = parse_kms_host(row, service or {})


def is_kms_client(row: dict[str, Any]) -> bool:
    """A volume activation against a KMS host: the GVLK channel, or (Windows 7, which has no
    ProductKeyChannel) the VOLUME_KMSCLIENT description."""
    channel = windows.as_text(row.get("ProductKeyChannel")).lower()
    return channel == KMS_CLIENT_CHANNEL or "volume_kmsclient" in windows.as_text(row.get("Description")).lower()


def parse_kms_host(row: dict[str, Any], service: dict[str, Any]) -> tuple[str, bool | None]:
    """(host, discovered) of a KMS client's activation: the product's configured host, else the
    service's, else the discovered name, else the discovered address; ("", None) when the row is
    not a KMS client or nothing is known (a client never activated, or wmic's empty values)."""
    if not is_kms_client(row):
        return "", None
    for source in (row, service):
        configured = windows.as_text(source.get("KeyManagementServiceMachine"))
        if configured:
            return with_port(configured, source.get("KeyManagementServicePort")), False
    for name in ("DiscoveredKeyManagementServiceMachineName", "DiscoveredKeyManagementServiceMachineIpAddress"):
        found = next((windows.as_text(s.get(name)) for s in (row, service) if windows.as_text(s.get(name))), "")
        if found:
            return found, True
    return "", None


def with_port(host: str, port: Any) -> str:
    """``host`` with ``:port`` when the port is set and not KMS's default 1688."""
    number = windows.as_int(port)
    return f"{host}:{number}" if number and number != KMS_DEFAULT_PORT else host


def parse_antivirus_expired(items: list[dict[str, Any]]) -> bool | None:
    """True when a product's state is "expired"; None when Security Center lists none."""
    values = [windows.as_int(item.get("productState")) for item in items]
    states = [parse_product_state(value).state for value in values if value is not None]
    return "expired" in states if states else None


def parse_windows_licence(text: str, now: datetime) -> Licence:
    """The licence section from the script's output; a part that failed or cannot be read is
    recorded in ``errors`` and leaves its fields unknown (the service's KMS host failing leaves
    the product's own). ``now`` tells an ESET licence's end from a past one."""
    parts = windows.parse_parts(text)
    licence = Licence()
    service = windows.read_part(parts, "kms_service", licence.errors, _first, {})
    products = windows.read_part(parts, "antivirus", licence.errors, windows.rows, None)
    eset = windows.read_part(parts, "eset", licence.errors, _eset_text, None)
    windows.read_part(parts, "os", licence.errors, lambda v: parse_os_licence(windows.rows(v), licence, service),
                      None)
    if products is not None:
        licence.antivirus_licence_expired = parse_antivirus_expired(products)
    before = len(licence.errors)
    licence.antivirus_licence_expires = attempt(licence.errors, "eset", lambda: parse_eset_license(eset), None)
    eset = eset if len(licence.errors) == before else None  # unreadable: recorded once, Security Center still counts
    licence.antivirus_licences = attempt(licence.errors, "antivirus_licences",
                                         lambda: antivirus_licences(products or [], eset, now.date()), [])
    return licence


def _first(value: Any) -> dict[str, Any]:
    found = windows.rows(value)
    return found[0] if found else {}


def _eset_text(value: Any) -> str | None:
    """The eset part: the <ESET> element's text, or null when there is no license.lf."""
    return None if value is None else str(value)


def collect(ctx: ProbeContext) -> Licence:
    """Windows activation and antivirus licence state; an empty section elsewhere. Never raises."""
    if ctx.system != "Windows":
        return Licence()
    errors: list[ProbeError] = []
    script = windows.parts_script(WINDOWS_PARTS)
    text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
    if text is None:
        return Licence(errors=errors)
    return attempt(errors, "licence", lambda: parse_windows_licence(text, ctx.now), Licence(errors=errors))
