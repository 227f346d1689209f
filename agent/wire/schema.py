"""The agent's report, defined once.

The agent encodes a :class:`Report`; the collector decodes it strictly with :func:`decode_report`
(no type coercion, no unknown fields); the collector's OpenAPI document publishes these same
Structs. Every section of DESIGN.md is a type here. A section that this agent did not collect is
``None``; a section whose probe failed, wholly or in part, lists what failed in ``errors``.

Times are timezone-aware datetimes (UTC on the wire). Sizes are bytes, ages are days. Every field
the collector reads is bounded (agent/wire/bounds.py: lengths, no NUL, integer ranges, time zones).
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Annotated

import msgspec

from agent.wire.bounds import FEW, MANY, Bytes, Count, ListedName, Measure, Moment, Name, ShortText, Text, Uid
from agent.wire.settings import SignedSettings

SCHEMA_VERSION = 2
"""The version this code writes. Bump it when a change would break an older collector.
2: ``Report.unchanged`` (sections sent as their hash, agent/wire/sections.py) and
``Report.settings_version`` (the centre's agent settings the report was collected with)."""

PREVIOUS_SCHEMA_VERSION = 1
ACCEPTED_SCHEMA_VERSIONS = frozenset({PREVIOUS_SCHEMA_VERSION, SCHEMA_VERSION})
"""What the collector accepts: the current version and the previous (a report of schema 1 is a
schema-2 report without its new fields)."""


class _Struct(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every report type: unknown fields are an error (kw_only where required fields
    follow optional ones, since msgspec does not inherit kw_only)."""


class Role(enum.StrEnum):
    NORMAL = "normal"
    OFFLINE = "offline"  # máy tính soạn thảo văn bản mật: must never touch a network


class Transport(enum.StrEnum):
    """How an agent sends its reports (as configured: the collector URL's scheme)."""

    HTTPS = "https"
    HTTP = "http"  # unencrypted: the machine page says so


class ProbeError(_Struct):
    """One thing a probe could not read, and why (the rest of its section still goes out)."""

    what: Name
    reason: Text


class Section(_Struct):
    errors: Annotated[list[ProbeError], FEW] = []


# --- identity -------------------------------------------------------------------------------


class Identity(Section, kw_only=True):
    agent_id: ShortText | None = None
    machine_uid: Uid = ""
    """Stable id of the machine (Linux /etc/machine-id, Windows MachineGuid)."""
    hostname: Name = ""
    unit_code: ShortText | None = None
    os_name: Name = ""
    os_version: Name = ""
    os_build: Name = ""
    boot_time: Moment | None = None
    agent_version: ShortText = ""
    sequence: Count = 0
    """Report sequence number of this agent, from 1; the collector stores each once."""
    collected_at: Moment
    """The agent's clock; the collector keeps its own receive time too."""
    transport: Transport | None = None
    """How the agent sends its reports (None: it does not send them over a network, e.g. the offline PC)."""
    held_reports: Count = 0
    """Reports of this agent set aside in its spool (refused or failing repeatedly, kept and tried
    again less often: agent/holding.py); the machine page shows them and rule agent.reports_held
    alerts on them."""


# --- hardware -------------------------------------------------------------------------------


class Disk(_Struct):
    device: Name
    mountpoint: Text = ""
    fstype: Text = ""
    total_bytes: Bytes | None = None
    free_bytes: Bytes | None = None
    model: Name = ""
    media: Text = ""  # "hdd", "ssd", "nvme", "" when unknown
    health: Text = ""  # "healthy", "warning", "unhealthy", "" when unreadable


class Peripheral(_Struct):
    kind: Name  # "scanner" or "printer"
    name: Name
    present: bool = True


class Hardware(Section):
    manufacturer: Name = ""
    model: Name = ""
    serial: Name = ""
    bios_release_date: date | None = None
    cpu_model: Name = ""
    cpu_cores: Count | None = None
    ram_bytes: Bytes | None = None
    disks: Annotated[list[Disk], FEW] = []
    peripherals: Annotated[list[Peripheral], MANY] = []


# --- antivirus ------------------------------------------------------------------------------


class AntivirusProduct(_Struct):
    name: Name
    vendor: Name = ""
    enabled: bool | None = None
    realtime_on: bool | None = None
    signatures_up_to_date: bool | None = None
    signatures_date: Moment | None = None
    signatures_age_days: Measure | None = None
    signature_version: Text = ""
    state_raw: Text = ""
    """The product's own state value as read (e.g. SecurityCenter2 productState)."""
    engine_version: Text = ""
    """The scanning engine's version where the product tells it (ClamAV: ``clamscan --version``)."""


class Detection(_Struct):
    threat: Name
    path: Text = ""
    detected_at: Moment | None = None
    action: Text = ""


class Antivirus(Section):
    products: Annotated[list[AntivirusProduct], MANY] = []
    detections: Annotated[list[Detection], MANY] = []


# --- licence --------------------------------------------------------------------------------


class LicenceState(enum.StrEnum):
    """The values of ``AntivirusLicence.state``."""

    ACTIVE = "active"
    EXPIRED = "expired"
    TRIAL = "trial"
    UNKNOWN = ""
    """The source does not say."""


class AntivirusLicence(_Struct):
    """One antivirus product's own licence state, where the vendor's files or Security Center tell it."""

    product: Name
    """The product's name as its antivirus entry names it."""
    state: Text = ""
    """"active", "expired", "trial", or "" when the source does not say."""
    expires: date | None = None
    source: Text = ""
    """Where it was read (e.g. "ESET license.lf", "Security Center")."""


class Licence(Section):
    os_activated: bool | None = None
    os_licence_status: Text = ""
    """Named status (e.g. "licensed", "notification")."""
    os_partial_key: Text = ""
    """The last five characters only; the full key is never read."""
    antivirus_licence_expires: date | None = None
    os_product: Text = ""
    """The licensed product's name (e.g. "Windows(R), Professional edition")."""
    os_licence_channel: Text = ""
    """Retail, OEM:DM, Volume:MAK, Volume:GVLK, ... as Windows names it."""
    antivirus_licence_expired: bool | None = None
    """True when an antivirus product reports its licence expired (Security Center "expired")."""
    kms_host: Text = ""
    """The KMS host a volume (GVLK) activation uses: the configured KeyManagementServiceMachine,
    else the one discovered in DNS ("" when none or not a KMS activation)."""
    kms_host_discovered: bool | None = None
    """True when ``kms_host`` was discovered (DNS SRV), False when configured, None when unknown."""
    antivirus_licences: Annotated[list[AntivirusLicence], MANY] = []
    """Per product, its own licence state where readable."""


# --- network --------------------------------------------------------------------------------


def normalise_mac(raw: str) -> str:
    """The one form a MAC takes in a report and in the collector's LAN records:
    ``aa:bb:cc:dd:ee:ff`` from any of ``AA-BB-..``, ``aa:bb:..``, ``aabb.ccdd.eeff``;
    "" when it is not a 48-bit MAC or is all zeros (loopback, tunnels)."""
    digits = re.sub(r"[:\-.]", "", raw.strip()).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", digits) or digits == "0" * 12:
        return ""
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


class Interface(_Struct):
    name: Name
    mac: Text = ""
    addresses: Annotated[list[Text], FEW] = []
    is_up: bool = False
    carrier: bool | None = None
    wireless: bool | None = None
    speed_mbps: Count | None = None
    dhcp: bool | None = None


class ReachKind(enum.StrEnum):
    """What a reachability target stands for."""

    GATEWAY = "gateway"
    """The LAN's default gateway."""
    INTERNET = "internet"
    DEDICATED_LINE = "dedicated_line"
    """The province's dedicated data line (đường truyền số liệu chuyên dùng)."""


class Reachability(_Struct):
    target: Name
    kind: ReachKind
    method: Name  # "tcp", "icmp"
    reachable: bool
    latency_ms: Measure | None = None
    error: Text = ""


class NetworkProfile(_Struct):
    name: Name
    kind: Name = ""  # "wired", "wifi", "vpn", "mobile"
    first_connected: Moment | None = None
    last_connected: Moment | None = None
    source: Text = ""  # where it was read (NetworkList, WLAN profile, NetworkManager, DHCP lease)


class Evidence(_Struct):
    """One sign that this PC is or was connected to a network (reported for the offline role)."""

    kind: Name
    """"interface_up", "default_route", "dhcp_address", "dhcp_lease", "network_profile",
    "wifi_profile"."""
    detail: Text
    seen_at: Moment | None = None
    """When it happened, when the source tells (lease time, profile last connected)."""


class Network(Section):
    interfaces: Annotated[list[Interface], FEW] = []
    default_gateway: Text | None = None
    dns_servers: Annotated[list[Text], FEW] = []
    reachability: Annotated[list[Reachability], MANY] = []
    profiles: Annotated[list[NetworkProfile], MANY] = []
    reachability_status: Annotated[dict[ReachKind, Text], FEW] = {}
    """Per kind: "probed", "not configured",
    "disabled", "no gateway", or "not probed (offline role)"."""
    evidence: Annotated[list[Evidence], MANY] = []
    """Offline role only: every sign of a connection, past or present (nothing is sent)."""


# --- backup ---------------------------------------------------------------------------------


class BackupSource(_Struct):
    kind: Name  # "folder", "restic", "borg", "windows"
    location: Text
    last_success: Moment | None = None
    size_bytes: Bytes | None = None
    error: Text = ""


class Backup(Section):
    sources: Annotated[list[BackupSource], MANY] = []


# --- certificates ---------------------------------------------------------------------------


class Certificate(_Struct):
    subject: Text
    issuer: Text = ""
    serial: Name = ""
    not_before: Moment | None = None
    not_after: Moment | None = None
    store: Text = ""
    key_usage: Annotated[list[Text], FEW] = []
    """X.509 key usages as RFC 5280 names them ("digitalSignature", "nonRepudiation", ...); [] when
    the certificate has no key usage extension or it was not read."""


class Certificates(Section):
    certificates: Annotated[list[Certificate], MANY] = []


# --- software and hardening -----------------------------------------------------------------


class Program(_Struct):
    name: ListedName
    version: ListedName = ""
    publisher: ListedName = ""
    installed_on: date | None = None


class Software(Section):
    programs: Annotated[list[Program], MANY] = []


class LocalAccount(_Struct):
    name: Name
    enabled: bool | None = None
    admin: bool | None = None
    last_logon: Moment | None = None


class Hardening(Section):
    firewall_enabled: Annotated[dict[Name, bool], FEW] = {}
    """Per profile (Windows: domain/private/public; Linux: ufw or nftables)."""
    last_os_update: Moment | None = None
    screen_lock_timeout_s: Count | None = None
    autorun_disabled: bool | None = None
    smb1_enabled: bool | None = None
    disk_encrypted: bool | None = None
    local_accounts: Annotated[list[LocalAccount], MANY] = []
    """Windows local users; Linux login accounts (uid >= 1000 with a login shell, and root)."""


# --- users ----------------------------------------------------------------------------------


class InteractiveUser(_Struct):
    """A person who uses this PC interactively (not a service account)."""

    name: Name
    """The account as the OS names it ("DOMAIN\\nam", "nam")."""
    signed_in: bool = False
    """Signed in when the report was collected."""
    last_use: Moment | None = None
    """The last time the account used the PC (Windows: its profile's last use; Linux: wtmp)."""
    source: Text = ""
    """Where it was read ("profile", "session", "wtmp")."""


class Users(Section):
    users: Annotated[list[InteractiveUser], MANY] = []


# --- the report -----------------------------------------------------------------------------


class Report(_Struct, kw_only=True):
    schema_version: Count = SCHEMA_VERSION
    role: Role = Role.NORMAL
    identity: Identity
    hardware: Hardware | None = None
    antivirus: Antivirus | None = None
    licence: Licence | None = None
    network: Network | None = None
    backup: Backup | None = None
    certificates: Certificates | None = None
    software: Software | None = None
    hardening: Hardening | None = None
    users: Users | None = None
    unchanged: Annotated[dict[ShortText, ShortText], FEW] = {}
    """Schema 2: shared sections left out (null) because they are unchanged: name -> SHA-256 of the
    section's JSON as sent before (agent/wire/sections.py). The collector fills them in."""
    settings_version: Count | None = None
    """Schema 2: the version of the centre's agent settings this report was collected with (None:
    none received yet)."""


class _VersionOnly(msgspec.Struct):
    schema_version: Count


class SchemaVersionError(ValueError):
    """The report's schema version is not one this collector accepts."""

    def __init__(self, version: object) -> None:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_SCHEMA_VERSIONS))
        super().__init__(f"schema_version {version!r} is not accepted (accepted: {accepted})")
        self.version = version


def decode_report(body: bytes) -> Report:
    """Decode a report strictly: raises msgspec.DecodeError/ValidationError or SchemaVersionError.
    A string holding U+0000 (NUL) is refused wherever it is (agent.wire.bounds.ListedName)."""
    version = msgspec.json.decode(body, type=_VersionOnly).schema_version
    if version not in ACCEPTED_SCHEMA_VERSIONS:
        raise SchemaVersionError(version)
    report = _REPORT_DECODER.decode(body)
    if _NUL_ESCAPE in body:  # JSON can hold a NUL only escaped; most bodies have none
        _refuse_nul(msgspec.json.decode(body), "$")
    if version < SCHEMA_VERSION and (report.unchanged or report.settings_version is not None):
        raise msgspec.ValidationError(f"unchanged and settings_version are fields of schema {SCHEMA_VERSION}, "
                                      f"not of schema {version}")
    return report


_REPORT_DECODER = msgspec.json.Decoder(Report, strict=True)
_NUL_ESCAPE = b"\\u0000"


def _refuse_nul(value: object, where: str) -> None:
    """ValidationError naming the first string (value or key) under ``value`` that holds a NUL."""
    if isinstance(value, str) and "\x00" in value:
        raise msgspec.ValidationError(f"Expected `str` without U+0000 (NUL) - at `{where}`")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key, f"{where} key {key!r}")
            _refuse_nul(item, f"{where}.{key}")


def encode_report(report: Report) -> bytes:
    return msgspec.json.encode(report)


# --- enrollment -----------------------------------------------------------------------------


class EnrollRequest(_Struct):
    token: Name
    machine_uid: Uid
    hostname: Name
    role: Role = Role.NORMAL
    macs: Annotated[list[Name], FEW] = []
    serial: Name = ""
    os_name: Name = ""
    schema_version: Count = PREVIOUS_SCHEMA_VERSION
    """The report schema the agent writes: from 2 the answer may carry the centre's settings."""


class EnrollResponse(_Struct, omit_defaults=True):
    agent_id: Text
    key: Text
    """The agent's secret key (hex), shown once; it signs every report."""
    unit_code: Text
    machine_id: Count
    settings: SignedSettings | None = None
    """The centre's settings for this machine (agents of schema 2 only; absent otherwise, so that an
    older agent, which refuses unknown fields, reads the answer as before)."""


class ReportAck(_Struct, omit_defaults=True):
    agent_id: Text
    sequence: Count
    status: Text  # "stored" or "duplicate"
    settings: SignedSettings | None = None
    """Schema 2: the centre's settings, when the report ran with another version (absent otherwise)."""
