"""Network history for the network probe: the networks this PC was ever connected to.

Windows: the NetworkList profiles (``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\
NetworkList\\Profiles``), wired and Wi-Fi alike, with their created / last-connected times, and
the saved Wi-Fi (WLAN) profiles ``netsh wlan show profiles`` lists; both are parts of the network
probe's one PowerShell script (:data:`WINDOWS_PARTS`).
Linux: NetworkManager connection profiles (keyfiles, with the last activation time from
``/var/lib/NetworkManager/timestamps``) and DHCP leases (ISC dhclient, NetworkManager and
systemd-networkd). Everything is read locally. Formats and traps:
shared/reference/endpoint-formats.md sections 4 and 9.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from agent import windows
from agent.probes.context import ProbeContext, read_optional
from agent.wire.schema import NetworkProfile, ProbeError

# NameType is the IANA ifType (reference §4; Seatbelt's WIRELESS = 25 is wrong).
NAME_TYPES = {6: "wired", 23: "vpn", 71: "wifi", 243: "mobile"}
NM_TYPES = {
    "ethernet": "wired", "802-3-ethernet": "wired", "wifi": "wifi", "802-11-wireless": "wifi",
    "vpn": "vpn", "wireguard": "vpn", "gsm": "mobile", "cdma": "mobile",
}
NM_CONNECTION_DIRS = (Path("/etc/NetworkManager/system-connections"), Path("/run/NetworkManager/system-connections"))
NM_TIMESTAMPS = Path("/var/lib/NetworkManager/timestamps")
LEASE_DIRS = (Path("/var/lib/dhcp"), Path("/var/lib/dhclient"), Path("/var/lib/NetworkManager"),
              Path("/run/systemd/netif/leases"))
WLAN_SOURCE = "WLAN profile"
WINDOWS_PARTS = {
    "networklist": windows.json_rows(
        "Get-ChildItem 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles' | "
        "ForEach-Object { $p = Get-ItemProperty $_.PSPath; [pscustomobject]@{ Guid=$_.PSChildName; "
        "ProfileName=$p.ProfileName; Description=$p.Description; Category=$p.Category; Managed=$p.Managed; "
        "NameType=$p.NameType; DateCreated=$p.DateCreated; DateLastConnected=$p.DateLastConnected } }"
    ),
    # netsh is a native command: it does not throw, so a failing exit status is turned into the
    # part's error (its own message: "The Wireless AutoConfig Service (wlansvc) is not running.",
    # "There is no wireless interface on the system."). A missing netsh.exe throws by itself.
    "wlan": "$($o = (& netsh.exe wlan show profiles | Out-String); if ($LASTEXITCODE) { throw $o.Trim() }; $o)",
}
# A profile line is "<label> : <name>" indented under a dashed heading; the label is translated
# ("All User Profile", "모든 사용자 프로필", "Tutti i profili utente", "Profilo utente corrente"),
# the shape is not. Headings ("Profiles on interface Wi-Fi:") are not indented.
_WLAN_PROFILE_LINE = r"^\s+[^:]+?\s*:\s*(\S.*?)\s*$"  # compiled on first use (Windows only)
_DASHES = r"^\s*-{3,}\s*$"


class Lease(msgspec.Struct, frozen=True):
    interface: str
    address: str
    router: str
    obtained: datetime | None
    source: str


# --- Windows ----------------------------------------------------------------------------------


def parse_systemtime(value: Sequence[int] | None) -> datetime | None:
    """A 16-byte SYSTEMTIME (8 little-endian uint16: year, month, weekday, day, hour, minute,
    second, ms) in the PC's local time, as UTC; None when absent or all zero."""
    if not value or not any(value):
        return None
    year, month, _weekday, day, hour, minute, second, ms = struct.unpack("<8H", bytes(value))
    local = datetime(year, month, day, hour, minute, second, ms * 1000)
    return local.astimezone().astimezone(UTC)  # naive = this machine's local time


def parse_networklist(items: list[dict[str, Any]]) -> list[NetworkProfile]:
    """One profile per NetworkList row (ConvertTo-Json writes the REG_BINARY dates as arrays)."""
    return [
        NetworkProfile(
            name=windows.as_text(item.get("ProfileName")) or windows.as_text(item.get("Guid")),
            kind=NAME_TYPES.get(windows.as_int(item.get("NameType")) or 0, ""),
            first_connected=parse_systemtime(item.get("DateCreated")),
            last_connected=parse_systemtime(item.get("DateLastConnected")),
            source="NetworkList",
        )
        for item in items
    ]


def parse_wlan_profiles(text: str) -> list[NetworkProfile]:
    """The saved Wi-Fi profiles ``netsh wlan show profiles`` lists (all interfaces, each name
    once), in any display language. Raises ValueError with netsh's own message when the text is
    not a listing (WLAN service stopped, no wireless interface): that is "unknown", not "none"."""
    lines = text.replace("\r", "").splitlines()
    dashes, profile_line = re.compile(_DASHES), re.compile(_WLAN_PROFILE_LINE)
    if not any(dashes.match(line) for line in lines):
        message = next((line.strip() for line in lines if line.strip()), "netsh printed nothing")
        raise ValueError(message)
    names: list[str] = []
    for line in lines:
        found = profile_line.match(line)
        if found and found.group(1) not in names:
            names.append(found.group(1))
    return [NetworkProfile(name=name, kind="wifi", source=WLAN_SOURCE) for name in names]


