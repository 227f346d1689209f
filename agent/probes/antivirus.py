"""Antivirus probe: every product with its state and signature age, and recent detections.

Windows: the products Windows Security Center knows (``root/SecurityCenter2 AntiVirusProduct``,
client SKUs only) with ``productState`` decoded, Microsoft Defender's own status
(``Get-MpComputerStatus``) and its detections (``Get-MpThreatDetection`` joined on ThreatID with
``Get-MpThreat``, which alone has the threat's name). Linux: ClamAV, read without running it:
the signature databases' headers, whether clamd / clamonacc run, ``FOUND`` lines of its log.
Sources and traps: shared/reference/endpoint-formats.md sections 1 and 7.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import psutil

from agent import windows
from agent.probes.context import ProbeContext, attempt, read_optional
from agent.wire.product_state import ProductState, parse_product_state
from agent.wire.schema import Antivirus, AntivirusProduct, Detection, ProbeError

__all__ = ["ProductState", "parse_product_state"]  # decoded in the wire contract: the dashboard shows it too

# --- Windows ----------------------------------------------------------------------------------

DEFENDER_NAME = "Microsoft Defender Antivirus"
# MSFT_MpThreat status enum (learn.microsoft.com/windows/win32/lwef/mpthreat-status)
THREAT_STATUS = {
    0: "unknown", 1: "detected", 2: "cleaned", 3: "quarantined", 4: "removed", 5: "allowed", 6: "blocked",
    102: "clean failed", 103: "quarantine failed", 104: "remove failed", 105: "allow failed",
    106: "abandoned", 107: "block failed",
}
RECENT_DETECTION_DAYS = 90
MAX_DETECTIONS = 50

WINDOWS_PARTS = {
    "products": windows.json_rows(
        "Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | "
        "Select-Object displayName, instanceGuid, pathToSignedProductExe, productState, timestamp"
    ),
    "defender": "Get-MpComputerStatus | Select-Object AMRunningMode, AMServiceEnabled, AntivirusEnabled, "
    "RealTimeProtectionEnabled, AntivirusSignatureAge, AntivirusSignatureLastUpdated, AntivirusSignatureVersion, "
    "DefenderSignaturesOutOfDate, QuickScanAge, QuickScanEndTime, FullScanAge, FullScanEndTime",
    "detections": windows.json_rows(
        "Get-MpThreatDetection | Select-Object ThreatID, DetectionID, ThreatStatusID, ActionSuccess, Resources, "
        "InitialDetectionTime"
    ),
    "threats": windows.json_rows("Get-MpThreat | Select-Object ThreatID, ThreatName, SeverityID, IsActive"),
}


def vendor_from_path(path: str) -> str:
    """The folder under Program Files of the product's executable ("Trend Micro"), "" when the
    path does not say (``windowsdefender://``)."""
    found = re.search(r"\\Program Files(?: \(x86\))?\\([^\\]+)\\", path, re.IGNORECASE)
    return found.group(1) if found else ""


def parse_security_center(items: list[dict[str, Any]]) -> list[AntivirusProduct]:
    """One product per AntiVirusProduct row; "on" in Security Center is real-time protection on."""
    products = []
    for item in items:
        raw = windows.as_int(item.get("productState"))
        decoded = parse_product_state(raw) if raw is not None else None
        path = windows.as_text(item.get("pathToSignedProductExe"))
        products.append(
            AntivirusProduct(
                name=windows.as_text(item.get("displayName")) or "?",
                vendor="Microsoft" if decoded and decoded.microsoft else vendor_from_path(path),
                enabled=decoded.state == "on" if decoded else None,
                realtime_on=decoded.state == "on" if decoded else None,
                signatures_up_to_date=decoded.signatures_up_to_date if decoded else None,
                state_raw=f"{raw} (0x{raw:06X}, {decoded.state})" if decoded and raw is not None else "",
            )
        )
    return products


def is_defender(product: AntivirusProduct) -> bool:
    return "defender" in product.name.lower()


def apply_defender_status(products: list[AntivirusProduct], status: dict[str, Any], now: datetime) -> None:
    """Fill Defender's row from Get-MpComputerStatus (adding one when Security Center had none,
    as on Windows Server): its own switches and signature date beat productState's summary."""
    product = next((p for p in products if is_defender(p)), None)
    if product is None:
        product = AntivirusProduct(name=DEFENDER_NAME, vendor="Microsoft")
        products.append(product)
    signed = windows.parse_ps_date(status.get("AntivirusSignatureLastUpdated"))
    age = windows.as_int(status.get("AntivirusSignatureAge"))
    product.enabled = _bool(status.get("AntivirusEnabled"), product.enabled)
    product.realtime_on = _bool(status.get("RealTimeProtectionEnabled"), product.realtime_on)
    product.signatures_date = signed
    product.signatures_age_days = age_days(signed, now) if signed else (float(age) if age is not None else None)
    product.signature_version = windows.as_text(status.get("AntivirusSignatureVersion"))
    out_of_date = status.get("DefenderSignaturesOutOfDate")
    if isinstance(out_of_date, bool):
        product.signatures_up_to_date = not out_of_date
    mode = windows.as_text(status.get("AMRunningMode"))
    product.state_raw = "; ".join(part for part in (product.state_raw, f"AMRunningMode {mode}" if mode else "") if part)


def parse_detections(detections: list[dict[str, Any]], threats: list[dict[str, Any]], now: datetime) -> list[Detection]:
    """Defender detections of the last 90 days, newest first, named from Get-MpThreat (the
    detection rows carry only ThreatID); the path is the first resource without its
    ``file:_`` / ``webfile:_`` prefix."""
    names = {str(t.get("ThreatID")): windows.as_text(t.get("ThreatName")) for t in threats}
    found = []
    for item in detections:
        when = windows.parse_ps_date(item.get("InitialDetectionTime"))
        if when is not None and now - when > timedelta(days=RECENT_DETECTION_DAYS):
            continue
        resources = item.get("Resources") or []
        resources = [resources] if isinstance(resources, str) else resources
        status = windows.as_int(item.get("ThreatStatusID"))
        found.append(
            Detection(
                threat=names.get(str(item.get("ThreatID"))) or f"ThreatID {item.get('ThreatID')}",
                path=re.sub(r"^[a-z]+:_", "", str(resources[0])) if resources else "",
                detected_at=when,
                action=THREAT_STATUS.get(status, f"status {status}") if status is not None else "",
            )
        )
    return sorted(found, key=_newest_first)[:MAX_DETECTIONS]


def parse_windows_antivirus(text: str, now: datetime) -> Antivirus:
    """The section from the probe script's JSON; a part that failed becomes an error."""
    parts = windows.parse_parts(text)
    errors: list[ProbeError] = []
    products = _part(errors, parts, "products", lambda v: parse_security_center(windows.rows(v)), [])
    status = parts.get("defender")
    if windows.part_error(status):
        errors.append(ProbeError(what="defender", reason=str(windows.part_error(status))))
    elif isinstance(status, dict):
        apply_defender_status(products, status, now)
    threats = _part(errors, parts, "threats", windows.rows, [])
    detections = _part(errors, parts, "detections", lambda v: parse_detections(windows.rows(v), threats, now), [])
    return Antivirus(errors=errors, products=products, detections=detections)


# --- Linux: ClamAV ------------------------------------------------------------------------------

CLAMAV_CONF_DIR = Path("/etc/clamav")
CLAMAV_DB_DIR = Path("/var/lib/clamav")
CLAMAV_LOG = Path("/var/log/clamav/clamav.log")  # Debian's clamd LogFile
CVD_HEADER_BYTES = 512
LOG_TAIL_BYTES = 256 * 1024
# libclamav warns when daily is more than 7 days old (reference §7); freshclam cannot update an
# air-gapped PC, so the header date is the truth.
CLAMAV_STALE_DAYS = 7
# print_version() in ClamAV's common/misc.c: "ClamAV <engine>/<daily version>/<ctime>", or
# "ClamAV <engine>" alone when no database is found (reference §7).
_CLAMAV_VERSION = r"^ClamAV (?P<engine>\d[\w.~+-]*)(?:/(?P<daily>\d+)/.*)?$"  # patterns compiled on first use
CLAMAV_PROGRAMS = ("clamscan", "clamd")  # both print the same line; clamdscan would ask clamd
_FOUND = r"^(?:(?P<when>\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}) -> )?(?P<path>.+): (?P<sig>\S+) FOUND$"


class CvdHeader(msgspec.Struct, frozen=True):
    version: int
    build_time: datetime
    signatures: int
    builder: str


def parse_cvd_header(data: bytes) -> CvdHeader:
    """The 512-byte header of a .cvd/.cld: ``ClamAV-VDB:<build time>:<version>:<sigs>:<f-level>:
    <md5>:<dsig>:<builder>:<stime>``, build time ``16 Apr 2020 07-58 -0400`` (``-`` for ``:``,
    libclamav cvd.c). Raises ValueError when it is not one."""
    fields = data[:CVD_HEADER_BYTES].decode("ascii", errors="replace").rstrip("\x00 \n").split(":")
    if len(fields) < 8 or fields[0] != "ClamAV-VDB":
        raise ValueError("not a ClamAV database header")
    try:
        built = datetime.strptime(fields[1].strip(), "%d %b %Y %H-%M %z").astimezone(UTC)
    except ValueError:
        if len(fields) < 9 or not fields[8].strip().isdigit():
            raise
        built = datetime.fromtimestamp(int(fields[8].strip()), UTC)
    return CvdHeader(version=int(fields[2]), build_time=built, signatures=int(fields[3]), builder=fields[7].strip())


def parse_clamav_conf(text: str, key: str) -> str | None:
    """The value of ``key`` in clamd.conf/freshclam.conf (``Key value``, ``#`` comments)."""
    for line in text.splitlines():
        name, _, value = line.strip().partition(" ")
        if name == key and value.strip():
            return value.strip()
    return None


def parse_clamav_version(text: str) -> str:
    """The engine version of ``clamscan --version`` output ("1.0.1" of
    ``ClamAV 1.0.1/26839/Fri Mar 10 08:21:54 2023``, or of ``ClamAV 1.0.1`` when it found no
    database); raises ValueError for anything else."""
    found = re.match(_CLAMAV_VERSION, text.strip())
    if not found:
        raise ValueError(f"not a ClamAV version line: {text.strip()[:80]!r}")
    return found["engine"]


def parse_clamav_found(text: str, now: datetime) -> list[Detection]:
    """``<path>: <signature> FOUND`` lines of a clamd/clamscan log, newest first; clamd's
    ``LogTime`` prefix (ctime, local time) gives the time when present."""
    pattern = re.compile(_FOUND)
    found = []
    for line in text.splitlines():
        match = pattern.match(line.strip())
        if not match:
            continue
        when = datetime.strptime(match["when"], "%a %b %d %H:%M:%S %Y").astimezone(UTC) if match["when"] else None
        if when is not None and now - when > timedelta(days=RECENT_DETECTION_DAYS):
            continue
        found.append(Detection(threat=match["sig"], path=match["path"], detected_at=when, action="found"))
    return sorted(found, key=_newest_first)[:MAX_DETECTIONS]


def clamav_product(daily: CvdHeader | None, clamd: bool, onaccess: bool, now: datetime) -> AntivirusProduct:
    """ClamAV as a product: enabled when clamd runs, real-time when clamonacc (on-access) runs."""
    age = age_days(daily.build_time, now) if daily else None
    return AntivirusProduct(
        name="ClamAV",
        vendor="Cisco Talos",
        enabled=clamd,
        realtime_on=onaccess,
        signatures_up_to_date=age <= CLAMAV_STALE_DAYS if age is not None else None,
        signatures_date=daily.build_time if daily else None,
        signatures_age_days=age,
        signature_version=str(daily.version) if daily else "",
        state_raw=f"clamd {_running(clamd)}; clamonacc {_running(onaccess)}",
    )


def collect_clamav(ctx: ProbeContext) -> Antivirus:
    """ClamAV when installed (a program or a signature database present); nothing otherwise."""
    errors: list[ProbeError] = []
    clamd_conf = attempt(errors, "clamd.conf", lambda: read_optional(ctx, CLAMAV_CONF_DIR / "clamd.conf"), None) or ""
    db_dir = Path(parse_clamav_conf(clamd_conf, "DatabaseDirectory") or CLAMAV_DB_DIR)
    daily = attempt(errors, "clamav database", lambda: read_newest_header(db_dir, "daily"), None)
    installed = any(shutil.which(name) for name in ("clamscan", "clamd", "clamdscan")) or daily is not None
    if not installed:
        return Antivirus(errors=errors)
    running = attempt(errors, "clamav processes", read_process_names, set())
    product = clamav_product(daily, "clamd" in running, "clamonacc" in running, ctx.now)
    product.engine_version = attempt(errors, "clamav version", lambda: read_clamav_engine(ctx), "")
    if daily is None and not errors:
        errors.append(ProbeError(what="clamav database", reason=f"no daily.cvd or daily.cld in {db_dir}"))
    log = Path(parse_clamav_conf(clamd_conf, "LogFile") or CLAMAV_LOG)
    detections = attempt(errors, "clamav log", lambda: parse_clamav_found(read_tail(log), ctx.now), [])
    return Antivirus(errors=errors, products=[product], detections=detections)


def read_clamav_engine(ctx: ProbeContext) -> str:
    """The engine version printed by the first installed ClamAV program; "" when only the
    databases are there."""
    program = next((p for p in CLAMAV_PROGRAMS if shutil.which(p)), None)
    if program is None:
        return ""
    done = ctx.run([program, "--version"], 30.0, None)
    if done.returncode != 0:
        raise ValueError(f"{program} --version exited {done.returncode}: {done.stderr.strip()[:200]}")
    return parse_clamav_version(done.stdout)


def read_newest_header(db_dir: Path, name: str) -> CvdHeader | None:
    """The header of ``name``.cvd or ``name``.cld with the higher version (as clamscan picks)."""
    headers = []
    for path in (db_dir / f"{name}.cvd", db_dir / f"{name}.cld"):
        try:
            with path.open("rb") as handle:
                headers.append(parse_cvd_header(handle.read(CVD_HEADER_BYTES)))
        except FileNotFoundError:
            continue
    return max(headers, key=lambda header: header.version, default=None)


def read_tail(path: Path) -> str:
    """The last 256 KiB of a log as text; "" when there is no log."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - LOG_TAIL_BYTES))
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def read_process_names() -> set[str]:
    """The running programs' names as /proc/<pid>/comm gives them (15 characters at most:
    enough for clamd and clamonacc). Read directly, since psutil.process_iter builds a Process
    object per process for the same file, at about 4x the CPU."""
    names = set()
    for pid in psutil.pids():
        try:
            with open(f"/proc/{pid}/comm", "rb") as handle:
                names.add(handle.read().rstrip(b"\n").decode("utf-8", errors="replace"))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # the process ended meanwhile; or /proc hides it (hidepid=)
    return names


# --- shared -------------------------------------------------------------------------------------


def age_days(moment: datetime, now: datetime) -> float:
    return round((now - moment).total_seconds() / 86400, 2)


def collect(ctx: ProbeContext) -> Antivirus:
    """Windows: Security Center + Defender; Linux: ClamAV; elsewhere an empty section. Never raises."""
    if ctx.system == "Windows":
        errors: list[ProbeError] = []
        script = windows.parts_script(WINDOWS_PARTS)
        text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
        if text is None:
            return Antivirus(errors=errors)
        return attempt(errors, "antivirus", lambda: parse_windows_antivirus(text, ctx.now), Antivirus(errors=errors))
    if ctx.system == "Linux":
        return collect_clamav(ctx)
    return Antivirus()


def _part(errors: list[ProbeError], parts: dict[str, Any], name: str, parse: Any, default: Any) -> Any:
    """A part parsed, or ``default`` with its error recorded (failed in PowerShell or in parsing)."""
    failed = windows.part_error(parts.get(name))
    if failed:
        errors.append(ProbeError(what=name, reason=failed))
        return default
    return attempt(errors, name, lambda: parse(parts.get(name)), default)


def _bool(value: Any, default: bool | None) -> bool | None:
    return value if isinstance(value, bool) else default


def _newest_first(detection: Detection) -> float:
    return -(detection.detected_at.timestamp() if detection.detected_at else 0.0)


def _running(flag: bool) -> str:
    return "running" if flag else "not running"
