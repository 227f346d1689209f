"""Software probe: installed programs with version, publisher and install date.

Windows: the uninstall registry keys, 64-bit, 32-bit (WOW6432Node) and every loaded user hive's
(``HKEY_USERS\\<SID>``: the agent runs as LocalSystem, whose HKCU is not the user's), without
system components and updates (``SystemComponent = 1`` or a ``ParentKeyName``), as "Apps &
features" shows them; one PowerShell script with one part (:data:`WINDOWS_PARTS`).
Linux: dpkg (Debian, Ubuntu) or rpm (Fedora, RHEL, SUSE).
The collector compares them with the licence register and the offline PC's forbidden list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from agent import windows
from agent.probes.context import CommandError, ProbeContext, attempt
from agent.wire.schema import ProbeError, Program, Software

UNINSTALL_KEYS = (
    "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*",
    "HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*",
    "Registry::HKEY_USERS\\*\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*",
)
DPKG_FORMAT = "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Maintainer}\\n"
RPM_FORMAT = "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{INSTALLTIME}\\n"


def parse_dpkg(text: str) -> list[Program]:
    """``dpkg-query -W`` rows in DPKG_FORMAT; only installed packages (status ``ii``)."""
    programs = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[0].strip() == "ii":
            programs.append(Program(name=fields[1], version=fields[2], publisher=fields[3]))
    return programs


def parse_rpm(text: str) -> list[Program]:
    """``rpm -qa`` rows in RPM_FORMAT (INSTALLTIME is Unix seconds; ``(none)`` when unset)."""
    programs = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[0] != "gpg-pubkey":
            when = datetime.fromtimestamp(int(fields[3]), UTC).date() if fields[3].isdigit() else None
            vendor = "" if fields[2] == "(none)" else fields[2]
            programs.append(Program(name=fields[0], version=fields[1], publisher=vendor, installed_on=when))
    return programs


def parse_install_date(value: Any) -> date | None:
    """The uninstall key's InstallDate, ``YYYYMMDD`` by convention; None when absent or not a
    date (installers write anything there)."""
    text = windows.as_text(value)
    try:
        return datetime.strptime(text, "%Y%m%d").date() if len(text) == 8 else None
    except ValueError:
        return None


def parse_uninstall_entries(items: list[dict[str, Any]]) -> list[Program]:
    """Programs from uninstall-key rows, deduplicated on (name, version), sorted by name."""
    seen: dict[tuple[str, str], Program] = {}
    for item in items:
        name = windows.as_text(item.get("DisplayName"))
        if not name or windows.as_int(item.get("SystemComponent") or None) == 1 or item.get("ParentKeyName"):
            continue
        version = windows.as_text(item.get("DisplayVersion"))
        seen.setdefault((name, version), Program(name=name, version=version,
                                                  publisher=windows.as_text(item.get("Publisher")),
                                                  installed_on=parse_install_date(item.get("InstallDate"))))
    return sorted(seen.values(), key=lambda program: program.name.lower())


# SilentlyContinue: a key path that does not exist (no WOW6432Node on 32-bit Windows, a user
# hive without uninstall entries) is an error for Get-ItemProperty, not an empty result.
WINDOWS_PARTS = {
    "programs": windows.json_rows(
        "Get-ItemProperty -Path @(" + ", ".join(f"'{key}'" for key in UNINSTALL_KEYS) + ") "
        "-ErrorAction SilentlyContinue | Select-Object DisplayName, DisplayVersion, Publisher, InstallDate, "
        "SystemComponent, ParentKeyName, PSPath"
    ),
}


def parse_windows_software(text: str) -> Software:
    """The Windows script's output as the section; a failed part is an error, not no programs."""
    found = Software()
    found.programs = windows.read_part(windows.parse_parts(text), "programs", found.errors,
                                       lambda v: parse_uninstall_entries(windows.rows(v)), [])
    return found


def read_linux_programs(ctx: ProbeContext) -> list[Program]:
    """dpkg when present, else rpm; [] when neither is installed."""
    for argv, parse in ((["dpkg-query", "-W", "-f", DPKG_FORMAT], parse_dpkg),
                        (["rpm", "-qa", "--qf", RPM_FORMAT], parse_rpm)):
        try:
            done = ctx.run(argv, 60.0, None)
        except CommandError:
            continue
        if done.returncode != 0:
            raise OSError(f"{argv[0]} exited {done.returncode}: {done.stderr.strip()[:200]}")
        return parse(done.stdout)
    return []


def collect(ctx: ProbeContext) -> Software:
    errors: list[ProbeError] = []
    if ctx.system == "Windows":
        script = windows.parts_script(WINDOWS_PARTS)
        text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
        if text is None:
            return Software(errors=errors)
        return attempt(errors, "powershell", lambda: parse_windows_software(text), Software(errors=errors))
    if ctx.system == "Linux":
        programs = attempt(errors, "packages", lambda: read_linux_programs(ctx), [])
    else:
        programs = []
    return Software(errors=errors, programs=programs)
