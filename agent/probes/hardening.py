"""Hardening probe: host firewall per profile, last OS update, screen lock, autorun, SMBv1,
disk encryption and local accounts.

Windows (one PowerShell script, each part on its own): ``Get-NetFirewallProfile``, the newest
``Get-HotFix`` InstalledOn, the machine inactivity limit (``InactivityTimeoutSecs`` policy),
the Explorer autorun policy (``NoDriveTypeAutoRun`` / ``NoAutorun``),
``Get-SmbServerConfiguration``, BitLocker on the system drive, ``Get-LocalUser`` and the
members of the Administrators group (S-1-5-32-544).

Linux: agent.probes.hardening_linux.
"""

from __future__ import annotations

from typing import Any

from agent import windows
from agent.probes import hardening_linux
from agent.probes.context import ProbeContext, attempt
from agent.wire.schema import Hardening, LocalAccount, ProbeError

ALL_DRIVE_TYPES = 0xFF  # NoDriveTypeAutoRun bit mask: 0xFF turns autorun off on every drive type
BITLOCKER_ON = {1, "On"}  # ProtectionStatus: 5.1 writes the enum as its number, 7 as its name
# MSFT_NetFirewallProfile.Enabled is a GpoBoolean (False 0, True 1, NotConfigured 2), written as its
# number by ConvertTo-Json (recorded: tests/fixtures/windows/hardening.json) and as its
# name by Format-List; NotConfigured is neither on nor off.
GPO_BOOLEAN = {0: False, 1: True, "false": False, "true": True}

EXPLORER_POLICY = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer"
SYSTEM_POLICY = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System"
WINDOWS_PARTS = {
    # ActiveStore is the policy in force (local settings merged with Group Policy); the default
    # PersistentStore may say NotConfigured where a GPO decides.
    "firewall": windows.json_rows("Get-NetFirewallProfile -PolicyStore ActiveStore | Select-Object Name, Enabled"),
    "hotfix": "(Get-HotFix | Where-Object InstalledOn | Sort-Object InstalledOn | Select-Object -Last 1)"
    ".InstalledOn.ToUniversalTime().ToString('o')",
    "inactivity": f"(Get-ItemProperty '{SYSTEM_POLICY}' -ErrorAction SilentlyContinue).InactivityTimeoutSecs",
    "autorun": f"Get-ItemProperty '{EXPLORER_POLICY}' -ErrorAction SilentlyContinue | "
    "Select-Object NoDriveTypeAutoRun, NoAutorun",
    "smb": "Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol",
    "bitlocker": "Get-BitLockerVolume -MountPoint $env:SystemDrive | Select-Object ProtectionStatus",
    "users": windows.json_rows("Get-LocalUser | Select-Object Name, Enabled, "
                               "@{n='LastLogon';e={if ($_.LastLogon) {$_.LastLogon.ToUniversalTime().ToString('o')}}}"),
    "admins": windows.json_rows("Get-LocalGroupMember -SID S-1-5-32-544 | Select-Object Name"),
}


# --- Windows parser -----------------------------------------------------------------------------


def parse_windows_hardening(text: str) -> Hardening:
    parts = windows.parse_parts(text)
    found = Hardening()
    readers = {
        "firewall": lambda v: setattr(found, "firewall_enabled", firewall_profiles(windows.rows(v), found.errors)),
        "hotfix": lambda v: setattr(found, "last_os_update", windows.parse_ps_date(v)),
        "inactivity": lambda v: setattr(found, "screen_lock_timeout_s", windows.as_int(v)),
        "autorun": lambda v: setattr(found, "autorun_disabled", autorun_disabled(v)),
        "smb": lambda v: setattr(found, "smb1_enabled", _first(v).get("EnableSMB1Protocol")),
        "bitlocker": lambda v: setattr(found, "disk_encrypted", _first(v).get("ProtectionStatus") in BITLOCKER_ON),
        "users": lambda v: setattr(found, "local_accounts", windows_accounts(windows.rows(v),
                                                                            windows.rows(parts.get("admins")))),
    }
    for name, read in readers.items():
        failed = windows.part_error(parts.get(name))
        if failed:
            found.errors.append(ProbeError(what=name, reason=failed))
        else:
            attempt(found.errors, name, lambda read=read, name=name: read(parts.get(name)), None)
    return found


def parse_gpo_boolean(value: Any) -> bool | None:
    """A GpoBoolean as number, name or JSON boolean; None for NotConfigured (2) and anything else."""
    if isinstance(value, bool):
        return value
    return GPO_BOOLEAN.get(value.strip().lower() if isinstance(value, str) else value)


def firewall_profiles(items: list[dict[str, Any]], errors: list[ProbeError]) -> dict[str, bool]:
    """Profile name (lower case) -> on; a profile whose state is not on/off is left out and
    recorded, so it is never counted as on."""
    profiles = {}
    for item in items:
        name, state = windows.as_text(item.get("Name")).lower(), parse_gpo_boolean(item.get("Enabled"))
        if state is None:
            errors.append(ProbeError(what=f"firewall {name}", reason=f"Enabled is {item.get('Enabled')!r}"))
        else:
            profiles[name] = state
    return profiles


def autorun_disabled(value: Any) -> bool | None:
    """True when policy turns autorun off for all drives (NoDriveTypeAutoRun 0xFF or NoAutorun
    1); False when the policy is set otherwise; None when no policy is set (Windows' default
    then still autoplays some media)."""
    row = _first(value)
    mask, off = windows.as_int(row.get("NoDriveTypeAutoRun")), windows.as_int(row.get("NoAutorun"))
    if mask is None and off is None:
        return None
    return off == 1 or (mask is not None and mask & ALL_DRIVE_TYPES == ALL_DRIVE_TYPES)


def windows_accounts(users: list[dict[str, Any]], admins: list[dict[str, Any]]) -> list[LocalAccount]:
    """Local users; admin when listed in Administrators (names there are ``PC\\user``)."""
    admin_names = {windows.as_text(a.get("Name")).split("\\")[-1].lower() for a in admins}
    return [LocalAccount(name=windows.as_text(u.get("Name")), enabled=u.get("Enabled"),
                         admin=windows.as_text(u.get("Name")).lower() in admin_names,
                         last_logon=windows.parse_ps_date(u.get("LastLogon"))) for u in users]


def _first(value: Any) -> dict[str, Any]:
    rows = windows.rows(value)
    return rows[0] if rows else {}


# --- collect ------------------------------------------------------------------------------------


def collect(ctx: ProbeContext) -> Hardening:
    """Never raises; what could not be read is in ``errors`` and its field stays None/empty."""
    if ctx.system == "Windows":
        errors: list[ProbeError] = []
        script = windows.parts_script(WINDOWS_PARTS)
        text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
        if text is None:
            return Hardening(errors=errors)
        return attempt(errors, "hardening", lambda: parse_windows_hardening(text), Hardening(errors=errors))
    if ctx.system != "Linux":
        return Hardening()
    return hardening_linux.collect_linux(ctx)
