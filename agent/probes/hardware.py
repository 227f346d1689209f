"""Hardware probe: CPU, RAM, disks, the SMBIOS identity (vendor, model, serial, BIOS date)
and attached scanners and printers.

Linux: /sys/class/dmi/id; CUPS' printers.conf for printers; for scanners, the USB devices in
/sys whose vendor:product SANE's own hardware database (libsane1's 20-sane.hwdb, the list udev
tags ``libsane_matched``) names as a scanner it supports: read from files, never by running
``scanimage -L``, whose network backends would send packets from an offline PC. Windows: one PowerShell script
(Win32_ComputerSystem, Win32_BIOS, MSFT_PhysicalDisk for health and media, Win32_PnPEntity of
the Image class for scanners, cameras left out, Win32_Printer). Source:
shared/reference/endpoint-formats.md §5; tests/fixtures/windows/README.md.
"""

from __future__ import annotations

import platform
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psutil

from agent import windows
from agent.probes.context import ProbeContext, attempt, describe, read_optional
from agent.wire.schema import Disk, Hardware, Peripheral, ProbeError

PROC_CPUINFO = Path("/proc/cpuinfo")
DMI_DIR = Path("/sys/class/dmi/id")
# Firmware vendors ship these instead of real values (shared/reference/endpoint-formats.md §5).
OEM_PLACEHOLDERS = frozenset(
    {
        "to be filled by o.e.m.",
        "default string",
        "system serial number",
        "system manufacturer",
        "system product name",
        "not specified",
        "not applicable",
        "none",
        "o.e.m.",
        "0",
        "0123456789",
    }
)
# Filesystems that are not a disk of this PC: memory, snap/AppImage images, container layers.
PSEUDO_FILESYSTEMS = frozenset(
    {"tmpfs", "devtmpfs", "ramfs", "squashfs", "overlay", "aufs", "proc", "sysfs", "devfs", "nullfs"}
)


