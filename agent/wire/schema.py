"""The agent's report, defined once.

The agent encodes a :class:`Report`; the collector decodes it strictly with :func:`decode_report`
(no type coercion, no unknown fields); the collector's OpenAPI document publishes these same
Structs. Every section of DESIGN.md is a type here. A section that this agent did not collect is
``None``; a section whose probe failed, wholly or in part, lists what failed in ``errors``.

Times are timezone-aware datetimes (UTC on the wire). Sizes are bytes, ages are days.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime

import msgspec

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

    what: str
    reason: str


class Section(_Struct):
    errors: list[ProbeError] = []


# --- identity -------------------------------------------------------------------------------


class Identity(Section, kw_only=True):
    agent_id: str | None = None
    machine_uid: str = ""
    """Stable id of the machine (Linux /etc/machine-id, Windows MachineGuid)."""
    hostname: str = ""
    unit_code: str | None = None
    os_name: str = ""
    os_version: str = ""
    os_build: str = ""
    boot_time: datetime | None = None
    agent_version: str = ""
    sequence: int = 0
    """Report sequence number of this agent, from 1; the collector stores each once."""
    collected_at: datetime
    """The agent's clock; the collector keeps its own receive time too."""
    transport: Transport | None = None
    """How the agent sends its reports (None: it does not send them over a network, e.g. the offline PC)."""


# --- hardware -------------------------------------------------------------------------------


class Disk(_Struct):
    device: str
    mountpoint: str = ""
    fstype: str = ""
    total_bytes: int | None = None
    free_bytes: int | None = None
    model: str = ""
    media: str = ""  # "hdd", "ssd", "nvme", "" when unknown
    health: str = ""  # "healthy", "warning", "unhealthy", "" when unreadable


class Peripheral(_Struct):
    kind: str  # "scanner" or "printer"
    name: str
    present: bool = True


class Hardware(Section):
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    bios_release_date: date | None = None
    cpu_model: str = ""
    cpu_cores: int | None = None
    ram_bytes: int | None = None
    disks: list[Disk] = []
    peripherals: list[Peripheral] = []


# --- antivirus ------------------------------------------------------------------------------


class AntivirusProduct(_Struct):
    name: str
    vendor: str = ""
    enabled: bool | None = None
    realtime_on: bool | None = None
    signatures_up_to_date: bool | None = None
    signatures_date: datetime | None = None
    signatures_age_days: float | None = None
    signature_version: str = ""
    state_raw: str = ""
    """The product's own state value as read (e.g. SecurityCenter2 productState)."""
    engine_version: str = ""
    """The scanning engine's version where the product tells it (ClamAV: ``clamscan --version``)."""


class Detection(_Struct):
    threat: str
    path: str = ""
    detected_at: datetime | None = None
    action: str = ""


class Antivirus(Section):
    products: list[AntivirusProduct] = []
    detections: list[Detection] = []


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

    product: str
    """The product's name as its antivirus entry names it."""
    state: str = ""
    """"active", "expired", "trial", or "" when the source does not say."""
    expires: date | None = None
    source: str = ""
    """Where it was read (e.g. "ESET license.lf", "Security Center")."""


class Licence(Section):
    os_activated: bool | None = None
    os_licence_status: str = ""
    """Named status (e.g. "licensed", "notification")."""
    os_partial_key: str = ""
    """The last five characters only; the full key is never read."""
    antivirus_licence_expires: date | None = None
    os_product: str = ""
    """The licensed product's name (e.g. "Windows(R), Professional edition")."""
    os_licence_channel: str = ""
    """Retail, OEM:DM, Volume:MAK, Volume:GVLK, ... as Windows names it."""
    antivirus_licence_expired: bool | None = None
    """True when an antivirus product reports its licence expired (Security Center "expired")."""
    kms_host: str = ""
    """The KMS host a volume (GVLK) activation uses: the configured KeyManagementServiceMachine,
    else the one discovered in DNS ("" when none or not a KMS activation)."""
    kms_host_discovered: bool | None = None
    """True when ``kms_host`` was discovered (DNS SRV), False when configured, None when unknown."""
    antivirus_licences: list[AntivirusLicence] = []
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
    name: str
    mac: str = ""
    addresses: list[str] = []
    is_up: bool = False
    carrier: bool | None = None
    wireless: bool | None = None
    speed_mbps: int | None = None
    dhcp: bool | None = None


class ReachKind(enum.StrEnum):
    """What a reachability target stands for."""

    GATEWAY = "gateway"
    """The LAN's default gateway."""
    INTERNET = "internet"
    DEDICATED_LINE = "dedicated_line"
    """The province's dedicated data line (đường truyền số liệu chuyên dùng)."""


class Reachability(_Struct):
    target: str
    kind: ReachKind
    method: str  # "tcp", "icmp"
    reachable: bool
    latency_ms: float | None = None
    error: str = ""


class NetworkProfile(_Struct):
    name: str
    kind: str = ""  # "wired", "wifi", "vpn", "mobile"
    first_connected: datetime | None = None
    last_connected: datetime | None = None
    source: str = ""  # where it was read (NetworkList, WLAN profile, NetworkManager, DHCP lease)


class Evidence(_Struct):
    """One sign that this PC is or was connected to a network (reported for the offline role)."""

    kind: str
    """"interface_up", "default_route", "dhcp_address", "dhcp_lease", "network_profile",
    "wifi_profile"."""
    detail: str
    seen_at: datetime | None = None
    """When it happened, when the source tells (lease time, profile last connected)."""


