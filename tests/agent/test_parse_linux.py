"""The pure Linux parsers, on samples recorded on the dev VM (tests/fixtures/linux/README.md)
and on inline texts for the quirks those samples do not show."""

from __future__ import annotations

from datetime import date

import pytest

from agent.probes.hardware import clean_dmi, parse_bios_date, parse_cpu_model
from agent.probes.identity import mac_fingerprint, parse_machine_id, parse_os_release, windows_version
from agent.probes.network import parse_default_gateway, parse_resolv_conf
from agent.wire.schema import normalise_mac
from tests.agent.conftest import fixture_text

ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def test_it_reads_name_and_version_from_debian_os_release() -> None:
    release = parse_os_release(fixture_text("os-release.debian12"))
    assert release["NAME"] == "Debian GNU/Linux"
    assert release["VERSION_ID"] == "12"
    assert release["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NAME='Ubuntu'\nVERSION_ID=\"24.04\"\n", {"NAME": "Ubuntu", "VERSION_ID": "24.04"}),  # both quotings
        ("# comment\n\nNAME=Fedora\n", {"NAME": "Fedora"}),  # unquoted, comments and blanks
        ('NAME="Broken\nID=x\n', {"ID": "x"}),  # an unterminated quote is skipped, not fatal
        ("not an assignment\nlower=x\n", {}),  # os-release keys are upper case
        ("", {}),
    ],
)
def test_it_parses_os_release_quirks(text: str, expected: dict[str, str]) -> None:
    assert parse_os_release(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (fixture_text("machine-id"), "3d1219c7c4c5404aaa1f6d2a48adfda4"),
        ("3D1219C7C4C5404AAA1F6D2A48ADFDA4\n", "3d1219c7c4c5404aaa1f6d2a48adfda4"),
        ("uninitialized\n", ""),  # machine-id(5): first boot writes this before the real id
        ("", ""),
    ],
)
def test_it_reads_only_real_machine_ids(text: str, expected: str) -> None:
    assert parse_machine_id(text) == expected


def test_the_mac_fingerprint_prefers_global_macs_and_ignores_order_and_zeros() -> None:
    first = mac_fingerprint(["00:11:22:33:44:55", "02:42:ac:11:00:02", "00:00:00:00:00:00"])
    assert first == mac_fingerprint(["00-11-22-33-44-55"])  # the random docker MAC does not count
    assert first.startswith("mac-") and len(first) == 4 + 64
    assert mac_fingerprint(["02:42:ac:11:00:02"]).startswith("mac-")  # only local ones: still usable
    assert mac_fingerprint(["00:00:00:00:00:00", "junk"]) == ""


@pytest.mark.parametrize(
    ("release", "version", "expected"),
    [
        ("10", "10.0.22631", ("11", "22631")),  # Python < 3.12 says "10" on Windows 11
        ("10", "10.0.19045", ("10", "19045")),
        ("11", "10.0.26100", ("11", "26100")),
        ("2019Server", "10.0.17763", ("2019Server", "17763")),
    ],
)
def test_it_tells_windows_10_from_11_by_build(release: str, version: str, expected: tuple[str, str]) -> None:
    assert windows_version(release, version) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (fixture_text("cpuinfo.xeon.txt"), "Intel(R) Xeon(R) Processor"),
        ("processor\t: 0\nmodel name\t: AMD  Ryzen 5   5600G\n", "AMD Ryzen 5 5600G"),  # spaces squeezed
        ("processor\t: 0\nBogoMIPS\t: 48.00\nCPU part\t: 0xd03\n", ""),  # ARM: no model name
        ("", ""),
    ],
)
def test_it_reads_the_cpu_model(text: str, expected: str) -> None:
    assert parse_cpu_model(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dell Inc.\n", "Dell Inc."),
        ("To be filled by O.E.M.\n", ""),  # endpoint-formats.md §5: common OEM placeholders
        ("Default string", ""),
        ("System Serial Number", ""),
        ("  \n", ""),
        ("OptiPlex  3080 ", "OptiPlex 3080"),
    ],
)
def test_it_treats_oem_placeholders_as_empty(raw: str, expected: str) -> None:
    assert clean_dmi(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("06/12/2019\n", date(2019, 6, 12)), ("12/31/2008", date(2008, 12, 31)), ("", None), ("\n", None)],
)
def test_it_reads_the_kernels_bios_date(text: str, expected: date | None) -> None:
    assert parse_bios_date(text) == expected


def test_a_garbled_bios_date_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError):
        parse_bios_date("2019-06-12")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (fixture_text("proc-net-route.txt"), "192.0.2.1"),
        # no default route: an isolated LAN, or an offline PC as it should be
        (ROUTE_HEADER + "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", None),
        # a default route that is not UP|GATEWAY does not count
        (ROUTE_HEADER + "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n", None),
        # two default routes (wired + Wi-Fi): the lowest metric wins, as in the kernel
        (ROUTE_HEADER + "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
         "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", "192.0.2.1"),
        ("", None),
    ],
)
def test_it_finds_the_default_gateway(text: str, expected: str | None) -> None:
    assert parse_default_gateway(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (fixture_text("resolv.conf"), ["10.255.255.53"]),
        ("# Generated by NetworkManager\nsearch xa.local\nnameserver 192.168.1.1\nnameserver 8.8.8.8\n",
         ["192.168.1.1", "8.8.8.8"]),
        ("nameserver 2001:db8::1 # ISP\n; nameserver 9.9.9.9\nnameserver 2001:db8::1\n", ["2001:db8::1"]),
        ("nameserver\nnameserver not-an-ip\noptions edns0\n", []),
        ("", []),
    ],
)
def test_it_lists_dns_servers_from_resolv_conf(text: str, expected: list[str]) -> None:
    assert parse_resolv_conf(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02:FC:00:00:00:01", "02:fc:00:00:00:01"),
        ("00-11-22-AA-BB-CC", "00:11:22:aa:bb:cc"),  # Windows (psutil AF_LINK)
        ("0011.22aa.bbcc", "00:11:22:aa:bb:cc"),
        ("00:00:00:00:00:00", ""),  # loopback
        ("00:00:00:00:00:00:00:e0", ""),  # 64-bit tunnel address
        ("", ""),
    ],
)
def test_it_normalises_macs(raw: str, expected: str) -> None:
    assert normalise_mac(raw) == expected
