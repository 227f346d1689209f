"""Every registered probe runs on this machine and returns its typed section without raising;
a probe whose file reader fails records what failed and still returns what it could read."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from agent.probes import PROBES, ProbeContext, hardware, identity, network
from agent.report import SECTION_TYPES
from agent.wire.schema import Report
from tests.agent.conftest import T0

EXPECTED_TYPES = SECTION_TYPES


def failing_reader(path: Path) -> str:
    raise PermissionError(13, "Permission denied", str(path))


def test_every_registered_probe_fills_a_report_section_of_its_name() -> None:
    report_fields = {field.name for field in msgspec.structs.fields(Report)}
    assert set(PROBES) <= report_fields
    assert set(PROBES) <= set(SECTION_TYPES)
    assert set(PROBES) == set(SECTION_TYPES)  # every section of the report has its probe


@pytest.mark.parametrize("name", sorted(PROBES))
def test_each_probe_returns_its_section_on_this_machine(name: str) -> None:
    section = PROBES[name](ProbeContext(now=T0))
    assert isinstance(section, EXPECTED_TYPES[name])
    # this Linux VM has everything they read, except ClamAV's databases (freshclam needs the
    # Internet, which this machine does not have): that is reported, as it should be
    errors = [e for e in section.errors if not (name == "antivirus" and e.what == "clamav database")]
    assert errors == [], errors


@pytest.mark.parametrize("name", sorted(PROBES))
def test_each_probe_survives_a_failing_reader(name: str) -> None:
    section = PROBES[name](ProbeContext(now=T0, read_text=failing_reader))
    assert isinstance(section, EXPECTED_TYPES[name])


def test_identity_reads_this_machine() -> None:
    found = identity.collect(ProbeContext(now=T0))
    assert found.hostname and found.os_name and found.agent_version
    assert len(found.machine_uid) == 32  # /etc/machine-id on this VM
    assert found.boot_time is not None and found.boot_time.utcoffset() is not None
    assert found.collected_at == T0


def test_identity_records_unreadable_files_and_falls_back_to_the_mac_fingerprint() -> None:
    found = identity.collect(ProbeContext(now=T0, read_text=failing_reader))
    assert {error.what for error in found.errors} == {"os", "machine_uid"}
    assert "Permission denied" in found.errors[0].reason
    assert found.machine_uid.startswith("mac-")
    assert found.hostname  # what did not need the reader is still there


def test_hardware_reads_cpu_ram_and_disks() -> None:
    found = hardware.collect(ProbeContext(now=T0))
    assert found.cpu_model and found.cpu_cores and found.ram_bytes and found.ram_bytes > 0
    assert found.disks and all(disk.total_bytes for disk in found.disks)
    assert not any(disk.fstype in hardware.PSEUDO_FILESYSTEMS for disk in found.disks)


def test_hardware_records_unreadable_cpuinfo_and_dmi_but_keeps_psutil_values() -> None:
    found = hardware.collect(ProbeContext(now=T0, read_text=failing_reader))
    assert {"cpu_model", "manufacturer", "serial", "bios_release_date"} <= {e.what for e in found.errors}
    assert found.ram_bytes and found.disks


def test_hardware_without_powershell_records_it_and_keeps_psutil_values() -> None:
    found = hardware.collect(ProbeContext(now=T0, system="Windows"))  # no powershell.exe here
    assert [e.what for e in found.errors] == ["powershell"] and found.manufacturer == "" and found.ram_bytes


def test_network_reads_interfaces_gateway_and_dns_without_loopback() -> None:
    found = network.collect(ProbeContext(now=T0))
    assert found.interfaces and "lo" not in {iface.name for iface in found.interfaces}
    up = [iface for iface in found.interfaces if iface.is_up]
    assert up and all(iface.mac.count(":") == 5 and iface.mac == iface.mac.lower() for iface in up)
    assert all("%" not in address for iface in found.interfaces for address in iface.addresses)
    assert found.default_gateway and found.dns_servers
    assert found.reachability == []  # this probe never sends anything


def test_network_records_unreadable_route_and_resolv_conf() -> None:
    found = network.collect(ProbeContext(now=T0, read_text=failing_reader))
    assert {"default_gateway", "dns_servers"} <= {error.what for error in found.errors}
    assert found.interfaces and found.default_gateway is None
    assert all(iface.carrier is None for iface in found.interfaces)  # unreadable, not "no link"


def test_network_uses_resolveds_upstream_servers_instead_of_its_stub() -> None:
    files = {network.RESOLV_CONF: "nameserver 127.0.0.53\noptions edns0 trust-ad\n",
             network.RESOLVED_UPSTREAM_CONF: "nameserver 192.168.1.1\n"}
    found = network.read_dns_servers(ProbeContext(now=T0, read_text=lambda path: files[path]))
    assert found == ["192.168.1.1"]
