"""Facts: the compact, flat view of a subject that rules read (``{"av.any_enabled": True, ...}``).

One pure function per subject kind builds them: :func:`machine_facts` from a decoded report plus
what the collector knows about the machine (passed as plain values in :class:`MachineContext`),
:func:`unit_facts` from a unit's aggregates. ``None`` always means "not known" (the section was
not reported, the probe failed, or the feature that feeds it does not exist yet); rules that need
an unknown fact judge ``unknown``, never pass or fail. :data:`CATALOGUE` documents every fact;
``rules/FACTS.md`` is rendered from it (a test keeps them equal).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from agent.wire.schema import (
    Antivirus,
    Certificates,
    Hardening,
    LocalAccount,
    Network,
    ReachKind,
    Report,
    Software,
)
from rules.activation import activation_facts
from rules.antivirus_licence import (
    AvLicenceVerdict,
    active_detections,
    days_left,
    detection_items,
    judge_av_licence,
    protecting,
)
from rules.certificates import has_signing_certificate, signing_state
from rules.licences import LicenceCover


@dataclass(frozen=True)
class Fact:
    name: str
    type: str
    scope: str
    meaning: str


def _m(name: str, type_: str, meaning: str) -> Fact:
    return Fact(name, type_, "machine", meaning)


def _u(name: str, type_: str, meaning: str) -> Fact:
    return Fact(name, type_, "unit", meaning)


CATALOGUE: tuple[Fact, ...] = (
    _m("role", "string", '"normal", or "offline" for the PC that drafts secret documents'),
    _m("report.via_network", "bool", "the report arrived over the network (HTTP), not imported from removable media"),
    _m("os.name", "string", 'OS name and version as reported ("Windows 10", "Debian GNU/Linux 12")'),
    _m("os.activated", "bool", "the OS licence is activated; a volume (GVLK) activation only by a KMS host the "
       "unit's list accepts (indicator os_activated, parameter kms_hosts; empty = any)"),
    _m("os.licence_channel", "string", "Retail, OEM:DM, Volume:MAK, Volume:GVLK ... as Windows names it"),
    _m("os.kms_host", "string", "the KMS host of a volume (GVLK) activation (\"\" when none was read)"),
    _m("os.kms_accepted", "bool", "the KMS host is one the unit's list accepts (null: not a KMS activation, "
       "or its host was not read)"),
    _m("os.update_age_days", "int", "days since the newest OS update was installed"),
    _m("av.installed", "bool", "at least one antivirus product was found"),
    _m("av.any_enabled", "bool", "at least one antivirus product is enabled (false when none is installed)"),
    _m("av.realtime_on", "bool", "an enabled product has real-time protection on (false when none is enabled)"),
    _m("av.signature_age_days", "int", "age in days of the freshest signatures of an enabled product"),
    _m("av.detections", "int", "malware detections listed in the report (recent ones, as the product keeps them)"),
    _m("av.active_detections", "int", "detections the product did not contain (not cleaned, quarantined, removed "
       "or blocked)"),
    _m("av.detection_list", "list[string]", "each detection: threat, path, time, action (an alert's evidence)"),
    _m("av.licensed", "bool", "the product enabled with real-time protection is licensed: a built-in free one "
       "as itself, any other by a current register entry within its seats or by the vendor's licence state"),
    _m("av.licence_product", "string", "the protecting product whose licence was judged"),
    _m("av.licence_days_left", "int", "days until the licence that counts ends (null: free, unknown end, or none)"),
    _m("av.protecting", "list[string]", "products enabled with real-time protection"),
    _m("av.disabled_products", "list[string]", "installed products that are not enabled"),
    _m("av.products", "list[string]", "names of the antivirus products found"),
    _m("backup.configured", "bool", "at least one backup source is configured"),
    _m("backup.age_days", "int", "days since the newest successful backup of any source (null: none succeeded)"),
    _m("hw.age_years", "int", "whole years since the BIOS release date (a proxy for the machine's age)"),
    _m("hw.ram_mib", "int", "installed RAM in MiB"),
    _m("hw.disk_gb", "int", "total size of the machine's disks in GB (10^9 bytes)"),
    _m("net.connected", "bool", "a non-loopback interface is up (with a carrier when known) and has an address"),
    _m("net.default_route", "bool", "the machine has a default gateway"),
    _m("net.dhcp", "bool", "an interface got its address from DHCP"),
    _m("net.gateway_reachable", "bool", "the LAN gateway answered (null when not probed)"),
    _m("net.internet_reachable", "bool", "an Internet target answered (null when not probed)"),
    _m("net.dedicated_line_reachable", "bool", "a dedicated data line target answered (null when not probed)"),
    _m("net.wireless_present", "bool", "a wireless adapter is present"),
    _m("net.wireless_enabled", "bool", "a wireless adapter is up"),
    _m("net.wifi_profiles", "int", "saved Wi-Fi profiles"),
    _m("net.profiles", "int", "network profiles/history entries of any kind (past connections)"),
    _m("net.new_profiles", "int", "profiles connected after the previous report (0 on the first report)"),
    _m("evidence.network_since_last_report", "bool",
       "any sign of a network connection: connected, default route, DHCP, a new profile, a target answered"),
    _m("evidence.beyond_lan_since_last_report", "bool",
       "a sign of a connection beyond an isolated LAN: Internet or dedicated line answered, a new non-wired profile"),
    _m("lan.mac_seen", "bool", "a LAN sweep (or the passive listener) saw this machine's MAC after its last report "
       "(null: no LAN ever swept, or judged at ingest)"),
    _m("agent.silent_hours", "int", "hours since the collector last received a report from this machine"),
    _m("agent.rejected_reports", "int", "reports of this machine's agents refused in the last 24 h: bad signature, "
       "timestamp out of window, or a replay with other content (null at ingest; the scan counts)"),
    _m("agent.reenrolled", "bool", "the machine's current agent replaced an earlier one: it enrolled again with a "
       "new key (null at ingest; enrollment and the scan judge it)"),
    _m("agent.key_age_hours", "int", "hours since the machine's current agent (its key) was enrolled "
       "(null at ingest; enrollment and the scan judge it)"),
    _m("agent.reports_held", "int", "reports the agent set aside in its spool, as its newest report says: refused "
       "by the collector or failing repeatedly, kept and tried again less often"),
    _m("fw.enabled", "bool", "the host firewall is on for every profile"),
    _m("screen_lock.timeout_s", "int", "seconds of idle before the screen locks; 0 means no screen lock"),
    _m("autorun.disabled", "bool", "autorun/autoplay is off for removable media"),
    _m("smb1.enabled", "bool", "the SMBv1 protocol is enabled"),
    _m("accounts.enabled_admins", "int", "enabled local administrator accounts"),
    _m("cert.signing_days_left", "int", "days the longest-valid digital-signature certificate of an accepted "
       "issuer still has (null: none valid, or key usage not read)"),
    _m("cert.signing", "bool", "holds a digital-signature certificate of an accepted issuer valid for at least "
       "the indicator's min_days_left (30) more days"),
    _m("machine.agentless", "bool", "declared by an officer from a LAN device: no agent reports from it"),
    _m("software.count", "int", "installed programs"),
    _m("software.remote_access", "list[string]", "installed remote-access programs (TeamViewer, UltraViewer, ...)"),
    _m("software.cloud_sync", "list[string]", "installed cloud-sync programs (OneDrive, Google Drive, ...)"),
    _m("software.chat", "list[string]", "installed chat, messaging and AI-chat programs (Zalo, Telegram, ...)"),
    _u("unit.kind", "string", '"province", "district", "commune" or "office"'),
    _u("unit.machines", "int", "machines in the unit's subtree"),
    _u("unit.offline_pcs", "int", "machines with the offline role in the unit's subtree"),
    _u("unit.dedicated_line_reachable", "bool",
       "a machine of the subtree reached the dedicated data line in its latest report (null: none probed it)"),
    _u("unit.unknown_devices", "int", "devices on the unit's own LANs (swept or heard) with no enrolled machine and "
       "not declared known (null: no LAN ever swept)"),
    _u("unit.devices_without_agent", "int", "devices on the unit's own LANs with no enrolled machine, declared known "
       "or not (printers, phones, PCs without the agent; null: no LAN ever swept)"),
    _u("licence.seats_exceeded", "list[string]", "licences of the unit whose installs in the subtree exceed the seats"),
    _u("licence.expired", "list[string]", "licences registered for the unit that have expired"),
    _u("licence.next_expiry_days", "int", "days until the first of the unit's own valid licences ends (null: none)"),
    _u("licence.next_expiring", "string", "the product of that licence"),
    _u("readiness.below_target", "list[string]", "readiness indicators of the unit below their target"),
    _u("readiness.failing", "list[string]", "each indicator below target with its figure and the members failing it"),
)

FACT_NAMES = frozenset(fact.name for fact in CATALOGUE)


SOFTWARE_CLASSES: Mapping[str, tuple[str, ...]] = {
    "remote_access": ("teamviewer", "ultraviewer", "anydesk", "rustdesk", "chrome remote desktop", "vnc",
                      "splashtop", "radmin", "ammyy", "supremo", "dwservice"),
    "cloud_sync": ("onedrive", "google drive", "drive for desktop", "dropbox", "icloud", "megasync", "box drive",
                   "nextcloud", "owncloud", "pcloud"),
    "chat": ("zalo", "telegram", "skype", "viber", "messenger", "whatsapp", "discord", "slack", "signal",
             "chatgpt", "claude", "copilot", "gemini", "microsoft teams", "zoom"),
}
"""Lower-case name fragments of programs that must not be on the offline PC (Law 117/2025 Art. 5)."""


@dataclass(frozen=True)
class MachineContext:
    """What the collector knows about a machine beyond its report (plain values; None = not known)."""

    via_network: bool | None = None
    previous_collected_at: datetime | None = None
    last_seen_at: datetime | None = None
    licences: Sequence[LicenceCover] = ()
    """Register entries covering the machine's unit, with its rank among their installs."""
    mac_seen_on_lan: bool | None = None
    rejected_reports: int | None = None
    reenrolled: bool | None = None
    key_enrolled_at: datetime | None = None
    kms_hosts: Sequence[str] = ()
    """KMS hosts the unit accepts for a volume activation (empty: any)."""
    cert_issuers: Sequence[str] = ()
    """Issuers of digital-signature certificates the unit accepts (empty: any)."""
    cert_min_days: int = 30


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive shell-style match (``*kaspersky*``) of a product name against patterns."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


