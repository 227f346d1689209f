"""Identity probe: hostname, stable machine id, OS name/version/build, boot time, agent version.

The agent id, unit code, sequence number and collected_at come from the agent's state and
clock and are filled in by agent/report.py, not here.
"""

from __future__ import annotations

import platform
import re
import shlex
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import psutil

import agent
from agent.probes.context import ProbeContext, attempt, read_optional
from agent.wire.schema import Identity, ProbeError, normalise_mac

OS_RELEASE_PATHS = (Path("/etc/os-release"), Path("/usr/lib/os-release"))  # os-release(5) order
MACHINE_ID_PATHS = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
WINDOWS_11_FIRST_BUILD = 22000


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value pairs of an os-release file, shell quoting removed; {} for empty text.

    Lines that are not assignments or do not unquote are skipped (os-release(5): "a
    newline-separated list of environment-like shell-compatible variable assignments").
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, raw = line.strip().partition("=")
        if not sep or not re.fullmatch(r"[A-Z0-9_]+", key):
            continue
        try:
            parts = shlex.split(raw)
        except ValueError:
            continue
        values[key] = " ".join(parts)
    return values


def parse_machine_id(text: str) -> str:
    """The 32-hex-digit id of machine-id(5), lowercased; "" when empty or not an id (a file
    with "uninitialized" exists during first boot)."""
    value = text.strip().lower()
    return value if re.fullmatch(r"[0-9a-f]{32}", value) else ""


def mac_fingerprint(macs: Iterable[str]) -> str:
    """``mac-`` + sha256 of the sorted distinct MACs, preferring globally administered ones
    (bit 1 of the first octet clear), since bridges, VPNs and containers invent random local
    MACs that come and go; "" when there is no usable MAC."""
    usable = sorted({mac for mac in map(normalise_mac, macs) if mac})
    universal = [mac for mac in usable if not int(mac[:2], 16) & 0x02]
    chosen = universal or usable
    if not chosen:
        return ""
    import hashlib  # only without a machine id; loading OpenSSL costs ~3.5 MB of RSS

    return "mac-" + hashlib.sha256(",".join(chosen).encode()).hexdigest()


def windows_version(release: str, version: str) -> tuple[str, str]:
    """(version, build) from platform.release()/platform.version() on Windows.

    Python before 3.12 reports release "10" on Windows 11; the build number tells them apart
    (Windows 11 starts at build 22000).
    """
    build = version.split(".")[-1] if version else ""
    if release == "10" and build.isdigit() and int(build) >= WINDOWS_11_FIRST_BUILD:
        return "11", build
    return release, build


def collect(ctx: ProbeContext) -> Identity:
    """Everything about the machine's identity this agent can read; never raises."""
    errors: list[ProbeError] = []
    os_name, os_version, os_build = attempt(errors, "os", lambda: read_os(ctx), ("", "", ""))
    return Identity(
        errors=errors,
        hostname=attempt(errors, "hostname", socket.gethostname, ""),
        machine_uid=attempt(errors, "machine_uid", lambda: read_machine_uid(ctx), "")
        or attempt(errors, "machine_uid", read_mac_fingerprint, ""),
        os_name=os_name,
        os_version=os_version,
        os_build=os_build,
        boot_time=attempt(errors, "boot_time", read_boot_time, None),
        agent_version=agent.__version__,
        collected_at=ctx.now,
    )


def read_boot_time() -> datetime:
    return datetime.fromtimestamp(psutil.boot_time(), UTC)


def read_os(ctx: ProbeContext) -> tuple[str, str, str]:
    """(name, version, build): Linux from os-release with the kernel release as build;
    Windows with the real 10/11 split; elsewhere platform's own three values."""
    if ctx.system == "Windows":
        return ("Windows", *windows_version(platform.release(), platform.version()))
    if ctx.system != "Linux":
        return ctx.system, platform.release(), platform.version()
    release = next((parse_os_release(text) for text in _read_first(ctx, OS_RELEASE_PATHS)), {})
    name = release.get("NAME", "Linux")
    return name, release.get("VERSION_ID") or release.get("VERSION", ""), platform.release()


def read_machine_uid(ctx: ProbeContext) -> str:
    """machine-id (Linux) or MachineGuid (Windows); "" when the platform has none (the
    caller then falls back to :func:`read_mac_fingerprint`)."""
    if ctx.system == "Linux":
        return next(filter(None, map(parse_machine_id, _read_first(ctx, MACHINE_ID_PATHS))), "")
    if ctx.system == "Windows":
        return read_windows_machine_guid()
    return ""


def read_mac_fingerprint() -> str:
    """:func:`mac_fingerprint` of every link-layer address of this machine."""
    macs = [a.address for rows in psutil.net_if_addrs().values() for a in rows if a.family == psutil.AF_LINK]
    return mac_fingerprint(macs)


def read_windows_machine_guid() -> str:
    """HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid, read from the 64-bit view so a
    32-bit Python on 64-bit Windows does not land in WOW6432Node (which has no MachineGuid)."""
    import winreg  # Windows only

    access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
    path = r"SOFTWARE\Microsoft\Cryptography"
    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, path, 0, access) as key:  # type: ignore[attr-defined]
        value, _kind = winreg.QueryValueEx(key, "MachineGuid")  # type: ignore[attr-defined]
    return str(value).strip().lower()


def _read_first(ctx: ProbeContext, paths: Iterable[Path]) -> Iterable[str]:
    """The texts of those of ``paths`` that exist, lazily, in order."""
    for path in paths:
        text = read_optional(ctx, path)
        if text is not None:
            yield text

