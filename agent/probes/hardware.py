"""Hardware probe: CPU, RAM, disks, and on Linux the SMBIOS identity (vendor, model, serial,
BIOS date) from /sys/class/dmi/id.

Windows WMI readers (manufacturer, serial, BIOS date, disk health, peripherals) come with
another issue; on Windows this probe fills what psutil and platform give, without errors.
"""

from __future__ import annotations

import platform
from datetime import date, datetime
from pathlib import Path

import psutil

from agent.probes.context import ProbeContext, attempt, describe, read_optional
from agent.schema import Disk, Hardware, ProbeError

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
    return hardware


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