def machine_facts(report: Report, meta: MachineContext, now: datetime) -> dict[str, Any]:
    """The facts of one machine at ``now``: every name in the machine part of CATALOGUE is present."""
    identity = report.identity
    facts: dict[str, Any] = {
        "role": str(report.role),
        "report.via_network": meta.via_network,
        "os.name": " ".join(filter(None, (identity.os_name, identity.os_version))) or None,
        "lan.mac_seen": meta.mac_seen_on_lan,
        "agent.silent_hours": _hours(now, meta.last_seen_at),
        "agent.rejected_reports": meta.rejected_reports,
        "agent.reenrolled": meta.reenrolled,
        "agent.key_age_hours": _hours(now, meta.key_enrolled_at),
        "agent.reports_held": identity.held_reports,
        "machine.agentless": False,
    }
    facts.update(activation_facts(report.licence, meta.kms_hosts))
    facts.update(_antivirus(report.antivirus, now))
    facts.update(_av_licence(report, meta, now))
    facts.update(_certificates(report.certificates, meta, now))
    facts.update(_backup(report, now))
    facts.update(_hardware(report, now))
    facts.update(_network(report.network, meta.previous_collected_at))
    facts.update(_hardening(report.hardening, now))
    facts.update(_software(report.software))
    return facts