class Network(Section):
    interfaces: list[Interface] = []
    default_gateway: str | None = None
    dns_servers: list[str] = []
    reachability: list[Reachability] = []
    profiles: list[NetworkProfile] = []
    reachability_status: dict[ReachKind, str] = {}
    """Per kind: "probed", "not configured",
    "disabled", "no gateway", or "not probed (offline role)"."""
    evidence: list[Evidence] = []
    """Offline role only: every sign of a connection, past or present (nothing is sent)."""


# --- backup ---------------------------------------------------------------------------------


class BackupSource(_Struct):
    kind: str  # "folder", "restic", "borg", "windows"
    location: str
    last_success: datetime | None = None
    size_bytes: int | None = None
    error: str = ""


class Backup(Section):
    sources: list[BackupSource] = []


# --- certificates ---------------------------------------------------------------------------


class Certificate(_Struct):
    subject: str
    issuer: str = ""
    serial: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    store: str = ""
    key_usage: list[str] = []
    """X.509 key usages as RFC 5280 names them ("digitalSignature", "nonRepudiation", ...); [] when
    the certificate has no key usage extension or it was not read."""


class Certificates(Section):
    certificates: list[Certificate] = []


# --- software and hardening -----------------------------------------------------------------


class Program(_Struct):
    name: str
    version: str = ""
    publisher: str = ""
    installed_on: date | None = None


class Software(Section):
    programs: list[Program] = []


class LocalAccount(_Struct):
    name: str
    enabled: bool | None = None
    admin: bool | None = None
    last_logon: datetime | None = None


class Hardening(Section):
    firewall_enabled: dict[str, bool] = {}
    """Per profile (Windows: domain/private/public; Linux: ufw or nftables)."""
    last_os_update: datetime | None = None
    screen_lock_timeout_s: int | None = None
    autorun_disabled: bool | None = None
    smb1_enabled: bool | None = None
    disk_encrypted: bool | None = None
    local_accounts: list[LocalAccount] = []
    """Windows local users; Linux login accounts (uid >= 1000 with a login shell, and root)."""


# --- users ----------------------------------------------------------------------------------


class InteractiveUser(_Struct):
    """A person who uses this PC interactively (not a service account)."""

    name: str
    """The account as the OS names it ("DOMAIN\\nam", "nam")."""
    signed_in: bool = False
    """Signed in when the report was collected."""
    last_use: datetime | None = None
    """The last time the account used the PC (Windows: its profile's last use; Linux: wtmp)."""
    source: str = ""
    """Where it was read ("profile", "session", "wtmp")."""


class Users(Section):
    users: list[InteractiveUser] = []


# --- the report -----------------------------------------------------------------------------


class Report(_Struct, kw_only=True):
    schema_version: int = SCHEMA_VERSION
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
    unchanged: dict[str, str] = {}
    """Schema 2: shared sections left out (null) because they are unchanged: name -> SHA-256 of the
    section's JSON as sent before (agent/wire/sections.py). The collector fills them in."""
    settings_version: int | None = None
    """Schema 2: the version of the centre's agent settings this report was collected with (None:
    none received yet)."""


class _VersionOnly(msgspec.Struct):
    schema_version: int


class SchemaVersionError(ValueError):
    """The report's schema version is not one this collector accepts."""

    def __init__(self, version: object) -> None:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_SCHEMA_VERSIONS))
        super().__init__(f"schema_version {version!r} is not accepted (accepted: {accepted})")
        self.version = version


def decode_report(body: bytes) -> Report:
    """Decode a report strictly: raises msgspec.DecodeError/ValidationError or SchemaVersionError."""
    version = msgspec.json.decode(body, type=_VersionOnly).schema_version
    if version not in ACCEPTED_SCHEMA_VERSIONS:
        raise SchemaVersionError(version)
    report = msgspec.json.decode(body, type=Report, strict=True)
    if version < SCHEMA_VERSION and (report.unchanged or report.settings_version is not None):
        raise msgspec.ValidationError(f"unchanged and settings_version are fields of schema {SCHEMA_VERSION}, "
                                      f"not of schema {version}")
    return report


def encode_report(report: Report) -> bytes:
    return msgspec.json.encode(report)


# --- enrollment -----------------------------------------------------------------------------


class EnrollRequest(_Struct):
    token: str
    machine_uid: str
    hostname: str
    role: Role = Role.NORMAL
    macs: list[str] = []
    serial: str = ""
    os_name: str = ""
    schema_version: int = PREVIOUS_SCHEMA_VERSION
    """The report schema the agent writes: from 2 the answer may carry the centre's settings."""


class EnrollResponse(_Struct, omit_defaults=True):
    agent_id: str
    key: str
    """The agent's secret key (hex), shown once; it signs every report."""
    unit_code: str
    machine_id: int
    settings: SignedSettings | None = None
    """The centre's settings for this machine (agents of schema 2 only; absent otherwise, so that an
    older agent, which refuses unknown fields, reads the answer as before)."""


class ReportAck(_Struct, omit_defaults=True):
    agent_id: str
    sequence: int
    status: str  # "stored" or "duplicate"
    settings: SignedSettings | None = None
    """Schema 2: the centre's settings, when the report ran with another version (absent otherwise)."""
