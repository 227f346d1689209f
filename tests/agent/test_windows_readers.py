"""Windows network, network history, backup (wbadmin, File History) and software readers on the
recorded samples of tests/fixtures/windows/ (its README gives each one's origin), and their
probes with PowerShell replaced by a runner printing those samples (the one seam mocked).
Failures are the samples with one part swapped for the error PowerShell's catch would print."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from agent import windows
from agent.probes import ProbeContext, backup, network, software
from agent.probes.network_history import WLAN_SOURCE, parse_wlan_profiles
from agent.programs import CommandResult
from agent.wire.schema import Interface, Network, ProbeError

WINDOWS = Path(__file__).resolve().parent.parent / "fixtures" / "windows"
NOW = datetime(2026, 11, 22, tzinfo=UTC)
# netsh's own message when the WLAN service is stopped (quoted in many public netsh parsers).
WLANSVC_STOPPED = "The Wireless AutoConfig Service (wlansvc) is not running."


def sample(name: str) -> str:
    return (WINDOWS / name).read_text(encoding="utf-8")


def parts_of(name: str, **failed: str) -> dict[str, Any]:
    """A recorded parts object with the named parts failed as ``{"error": message}``."""
    parts = json.loads(sample(name))
    parts.update({part: {"error": message} for part, message in failed.items()})
    return parts


def windows_ctx(text: str, returncode: int = 0, stderr: str = "") -> ProbeContext:
    def run(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None) -> CommandResult:
        assert argv[0] == "powershell.exe" and "-EncodedCommand" in argv
        return CommandResult(returncode, text, stderr)

    return ProbeContext(now=NOW, system="Windows", run=run)


# --- network: default route, DNS, DHCP ------------------------------------------------------------


@pytest.mark.parametrize(("case", "expected"), [("default", "192.168.1.111"), ("on_link", None), ("none", None)])
def test_it_reads_the_default_gateway_from_recorded_get_netroute_rows(case: str, expected: str | None) -> None:
    rows = windows.rows(json.loads(sample("get-netroute.json"))[case])
    assert network.parse_windows_default_gateway(rows) == expected


def test_it_reads_dns_servers_in_order_and_dhcp_by_mac_from_adapter_configuration() -> None:
    adapters = json.loads(sample("win32-networkadapterconfiguration.json"))
    assert network.parse_windows_dns_servers(adapters) == ["10.80.7.1"]
    # the Hyper-V rows' source shows no DHCPEnabled: unknown, not "static"
    assert network.parse_windows_dhcp(adapters) == {"64:5a:ed:f3:6c:cb": True}


def recorded_interfaces() -> list[Interface]:
    """Interfaces as psutil would list the recorded adapters (named here by their Description)."""
    return [Interface(name="ASIX AX88772A USB2.0 to Fast Ethernet Adapter", mac="64:5a:ed:f3:6c:cb", is_up=True),
            Interface(name="Hyper-V Virtual Ethernet Adapter #3", mac="00:15:5d:51:83:a2", is_up=True)]


def test_it_fills_gateway_dns_dhcp_and_history_from_one_script() -> None:
    found = Network(interfaces=recorded_interfaces())
    network.fill_windows_state(parts_of("network.json"), found, found.errors)
    assert found.errors == []
    assert (found.default_gateway, found.dns_servers) == ("192.168.1.111", ["10.80.7.1"])
    assert [iface.dhcp for iface in found.interfaces] == [True, None]  # the second is not in this sample
    assert [(p.name, p.kind, p.source) for p in found.profiles[:2]] == [
        ("shieldbase.local", "wired", "NetworkList"), ("ContosoCORP", "wifi", WLAN_SOURCE)]
    assert len(found.profiles) == 7


def test_a_stopped_wlan_service_is_recorded_and_the_rest_still_goes_out() -> None:
    found = Network(interfaces=recorded_interfaces())
    network.fill_windows_state(parts_of("network.json", wlan=WLANSVC_STOPPED), found, found.errors)
    assert found.errors == [ProbeError(what="wlan", reason=WLANSVC_STOPPED)]
    assert found.default_gateway == "192.168.1.111" and found.dns_servers == ["10.80.7.1"]
    assert [p.name for p in found.profiles] == ["shieldbase.local"]


def test_failed_route_and_adapter_parts_leave_unknowns_not_guesses() -> None:
    found = Network(interfaces=recorded_interfaces())
    parts = parts_of("network.json", routes="Access denied", adapters="Invalid class")
    network.fill_windows_state(parts, found, found.errors)
    assert [e.what for e in found.errors] == ["routes", "adapters"]
    assert found.default_gateway is None and found.dns_servers == []
    assert all(iface.dhcp is None for iface in found.interfaces)
    assert len(found.profiles) == 7


def test_the_network_probe_records_powershell_output_it_cannot_read() -> None:
    found = network.collect(windows_ctx("not json"))
    assert [e.what for e in found.errors] == ["powershell"]
    assert found.interfaces  # psutil's part does not depend on PowerShell
    broken = network.collect(windows_ctx("", 1, "powershell.exe: not found"))
    assert [e.what for e in broken.errors] == ["powershell"]


def test_the_network_probe_reads_the_recorded_script_output() -> None:
    found = network.collect(windows_ctx(sample("network.json")))
    assert found.errors == []
    assert (found.default_gateway, found.dns_servers) == ("192.168.1.111", ["10.80.7.1"])
    assert "GusIS2809" in {p.name for p in found.profiles}
    assert found.reachability == []  # tests/conftest.py: gateway probing off, no targets


# --- network history: netsh wlan show profiles, in three languages --------------------------------


@pytest.mark.parametrize(
    ("name", "count", "some"),
    [("netsh-wlan-profiles.en.txt", 6, ["ContosoCORP", "Boat"]),
     ("netsh-wlan-profiles.ko.txt", 21, ["망치질작작좀제발", "#WiFi@Changi", "Public WiFi Free", "U+village"]),
     ("netsh-wlan-profiles.it.txt", 12, ["NETGEAR99_EXT 2", "DIRECT-EF-HP ENVY 4520 series", "Bagno.b", "blue_fac"])],
)
def test_it_reads_wlan_profiles_whatever_the_display_language(name: str, count: int, some: list[str]) -> None:
    profiles = parse_wlan_profiles(sample(name))
    names = [p.name for p in profiles]
    assert len(names) == count and set(some) <= set(names)
    assert {(p.kind, p.source) for p in profiles} == {("wifi", WLAN_SOURCE)}
    assert not {"<None>", "<없음>", "<Nessuno>"} & set(names)


def test_it_reads_crlf_output_and_lists_a_profile_once() -> None:
    text = sample("netsh-wlan-profiles.en.txt")
    doubled = (text + "\n" + text).replace("\n", "\r\n")  # two interfaces listing the same profiles
    assert [p.name for p in parse_wlan_profiles(doubled)] == [p.name for p in parse_wlan_profiles(text)]


@pytest.mark.parametrize("text", [WLANSVC_STOPPED + "\r\n", "", "\r\n\r\n"])
def test_netsh_text_that_is_not_a_listing_is_an_error_not_no_profiles(text: str) -> None:
    with pytest.raises(ValueError, match="wlansvc" if text.strip() else "nothing"):
        parse_wlan_profiles(text)


# --- backup: wbadmin and File History -------------------------------------------------------------


def test_it_reads_file_history_state_and_target_from_config1() -> None:
    enabled, target = backup.parse_file_history_config(sample("filehistory-config1.xml"))
    assert (enabled, target) == (True, "\\\\labhome099\\data\\FileHistoryBackup\\")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(116444736000000000, datetime(1970, 1, 1, tzinfo=UTC)),  # the Unix epoch as a FILETIME (Win32 docs)
     (0, None), (None, None)],
)
def test_it_converts_protected_up_to_time_filetimes(value: object, expected: datetime | None) -> None:
    assert backup.parse_filetime(value) == expected


def test_the_windows_backup_probe_reads_wbadmin_and_file_history() -> None:
    found = backup.collect(windows_ctx(sample("backup.json")))
    assert found.errors == []
    wbadmin, history = found.sources
    assert (wbadmin.location, wbadmin.last_success) == ("wbadmin", datetime(2018, 6, 13, 7, 7, tzinfo=UTC))
    assert history.kind == "windows"
    assert history.location == "File History: \\\\labhome099\\data\\FileHistoryBackup\\"
    # the source shows no ProtectedUpToTime: unknown, never "old"
    assert history.last_success is None and history.error.startswith("no ProtectedUpToTime")


def test_a_failed_file_history_part_is_recorded_and_wbadmin_still_counts() -> None:
    errors: list[ProbeError] = []
    sources = backup.parse_windows_backup(json.dumps(parts_of("backup.json", filehistory="Access is denied.")),
                                          errors)
    assert errors == [ProbeError(what="filehistory", reason="Access is denied.")]
    assert [(s.location, s.last_success) for s in sources] == [
        ("wbadmin", datetime(2018, 6, 13, 7, 7, tzinfo=UTC))]


def test_a_failed_wbadmin_part_and_an_unreadable_config_stay_on_their_sources() -> None:
    parts = parts_of("backup.json", wbadmin="ERROR - Access is denied.")
    parts["filehistory"] = json.dumps([{"Config": "<?xml version=\"1.0\"?><Other/>"},
                                       json.loads(parts["filehistory"])[0]])
    errors: list[ProbeError] = []
    wbadmin, unreadable, readable = backup.parse_windows_backup(json.dumps(parts), errors)
    assert errors == []
    assert (wbadmin.last_success, wbadmin.error) == (None, "ERROR - Access is denied.")
    assert unreadable.error.startswith("Config1.xml:") and unreadable.last_success is None
    assert readable.location.startswith("File History: \\\\labhome099")


def test_the_backup_probe_never_raises_when_powershell_fails() -> None:
    found = backup.collect(windows_ctx("", 1, "Access is denied"))
    (source,) = found.sources
    assert source.location == "wbadmin" and "Access is denied" in source.error


# --- software: the uninstall keys ---------------------------------------------------------------


def test_it_lists_the_recorded_uninstall_entries_64_and_32_bit() -> None:
    found = software.parse_windows_software(sample("software.json"))
    assert found.errors == []
    assert [(p.name, p.version, p.installed_on) for p in found.programs] == [
        ("Microsoft .NET Host - 8.0.30 (arm64)", "64.120.56788", date(2026, 9, 7)),
        ("Microsoft .NET Host FX Resolver - 8.0.30 (arm64)", "64.120.56788", date(2026, 9, 7)),
        ("Microsoft .NET Runtime - 8.0.30 (arm64)", "64.120.56788", date(2026, 9, 7)),
        ("Microsoft .NET Runtime - 8.0.30 (arm64)", "8.0.30.36317", None),  # the WOW6432Node bundle entry
    ]
    assert {p.publisher for p in found.programs} == {"Microsoft Corporation"}


def test_system_components_updates_and_duplicates_are_left_out() -> None:
    # the recorded rows, with the flags "Apps & features" hides by set on two of them
    rows = windows.rows(json.loads(sample("software.json"))["programs"])
    rows[1]["SystemComponent"] = 1
    rows[2]["ParentKeyName"] = "OperatingSystem"
    names = [p.name for p in software.parse_uninstall_entries(rows + rows[:1])]
    assert names == ["Microsoft .NET Runtime - 8.0.30 (arm64)"] * 2


@pytest.mark.parametrize(("value", "expected"), [("20260907", date(2026, 9, 7)), (None, None), ("", None),
                                                 ("2026-9-7", None), ("20261340", None)])
def test_install_dates_that_are_not_yyyymmdd_are_unknown(value: object, expected: date | None) -> None:
    assert software.parse_install_date(value) == expected


def test_a_failed_uninstall_part_is_an_error_not_an_empty_pc() -> None:
    found = software.parse_windows_software(json.dumps({"programs": {"error": "Access is denied."}}))
    assert (found.programs, found.errors) == ([], [ProbeError(what="programs", reason="Access is denied.")])
    broken = software.collect(windows_ctx("", 1, "boom"))
    assert [e.what for e in broken.errors] == ["powershell"] and broken.programs == []
    assert software.collect(windows_ctx(sample("software.json"))).programs