def parse_windows_history(parts: dict[str, Any], errors: list[ProbeError]) -> list[NetworkProfile]:
    """NetworkList and WLAN profiles from the network script's parts; a failed part is recorded
    in ``errors`` and the other still counts."""
    networklist = windows.read_part(parts, "networklist", errors, lambda v: parse_networklist(windows.rows(v)), [])
    wlan = windows.read_part(parts, "wlan", errors, lambda v: parse_wlan_profiles(str(v or "")), [])
    return networklist + wlan


# --- Linux --------------------------------------------------------------------------------------


def parse_nmconnection(text: str, timestamps: dict[str, datetime]) -> NetworkProfile:
    """A NetworkManager keyfile (nm-settings-keyfile(5)): id, type, uuid; the last activation
    from the keyfile's own ``timestamp`` or NM's timestamps file. Raises ValueError when it has
    no [connection] id or is not a keyfile."""
    import configparser  # only on a PC with NetworkManager keyfiles

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ValueError(str(exc)) from exc
    if not parser.has_option("connection", "id"):
        raise ValueError("no [connection] id")
    uuid = parser.get("connection", "uuid", fallback="")
    stamp = parser.get("connection", "timestamp", fallback="")
    last = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() and int(stamp) else timestamps.get(uuid)
    kind = NM_TYPES.get(parser.get("connection", "type", fallback=""), "")
    return NetworkProfile(name=parser.get("connection", "id"), kind=kind, last_connected=last,
                          source="NetworkManager")


def parse_nm_timestamps(text: str) -> dict[str, datetime]:
    """``[timestamps]`` ``<uuid>=<epoch>`` (0 = never activated, left out)."""
    found = {}
    for line in text.splitlines():
        uuid, sep, value = line.partition("=")
        if sep and value.strip().isdigit() and int(value):
            found[uuid.strip()] = datetime.fromtimestamp(int(value), UTC)
    return found


def parse_dhclient_leases(text: str, source: str) -> list[Lease]:
    """The ``lease { ... }`` blocks of an ISC dhclient leases file; the time obtained is
    ``expire`` minus ``dhcp-lease-time`` (dhclient writes its times in UTC)."""
    leases = []
    for block in re.findall(r"lease\s*\{(.*?)\}", text, re.DOTALL):
        values = dict(_dhclient_statement(line) for line in block.split(";") if line.strip())
        expire = _dhclient_time(values.get("expire", ""))
        seconds = values.get("option dhcp-lease-time", "")
        obtained = expire - timedelta(seconds=int(seconds)) if expire and seconds.isdigit() else None
        leases.append(Lease(values.get("interface", "").strip('"'), values.get("fixed-address", ""),
                            values.get("option routers", "").split(",")[0], obtained, source))
    return leases


def _dhclient_statement(line: str) -> tuple[str, str]:
    words = line.split()
    if words[:1] == ["option"] and len(words) >= 2:
        return f"option {words[1]}", " ".join(words[2:])
    return words[0], " ".join(words[1:])


def _dhclient_time(value: str) -> datetime | None:
    """``<weekday> YYYY/MM/DD HH:MM:SS`` in UTC; None for ``never`` or anything else."""
    found = re.fullmatch(r"\d (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", value.strip())
    return datetime.strptime(found.group(1), "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC) if found else None


def parse_networkd_lease(text: str, interface: str, source: str) -> Lease | None:
    """A systemd-networkd / NetworkManager-internal lease (``ADDRESS=``, ``ROUTER=``)."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    if not values.get("ADDRESS"):
        return None
    return Lease(interface, values["ADDRESS"], values.get("ROUTER", "").split()[0] if values.get("ROUTER") else "",
                 None, source)


def read_linux_history(ctx: ProbeContext, errors: list[ProbeError]) -> tuple[list[NetworkProfile], list[Lease]]:
    """NetworkManager profiles and DHCP leases; unreadable files are recorded in ``errors``."""
    stamps_text = _read(ctx, NM_TIMESTAMPS, errors)
    stamps = parse_nm_timestamps(stamps_text) if stamps_text else {}
    profiles = []
    for path in _files(NM_CONNECTION_DIRS, "*.nmconnection"):
        text = _read(ctx, path, errors)
        if text is not None:
            try:
                profiles.append(parse_nmconnection(text, stamps))
            except ValueError as exc:
                errors.append(ProbeError(what=f"network profile {path}", reason=str(exc)))
    return profiles, read_leases(ctx, errors)


def read_leases(ctx: ProbeContext, errors: list[ProbeError]) -> list[Lease]:
    leases: list[Lease] = []
    for path in _files(LEASE_DIRS, "*"):
        text = _read(ctx, path, errors)
        if not text:
            continue
        if "lease {" in text or "lease{" in text:
            leases += parse_dhclient_leases(text, str(path))
        elif path.suffix == ".lease" or path.parent.name == "leases":
            lease = parse_networkd_lease(text, _lease_interface(path), str(path))
            leases += [lease] if lease else []
    return leases


def _lease_interface(path: Path) -> str:
    """NetworkManager names its lease ``internal-<uuid>-<iface>.lease``; networkd by ifindex."""
    return path.stem.rsplit("-", 1)[-1] if path.stem.startswith(("internal-", "dhclient-")) else path.stem


def _files(folders: Sequence[Path], pattern: str) -> list[Path]:
    found = []
    for folder in folders:
        try:
            found += sorted(path for path in folder.glob(pattern) if path.is_file())
        except OSError:
            continue
    return found


def _read(ctx: ProbeContext, path: Path, errors: list[ProbeError]) -> str | None:
    try:
        return read_optional(ctx, path)
    except OSError as exc:
        errors.append(ProbeError(what=str(path), reason=exc.strerror or str(exc)))
        return None