def parse_cpu_model(text: str) -> str:
    """The first ``model name`` of /proc/cpuinfo (x86); "" when there is none (ARM kernels
    print ``CPU part``/``Hardware`` instead)."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name":
            return " ".join(value.split())
    return ""


def clean_dmi(value: str) -> str:
    """A DMI/WMI string stripped, "" for empty, all-blank-padding or an OEM placeholder."""
    text = " ".join(value.replace("\x00", " ").split())
    return "" if text.lower() in OEM_PLACEHOLDERS else text


def parse_bios_date(text: str) -> date | None:
    """/sys/class/dmi/id/bios_date (the kernel prints SMBIOS's MM/DD/YYYY); None when empty.

    Raises ValueError for any other non-empty text, so the reading is recorded as an error.
    """
    value = text.strip()
    if not value:
        return None
    return datetime.strptime(value, "%m/%d/%Y").date()


def collect(ctx: ProbeContext) -> Hardware:
    """CPU, RAM and disks everywhere, SMBIOS fields on Linux; never raises."""
    errors: list[ProbeError] = []
    hardware = Hardware(
        errors=errors,
        cpu_model=attempt(errors, "cpu_model", lambda: read_cpu_model(ctx), ""),
        cpu_cores=attempt(errors, "cpu_cores", read_cpu_cores, None),
        ram_bytes=attempt(errors, "ram_bytes", lambda: int(psutil.virtual_memory().total), None),
        disks=attempt(errors, "disks", lambda: read_disks(errors), []),
    )
    if ctx.system == "Linux":
        read_dmi(ctx, hardware, errors)
        hardware.peripherals = (attempt(errors, "scanners", lambda: read_usb_scanners(ctx), [])
                                + attempt(errors, "printers", lambda: read_cups_printers(ctx), []))
    elif ctx.system == "Windows":
        script = windows.parts_script(WINDOWS_PARTS)
        text = attempt(errors, "powershell", lambda: windows.run_powershell(script, run=ctx.run), None)
        if text is not None:
            attempt(errors, "hardware", lambda: apply_windows_hardware(text, hardware), None)
    return hardware


# --- Windows ------------------------------------------------------------------------------------

# MSFT_PhysicalDisk enums (reference §5), by number (the raw CIM UInt16) and by the name the
# Storage module's adapted properties carry: Get-PhysicalDisk | Select * prints HealthStatus
# "Healthy", MediaType "SSD", BusType "NVMe"/"SATA" (tests/fixtures/windows/get-physicaldisk.json).
DISK_HEALTH = {0: "healthy", 1: "warning", 2: "unhealthy", 5: ""}
DISK_HEALTH_NAMES = {"healthy": "healthy", "warning": "warning", "unhealthy": "unhealthy", "unknown": ""}
DISK_MEDIA = {0: "", 3: "hdd", 4: "ssd", 5: "scm"}
DISK_MEDIA_NAMES = {"unspecified": "", "hdd": "hdd", "ssd": "ssd", "scm": "scm"}
DISK_BUS_NVME = {17: "nvme"}
DISK_BUS_NVME_NAMES = {"nvme": "nvme"}
# Software printers print to their port monitor's own port, named with a trailing colon
# (PORTPROMPT:, nul:, SHRFAX:, FOXIT_Reader: in the recording, RedMon's redirected PDF ports);
# of such ports only LPTn: and COMn: reach a device. OneNote's ports have no colon.
_HARDWARE_COLON_PORT = re.compile(r"^(LPT|COM)\d+:$", re.IGNORECASE)
VIRTUAL_PRINTER_PORT_PREFIXES = ("ONENOTE",)
IMAGE_CLASS_GUID = "{6bdd1fc6-810f-11d0-bec7-08002be2092f}"  # the PnP "Image" setup class (scanners, cameras)
# Before Windows 10 webcams are of the Image class too: Windows 7's "USB video device" (recorded,
# tests/fixtures/windows/win32-pnpentity-image.json) runs the USB Video Class driver usbvideo
# and has the compatible id USB\Class_0e (USB class 0x0E = video). Such a device is no scanner.
CAMERA_SERVICES = frozenset({"usbvideo"})
USB_VIDEO_CLASS = "usb\\class_0e"
WINDOWS_PARTS = {
    "system": "Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer, Model",
    "bios": "Get-CimInstance Win32_BIOS | Select-Object SerialNumber, ReleaseDate",
    "disks": windows.json_rows(
        "Get-CimInstance -Namespace root/Microsoft/Windows/Storage -ClassName MSFT_PhysicalDisk | "
        "Select-Object FriendlyName, SerialNumber, MediaType, BusType, HealthStatus, Size"
    ),
    # By ClassGuid: Win32_PnPEntity has no PNPClass before Windows 10 (the Windows 7 recording).
    "scanners": windows.json_rows(
        "Get-CimInstance Win32_PnPEntity -Filter \"ClassGuid='" + IMAGE_CLASS_GUID + "'\" | "
        "Select-Object Name, Present, Status, Service, CompatibleID"
    ),
    "printers": windows.json_rows("Get-CimInstance Win32_Printer | Select-Object Name, PortName, Local, Network, "
                                  "WorkOffline"),
}


def disk_enum(value: Any, by_number: dict[int, str], by_name: dict[str, str]) -> str:
    """An MSFT_PhysicalDisk enum given as its number or its name; "" for null, a value the maps do
    not know, or anything else (unknown, never "healthy" by default)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return by_number.get(value, "")
    text = windows.as_text(value)
    return by_number.get(int(text), "") if text.isdigit() else by_name.get(text.lower(), "")


def parse_physical_disks(items: list[dict[str, Any]]) -> list[Disk]:
    """MSFT_PhysicalDisk rows: model, size, media (NVMe by bus type) and health; enums may be
    numbers or names. Raises ValueError for a Size that is not a number."""
    disks = []
    for item in items:
        media = disk_enum(item.get("MediaType"), DISK_MEDIA, DISK_MEDIA_NAMES)
        disks.append(Disk(
            device=windows.as_text(item.get("FriendlyName")) or "?",
            model=windows.as_text(item.get("FriendlyName")),
            total_bytes=windows.as_int(item.get("Size")),
            media=disk_enum(item.get("BusType"), DISK_BUS_NVME, DISK_BUS_NVME_NAMES) or media,
            health=disk_enum(item.get("HealthStatus"), DISK_HEALTH, DISK_HEALTH_NAMES),
        ))
    return disks


def is_virtual_printer_port(port: str) -> bool:
    """True for the ports software printers print to (see the comment on the constants)."""
    text = port.strip()
    if text.upper().startswith(VIRTUAL_PRINTER_PORT_PREFIXES):
        return True
    return text.endswith(":") and not _HARDWARE_COLON_PORT.match(text)


def is_camera(device: dict[str, Any]) -> bool:
    """True for an Image-class device that is a USB video (webcam) device, by its driver service
    or its compatible ids (see the comment on the constants)."""
    if windows.as_text(device.get("Service")).lower() in CAMERA_SERVICES:
        return True
    ids = device.get("CompatibleID") or []
    ids = [ids] if isinstance(ids, str) else ids
    return any(str(item).lower().startswith(USB_VIDEO_CLASS) for item in ids)


def parse_windows_peripherals(scanners: list[dict[str, Any]], printers: list[dict[str, Any]]) -> list[Peripheral]:
    """Scanners (PnP class Image, cameras left out) and printers that reach a device; software
    printers ("Microsoft Print to PDF", Fax, OneNote, PDF writers) are left out by their port.
    ``Present`` exists from Windows 10 on: without it a listed device counts as present."""
    found = [Peripheral(kind="scanner", name=windows.as_text(s.get("Name")), present=s.get("Present") is not False)
             for s in scanners if not is_camera(s)]
    for printer in printers:
        if is_virtual_printer_port(windows.as_text(printer.get("PortName"))):
            continue
        found.append(Peripheral(kind="printer", name=windows.as_text(printer.get("Name")),
                                present=printer.get("WorkOffline") is not True))
    return found


def apply_windows_hardware(text: str, hardware: Hardware) -> None:
    """Fill the SMBIOS fields, add the physical disks and set the peripherals from the script's
    output; a part that failed or cannot be read is recorded and the others still count."""
    parts = windows.parse_parts(text)
    for name in WINDOWS_PARTS:
        failed = windows.part_error(parts.get(name))
        if failed:
            hardware.errors.append(ProbeError(what=name, reason=failed))
    system, bios = _row(parts.get("system")), _row(parts.get("bios"))
    hardware.manufacturer = clean_dmi(windows.as_text(system.get("Manufacturer")))
    hardware.model = clean_dmi(windows.as_text(system.get("Model")))
    hardware.serial = clean_dmi(windows.as_text(bios.get("SerialNumber")))
    released = attempt(hardware.errors, "bios_release_date", lambda: windows.parse_ps_date(bios.get("ReleaseDate")),
                       None)
    hardware.bios_release_date = released.date() if released else None
    hardware.disks = hardware.disks + attempt(hardware.errors, "disks",
                                              lambda: parse_physical_disks(_rows(parts.get("disks"))), [])
    hardware.peripherals = attempt(hardware.errors, "peripherals", lambda: parse_windows_peripherals(
        _rows(parts.get("scanners")), _rows(parts.get("printers"))), [])


def _row(value: Any) -> dict[str, Any]:
    found = _rows(value)
    return found[0] if found else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    return [] if windows.part_error(value) else windows.rows(value)


# --- Linux printers -----------------------------------------------------------------------------

CUPS_PRINTERS = Path("/etc/cups/printers.conf")
USB_DEVICES = Path("/sys/bus/usb/devices")
SANE_HWDB = (Path("/usr/lib/udev/hwdb.d/20-sane.hwdb"), Path("/lib/udev/hwdb.d/20-sane.hwdb"))
_HWDB_MATCH = re.compile(r"^usb:v([0-9A-Fa-f]{4})p([0-9A-Fa-f]{4})\*$")


def parse_cups_printers(text: str) -> list[Peripheral]:
    """``<Printer NAME>`` / ``<DefaultPrinter NAME>`` blocks of printers.conf (cupsd writes it;
    ``State`` and ``Accepting`` inside are not needed for "attached")."""
    names = re.findall(r"^<(?:Default)?Printer\s+([^>]+)>", text, re.MULTILINE)
    return [Peripheral(kind="printer", name=name.strip()) for name in names]


def parse_sane_hwdb(text: str) -> dict[tuple[str, str], str]:
    """(vendor, product) in lower-case hex -> the models named in the comment above the match
    (``# Canon CanoScan LiDE 110`` / ``usb:v04A9p1909*`` / `` libsane_matched=yes``)."""
    known: dict[tuple[str, str], str] = {}
    comment = ""
    for line in text.splitlines():
        if line.startswith("#"):
            comment = line[1:].strip()
        elif found := _HWDB_MATCH.match(line.strip()):
            known[(found.group(1).lower(), found.group(2).lower())] = comment
    return known


def read_usb_scanners(ctx: ProbeContext) -> list[Peripheral]:
    """Attached USB devices SANE knows as scanners; [] without SANE's database (no libsane).
    SANE's 80 KB database is read only when a USB device is attached, and once where /lib is
    /usr/lib (usrmerge: both paths are the same file)."""
    attached = [(device, (_sysfs(ctx, device / "idVendor").lower(), _sysfs(ctx, device / "idProduct").lower()))
                for device in sorted(USB_DEVICES.glob("*"))]
    attached = [(device, ids) for device, ids in attached if all(ids)]
    if not attached:
        return []
    known: dict[tuple[str, str], str] = {}
    for path in dict.fromkeys(path.resolve() for path in SANE_HWDB):
        known.update(parse_sane_hwdb(read_optional(ctx, path) or ""))
    found = []
    for device, ids in attached:
        if ids in known:
            label = f"{_sysfs(ctx, device / 'manufacturer')} {_sysfs(ctx, device / 'product')}".strip()
            found.append(Peripheral(kind="scanner", name=label or known[ids].split(" | ")[0]))
    return found


def _sysfs(ctx: ProbeContext, path: Path) -> str:
    return (read_optional(ctx, path) or "").strip()


def read_cups_printers(ctx: ProbeContext) -> list[Peripheral]:
    text = read_optional(ctx, CUPS_PRINTERS)
    return parse_cups_printers(text) if text else []


def read_cpu_model(ctx: ProbeContext) -> str:
    text = read_optional(ctx, PROC_CPUINFO) if ctx.system == "Linux" else None
    return (parse_cpu_model(text) if text else "") or platform.processor()


def read_cpu_cores() -> int | None:
    """Physical cores; logical ones when psutil cannot tell (some VMs and ARM boards)."""
    return psutil.cpu_count(logical=False) or psutil.cpu_count(logical=True)


def read_disks(errors: list[ProbeError]) -> list[Disk]:
    """Mounted disk partitions (pseudo filesystems, CD drives and repeats of a device left
    out); a partition whose usage cannot be read keeps None sizes and adds an error."""
    disks: list[Disk] = []
    seen: set[str] = set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in PSEUDO_FILESYSTEMS or "cdrom" in part.opts or part.device in seen:
            continue
        seen.add(part.device)
        disk = Disk(device=part.device, mountpoint=part.mountpoint, fstype=part.fstype)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError as exc:
            errors.append(ProbeError(what=f"disk {part.mountpoint}", reason=describe(exc)))
        else:
            disk.total_bytes, disk.free_bytes = int(usage.total), int(usage.free)
        disks.append(disk)
    return disks


def read_dmi(ctx: ProbeContext, hardware: Hardware, errors: list[ProbeError]) -> None:
    """Fill manufacturer, model, serial and BIOS date from /sys/class/dmi/id; absent files
    (VMs without SMBIOS, ARM boards) leave them empty, while an unreadable one (product_serial
    is root-only) is recorded."""
    hardware.manufacturer = attempt(errors, "manufacturer", lambda: _dmi(ctx, "sys_vendor"), "")
    hardware.model = attempt(errors, "model", lambda: _dmi(ctx, "product_name"), "")
    hardware.serial = attempt(errors, "serial", lambda: _dmi(ctx, "product_serial"), "")
    hardware.bios_release_date = attempt(
        errors, "bios_release_date", lambda: parse_bios_date(_dmi(ctx, "bios_date")), None
    )


def _dmi(ctx: ProbeContext, name: str) -> str:
    return clean_dmi(read_optional(ctx, DMI_DIR / name) or "")
