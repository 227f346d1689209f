"""Users probe: the people who use this PC interactively (who is signed in, and when each
account last used it), so the collector can tell whose computer it is.

Windows (one PowerShell script, each part on its own): the console user
(``Win32_ComputerSystem.UserName``), the last user LogonUI shows (``LastLoggedOnSAMUser`` under
``HKLM\\...\\Authentication\\LogonUI``) and the user profiles (``Win32_UserProfile``: ``LastUseTime``,
the account resolved from its SID); only people's accounts count: local and domain accounts
(``S-1-5-21-``) and Microsoft Entra ID ones (``S-1-12-1-``), not the service profiles.
Linux: the logins of wtmp (newest per account, as ``last`` reads them) and the sessions of utmp
(signed in now), the same binary records agent.probes.hardening_linux reads.
Sources: tests/fixtures/windows/README.md, shared/reference/endpoint-formats.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import windows
from agent.probes import hardening_linux
from agent.probes.context import ProbeContext, attempt
from agent.wire.schema import InteractiveUser, ProbeError, Users

SESSION, PROFILE, LAST_LOGON, WTMP_SOURCE, UTMP_SOURCE = "session", "profile", "last_logon", "wtmp", "utmp"
PERSON_SID_PREFIXES = ("S-1-5-21-", "S-1-12-1-")  # local/AD accounts, Entra ID accounts
UTMP = Path("/run/utmp")
LOGONUI = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\LogonUI"
WINDOWS_PARTS = {
    "session": "Get-CimInstance Win32_ComputerSystem | Select-Object UserName",
    "last_logon": f"Get-ItemProperty '{LOGONUI}' -ErrorAction SilentlyContinue | "
    "Select-Object LastLoggedOnUser, LastLoggedOnSAMUser",
    # Translate() asks the domain for a domain SID: a PC away from its domain controller (or an
    # Entra ID account) keeps Name null and the profile folder names the account instead.
    "profiles": windows.json_rows(
        "Get-CimInstance Win32_UserProfile -Filter 'Special=False' | ForEach-Object { [pscustomobject]@{ "
        "Sid=$_.SID; LocalPath=$_.LocalPath; Loaded=$_.Loaded; "
        "LastUseTime=$(if ($_.LastUseTime) { $_.LastUseTime.ToUniversalTime().ToString('o') }); "
        "Name=$(try { ([Security.Principal.SecurityIdentifier]$_.SID).Translate("
        "[Security.Principal.NTAccount]).Value } catch { $null }) } }"
    ),
}


# --- Windows ------------------------------------------------------------------------------------


def account_key(name: str) -> str:
    """The name compared across sources: lower case, without the ``.\\`` LogonUI puts before a
    local account (``.\\teclib``)."""
    text = name.strip()
    return (text[2:] if text.startswith(".\\") else text).lower()


def parse_profiles(items: list[dict[str, Any]]) -> list[InteractiveUser]:
    """People's profiles: the account (or the profile folder's name) and its last use."""
    found = []
    for item in items:
        if not windows.as_text(item.get("Sid")).upper().startswith(PERSON_SID_PREFIXES):
            continue
        folder = windows.as_text(item.get("LocalPath")).rstrip("\\").rsplit("\\", 1)[-1]
        name = windows.as_text(item.get("Name")) or folder
        if name:
            found.append(InteractiveUser(name=name, last_use=windows.parse_ps_date(item.get("LastUseTime")),
                                         source=PROFILE))
    return found


def merge_users(profiles: list[InteractiveUser], session: str, last_logon: str) -> list[InteractiveUser]:
    """The profiles, the console user marked signed in (added when it has no profile row), and
    LogonUI's last user added when nothing else names it; one entry per account."""
    users = list(profiles)
    if session:
        match = next((user for user in users if account_key(user.name) == account_key(session)), None)
        if match is None:
            users.append(InteractiveUser(name=session, signed_in=True, source=SESSION))
        else:
            match.signed_in = True
    if last_logon and all(account_key(user.name) != account_key(last_logon) for user in users):
        users.append(InteractiveUser(name=last_logon.removeprefix(".\\"), source=LAST_LOGON))
    return users


def parse_windows_users(text: str) -> Users:
    """The section from the script's output; a failed part is recorded and the others count."""
    parts = windows.parse_parts(text)
    errors: list[ProbeError] = []
    session = windows.read_part(parts, "session", errors, lambda v: _text_of(v, "UserName"), "")
    last = windows.read_part(parts, "last_logon", errors,
                             lambda v: _text_of(v, "LastLoggedOnSAMUser") or _text_of(v, "LastLoggedOnUser"), "")
    profiles = windows.read_part(parts, "profiles", errors, lambda v: parse_profiles(windows.rows(v)), [])
    return Users(errors=errors, users=merge_users(profiles, session, last))


def _text_of(value: Any, name: str) -> str:
    rows = windows.rows(value)
    return windows.as_text(rows[0].get(name)) if rows else ""


# --- Linux --------------------------------------------------------------------------------------


def parse_utmp_sessions(data: bytes) -> set[str]:
    """Accounts with a session in a utmp file (its USER_PROCESS records)."""
    return set(hardening_linux.parse_wtmp(data))


def linux_users(logins: dict[str, datetime], sessions: set[str]) -> list[InteractiveUser]:
    """One user per account seen in wtmp or utmp, newest login first."""
    names = sorted(set(logins) | sessions, key=lambda name: logins.get(name, datetime.min.replace(tzinfo=UTC)),
                   reverse=True)
    return [InteractiveUser(name=name, signed_in=name in sessions, last_use=logins.get(name),
                            source=WTMP_SOURCE if name in logins else UTMP_SOURCE) for name in names]


def collect_linux() -> Users:
    errors: list[ProbeError] = []
    logins = attempt(errors, "wtmp", lambda: hardening_linux.parse_wtmp(hardening_linux.read_wtmp_tail(
        hardening_linux.WTMP)), {})
    sessions = attempt(errors, "utmp", lambda: parse_utmp_sessions(hardening_linux.read_wtmp_tail(UTMP)), set())
    return Users(errors=errors, users=linux_users(logins, sessions))


# --- collect ------------------------------------------------------------------------------------


def collect(ctx: ProbeContext) -> Users:
    """Never raises; elsewhere than Windows and Linux an empty section."""
    if ctx.system == "Windows":
        errors: list[ProbeError] = []
        script = windows.parts_script(WINDOWS_PARTS)
        text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
        if text is None:
            return Users(errors=errors)
        return attempt(errors, "users", lambda: parse_windows_users(text), Users(errors=errors))
    if ctx.system == "Linux":
        return collect_linux()
    return Users()