def _days(now: datetime, then: datetime | date | None) -> int | None:
    if then is None:
        return None
    if not isinstance(then, datetime):
        return (now.date() - then).days
    return max(0, int((now - then).total_seconds() // 86400))


def _hours(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, int((now - then).total_seconds() // 3600))


_AV_FACTS = ("av.installed", "av.any_enabled", "av.realtime_on", "av.signature_age_days", "av.detections",
             "av.active_detections", "av.detection_list", "av.protecting", "av.disabled_products", "av.products")


def _antivirus(section: Antivirus | None, now: datetime) -> dict[str, Any]:
    if section is None:
        return dict.fromkeys(_AV_FACTS)
    products = section.products
    enabled = [p for p in products if p.enabled]
    unknown_enabled = any(p.enabled is None for p in products)
    realtime = [p.realtime_on for p in enabled]
    ages = [age for p in enabled if (age := _signature_age(p.signatures_age_days, p.signatures_date, now)) is not None]
    return {
        "av.installed": bool(products),
        "av.any_enabled": True if enabled else (None if unknown_enabled else False),
        "av.realtime_on": True if any(realtime) else (None if None in realtime or unknown_enabled else False),
        "av.signature_age_days": min(ages) if ages else None,
        "av.detections": len(section.detections),
        "av.active_detections": active_detections(section),
        "av.detection_list": detection_items(section),
        "av.protecting": [p.name for p in protecting(products)[0]],
        "av.disabled_products": [p.name for p in products if p.enabled is False],
        "av.products": [p.name for p in products],
    }


def av_licence_verdict(report: Report, meta: MachineContext, now: datetime) -> AvLicenceVerdict:
    return judge_av_licence(report.antivirus, report.licence, meta.licences, now.date())


def _av_licence(report: Report, meta: MachineContext, now: datetime) -> dict[str, Any]:
    verdict = av_licence_verdict(report, meta, now)
    return {"av.licensed": verdict.licensed, "av.licence_product": verdict.product or None,
            "av.licence_days_left": days_left(verdict, now.date())}


def _certificates(section: Certificates | None, meta: MachineContext, now: datetime) -> dict[str, Any]:
    state = signing_state(section, meta.cert_issuers, now)
    return {"cert.signing_days_left": state.days_left,
            "cert.signing": has_signing_certificate(state, meta.cert_min_days)}


def agentless_facts(os_name: str, role: str, mac_seen_on_lan: bool | None) -> dict[str, Any]:
    """The facts of a machine an officer declared from a LAN device: its OS and role, whether the
    LAN saw it, and nothing else (every other fact unknown: rules needing them judge unknown)."""
    facts: dict[str, Any] = dict.fromkeys(f.name for f in CATALOGUE if f.scope == "machine")
    facts.update({"role": role, "os.name": os_name or None, "lan.mac_seen": mac_seen_on_lan,
                  "machine.agentless": True})
    return facts


def _signature_age(age_days: float | None, signed: datetime | None, now: datetime) -> int | None:
    if signed is not None:
        return _days(now, signed)
    return None if age_days is None else int(age_days)


def _backup(report: Report, now: datetime) -> dict[str, Any]:
    if report.backup is None:
        return {"backup.configured": None, "backup.age_days": None}
    successes = [s.last_success for s in report.backup.sources if s.last_success is not None]
    return {"backup.configured": bool(report.backup.sources),
            "backup.age_days": _days(now, max(successes)) if successes else None}


def _hardware(report: Report, now: datetime) -> dict[str, Any]:
    hw = report.hardware
    if hw is None:
        return {"hw.age_years": None, "hw.ram_mib": None, "hw.disk_gb": None}
    sizes = [d.total_bytes for d in hw.disks if d.total_bytes]
    age = _days(now, hw.bios_release_date)
    return {"hw.age_years": None if age is None else age // 365,
            "hw.ram_mib": hw.ram_bytes // 2**20 if hw.ram_bytes else None,
            "hw.disk_gb": sum(sizes) // 10**9 if sizes else None}


_NETWORK_FACTS = ("net.connected", "net.default_route", "net.dhcp", "net.gateway_reachable", "net.internet_reachable",
                  "net.dedicated_line_reachable", "net.wireless_present", "net.wireless_enabled", "net.wifi_profiles",
                  "net.profiles", "net.new_profiles", "evidence.network_since_last_report",
                  "evidence.beyond_lan_since_last_report")


def _network(section: Network | None, previous: datetime | None) -> dict[str, Any]:
    if section is None:
        return dict.fromkeys(_NETWORK_FACTS)
    interfaces = section.interfaces
    wireless = [i for i in interfaces if i.wireless]
    new = [p for p in section.profiles if previous is not None and p.last_connected is not None
           and p.last_connected > previous]
    facts: dict[str, Any] = {
        "net.connected": any(i.is_up and i.carrier is not False and _routable(i.addresses) for i in interfaces),
        "net.default_route": section.default_gateway is not None,
        "net.dhcp": any(i.dhcp for i in interfaces),
        "net.gateway_reachable": _reached(section, ReachKind.GATEWAY),
        "net.internet_reachable": _reached(section, ReachKind.INTERNET),
        "net.dedicated_line_reachable": _reached(section, ReachKind.DEDICATED_LINE),
        "net.wireless_present": True if wireless else (None if any(i.wireless is None for i in interfaces) else False),
        "net.wireless_enabled": any(i.is_up for i in wireless),
        "net.wifi_profiles": sum(1 for p in section.profiles if p.kind == "wifi"),
        "net.profiles": len(section.profiles),
        "net.new_profiles": len(new),
    }
    reached = (facts["net.internet_reachable"], facts["net.dedicated_line_reachable"])
    facts["evidence.beyond_lan_since_last_report"] = any(reached) or any(p.kind != "wired" for p in new)
    signs = (facts["net.connected"], facts["net.default_route"], facts["net.dhcp"], facts["net.gateway_reachable"],
             bool(new), getattr(section, "evidence", None))
    facts["evidence.network_since_last_report"] = facts["evidence.beyond_lan_since_last_report"] or any(signs)
    return facts


def _routable(addresses: Sequence[str]) -> bool:
    """An address other than loopback or link-local (169.254/16, fe80::/10: no network handed it out)."""
    for raw in addresses:
        try:
            # ip_address for a bare address: the same as ip_interface's .ip, a quarter of its cost
            address = ipaddress.ip_interface(raw).ip if "/" in raw else ipaddress.ip_address(raw)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_link_local):
            return True
    return False


def _reached(section: Network, kind: ReachKind) -> bool | None:
    results = [r.reachable for r in section.reachability if r.kind == kind]
    return any(results) if results else None


def _hardening(section: Hardening | None, now: datetime) -> dict[str, Any]:
    if section is None:
        return dict.fromkeys(("os.update_age_days", "fw.enabled", "screen_lock.timeout_s", "autorun.disabled",
                              "smb1.enabled", "accounts.enabled_admins"))
    firewall = section.firewall_enabled
    return {"os.update_age_days": _days(now, section.last_os_update),
            "fw.enabled": all(firewall.values()) if firewall else None,
            "screen_lock.timeout_s": section.screen_lock_timeout_s,
            "autorun.disabled": section.autorun_disabled,
            "smb1.enabled": section.smb1_enabled,
            "accounts.enabled_admins": _enabled_admins(section.local_accounts)}


def _enabled_admins(accounts: list[LocalAccount]) -> int | None:
    """Enabled local administrator accounts; unknown when the probe listed no accounts at all."""
    if not accounts:
        return None
    return sum(1 for account in accounts if account.enabled and account.admin)


def _software(section: Software | None) -> dict[str, Any]:
    if section is None:
        return {"software.count": None, **{f"software.{name}": None for name in SOFTWARE_CLASSES}}
    found: dict[str, list[str]] = {kind: [] for kind in SOFTWARE_CLASSES}
    for program in section.programs:
        for kind in software_classes_of(program.name):
            found[kind].append(program.name)
    return {"software.count": len(section.programs), **{f"software.{kind}": names for kind, names in found.items()}}


@lru_cache(maxsize=65_536)
def software_classes_of(name: str) -> tuple[str, ...]:
    """The classes of SOFTWARE_CLASSES whose fragments the program ``name`` holds (any case).

    Kept per name (a pure function of it and of the constant classes): a fleet shares most of
    its program names, so a report's 150 names are looked up, not lowered and searched for the
    36 fragments again (11 against 65 µs for 150 names, 169 µs when some match); the bound keeps
    a fleet of many versioned names from growing it without end."""
    lowered = name.lower()
    return tuple(kind for kind, fragments in SOFTWARE_CLASSES.items() if any(f in lowered for f in fragments))


@dataclass(frozen=True)
class UnitAggregate:
    """What the scan gathers of one unit's subtree (plain values; None = not known)."""

    kind: str
    machines: int = 0
    offline_pcs: int = 0
    dedicated_line_reachable: bool | None = None
    unknown_devices: int | None = None
    devices_without_agent: int | None = None
    seats_exceeded: Sequence[str] = ()
    licences_expired: Sequence[str] = ()
    readiness_below_target: Sequence[str] | None = None
    licence_next_expiry_days: int | None = None
    licence_next_expiring: str = ""
    readiness_failing: Sequence[str] | None = None


def unit_facts(unit: UnitAggregate) -> dict[str, Any]:
    """The facts of one unit: every name in the unit part of CATALOGUE is present."""
    return {"unit.kind": unit.kind, "unit.machines": unit.machines, "unit.offline_pcs": unit.offline_pcs,
            "unit.dedicated_line_reachable": unit.dedicated_line_reachable,
            "unit.unknown_devices": unit.unknown_devices, "unit.devices_without_agent": unit.devices_without_agent,
            "licence.seats_exceeded": list(unit.seats_exceeded), "licence.expired": list(unit.licences_expired),
            "licence.next_expiry_days": unit.licence_next_expiry_days,
            "licence.next_expiring": unit.licence_next_expiring or None,
            "readiness.below_target": None if unit.readiness_below_target is None
            else list(unit.readiness_below_target),
            "readiness.failing": None if unit.readiness_failing is None else list(unit.readiness_failing)}


def facts_markdown() -> str:
    """rules/FACTS.md: one row per fact."""
    lines = ["# Facts that rules read", "",
             "Generated from `rules.facts.CATALOGUE` (a test keeps this file equal to it). `null` means",
             "not known: a rule that needs it judges *unknown*, never pass or fail.", "",
             "| fact | type | scope | meaning |", "|---|---|---|---|"]
    lines += [f"| `{f.name}` | {f.type} | {f.scope} | {f.meaning} |" for f in CATALOGUE]
    return "\n".join(lines) + "\n"
