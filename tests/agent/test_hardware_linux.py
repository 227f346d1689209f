"""Scanners on Linux: USB devices matched against SANE's own hardware database as Debian's
libsane1 installs it (the real file, read in place). The /sys tree is built in tmp_path with
nothing but a device's vendor and product ids, since this machine has no USB bus."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.probes import ProbeContext, hardware
from tests.agent.conftest import T0


@pytest.fixture
def sane_hwdb() -> Path:
    installed = [path for path in hardware.SANE_HWDB if path.exists()]
    if not installed:
        pytest.skip("libsane1 is not installed (.ci/run installs it)")
    return installed[0]


def usb_device(root: Path, name: str, vendor_id: str, product_id: str, **strings: str) -> None:
    """A /sys/bus/usb/devices entry: ids as the kernel prints them (4 hex digits), and the
    device's own iManufacturer/iProduct strings when given (test input, not a recording)."""
    device = root / name
    device.mkdir(parents=True)
    (device / "idVendor").write_text(f"{vendor_id}\n")
    (device / "idProduct").write_text(f"{product_id}\n")
    for key, value in strings.items():
        (device / key).write_text(f"{value}\n")


def test_sanes_database_names_the_scanners_it_supports(sane_hwdb: Path) -> None:
    known = hardware.parse_sane_hwdb(sane_hwdb.read_text())
    assert len(known) > 500
    assert known[("04a9", "1909")] == "Canon CanoScan LiDE 110"
    assert known[("03f0", "0105")].startswith("Hewlett-Packard ScanJet 4200C | ")


def test_only_usb_devices_sane_knows_are_reported_as_scanners(
    sane_hwdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usb_device(tmp_path, "1-1", "04a9", "1909")  # in SANE's list: named from it
    usb_device(tmp_path, "1-2", "03F0", "0105", manufacturer="Vendor", product="Scanner")  # the device's own name wins
    usb_device(tmp_path, "usb1", "1d6b", "0002")  # the root hub: not a scanner
    (tmp_path / "1-1:1.0").mkdir()  # an interface directory has no ids
    monkeypatch.setattr(hardware, "USB_DEVICES", tmp_path)
    scanners = hardware.read_usb_scanners(ProbeContext(now=T0))
    assert [(s.kind, s.name) for s in scanners] == [("scanner", "Canon CanoScan LiDE 110"),
                                                     ("scanner", "Vendor Scanner")]
    found = hardware.collect(ProbeContext(now=T0, system="Linux"))
    assert [p.name for p in found.peripherals if p.kind == "scanner"] == [s.name for s in scanners]


def test_without_sanes_database_no_device_is_called_a_scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usb_device(tmp_path / "sys", "1-1", "04a9", "1909")
    monkeypatch.setattr(hardware, "USB_DEVICES", tmp_path / "sys")
    monkeypatch.setattr(hardware, "SANE_HWDB", (tmp_path / "absent.hwdb",))
    assert hardware.read_usb_scanners(ProbeContext(now=T0)) == []


def test_no_usb_device_reads_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[Path] = []
    (tmp_path / "sys").mkdir()
    monkeypatch.setattr(hardware, "USB_DEVICES", tmp_path / "sys")
    assert hardware.read_usb_scanners(ProbeContext(now=T0, read_text=lambda p: read.append(p) or "")) == []
    assert read == []


def test_an_unreadable_sane_database_is_recorded_and_printers_still_go_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(path: Path) -> str:
        if path == tmp_path / "20-sane.hwdb":
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_text()

    usb_device(tmp_path / "sys", "1-1", "04a9", "1909")
    monkeypatch.setattr(hardware, "USB_DEVICES", tmp_path / "sys")
    monkeypatch.setattr(hardware, "SANE_HWDB", (tmp_path / "20-sane.hwdb",))
    found = hardware.collect(ProbeContext(now=T0, system="Linux", read_text=read))
    assert [e.what for e in found.errors if e.what in ("scanners", "printers")] == ["scanners"]
