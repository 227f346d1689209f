"""The Windows readers' pure parsers, on the recorded samples of tests/fixtures/windows/ (see its
README for each one's origin), and the probes themselves with PowerShell replaced by a runner
that prints those samples (the one seam mocked)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from agent import windows
from agent.probes import ProbeContext, antivirus, backup, hardening, hardware, licence, network
from agent.probes.network_history import parse_networklist, parse_systemtime
from agent.programs import CommandResult
from agent.wire.schema import Disk, Peripheral, ProbeError, Role

WINDOWS = Path(__file__).resolve().parent.parent / "fixtures" / "windows"
NOW = datetime(2024, 4, 20, tzinfo=UTC)


def sample(name: str) -> str:
    return (WINDOWS / name).read_text(encoding="utf-8")


def powershell_printing(text: str, returncode: int = 0, stderr: str = ""):  # noqa: ANN201 - test helper
    def run(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None) -> CommandResult:
        assert argv[0] == "powershell.exe" and "-NonInteractive" in argv and "-NoProfile" in argv
        return CommandResult(returncode, text, stderr)

    return run


def windows_ctx(text: str, **overrides: object) -> ProbeContext:
    return ProbeContext(now=NOW, system="Windows", run=powershell_printing(text), **overrides)  # type: ignore[arg-type]


# --- shared helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\\/Date(1657179430000)\\/", datetime(2022, 7, 7, 7, 37, 10, tzinfo=UTC)),  # 5.1 [datetime]
        ("/Date(1657179430000)/", datetime(2022, 7, 7, 7, 37, 10, tzinfo=UTC)),
        ("20250128164451.243000+000", datetime(2025, 1, 28, 16, 44, 51, 243000, tzinfo=UTC)),  # DMTF
        ("20190612000000.000000+420", datetime(2019, 6, 11, 17, 0, tzinfo=UTC)),  # offset in minutes
        ("2022-07-07T07:37:10.0000000Z", datetime(2022, 7, 7, 7, 37, 10, tzinfo=UTC)),  # PS 7 / ToString('o')
        ({"value": "\\/Date(1657179430000)\\/", "DisplayHint": 2}, datetime(2022, 7, 7, 7, 37, 10, tzinfo=UTC)),
        ("0001-01-01T00:00:00", None),  # DateTime.MinValue means never
        ("", None),
        (None, None),
    ],
)
def test_it_reads_every_date_form_powershell_writes(value: object, expected: datetime | None) -> None:
    assert windows.parse_ps_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("[]", []), ('{"a":1}', [{"a": 1}]), ({"a": 1}, [{"a": 1}]), ([{"a": 1}, 3], [{"a": 1}])],
)
def test_rows_undo_single_object_unrolling_and_null(value: object, expected: list[object]) -> None:
    assert windows.rows(value) == expected


def test_the_script_travels_encoded_and_a_failure_is_a_typed_error() -> None:
    with pytest.raises(windows.PowerShellError, match="Access denied"):
        windows.run_powershell("Get-Thing", run=powershell_printing("", 1, "Access denied\nmore"))
    script = windows.parts_script({"a": "1"})
    assert "try {" in script and "ConvertTo-Json -InputObject $r" in script


# --- antivirus ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "state", "up_to_date", "microsoft"),
    [  # the reference's decoded table (§1a)
        (397568, "on", True, True), (397584, "on", False, True), (393472, "off", True, True),
        (393488, "off", False, True), (266240, "on", True, False), (266256, "on", False, False),
        (262144, "off", True, False), (262160, "off", False, False), (331776, "on", True, False),
        (401664, "snoozed", True, True), (0x043000, "expired", True, False),
    ],
)
def test_it_decodes_security_center_product_state(value: int, state: str, up_to_date: bool, microsoft: bool) -> None:
    decoded = antivirus.parse_product_state(value)
    assert (decoded.state, decoded.signatures_up_to_date, decoded.microsoft) == (state, up_to_date, microsoft)


def test_it_reads_every_security_center_product_and_merges_defenders_status() -> None:
    found = antivirus.parse_windows_antivirus(sample("antivirus.client.json"), NOW)
    assert found.errors == []
    trend, sophos, defender = found.products
    assert (trend.name, trend.vendor, trend.enabled, trend.signatures_up_to_date) == (
        "Trend Micro Antivirus+", "Trend Micro", True, True)
    assert trend.state_raw.startswith("266240 (0x041000, on)")
    assert (sophos.vendor, sophos.enabled) == ("Sophos", True)
    assert defender.vendor == "Microsoft"
    assert defender.enabled is True  # Defender's own AntivirusEnabled beats the passive productState
    assert defender.realtime_on is False  # not in the sample: productState "off" stays
    assert defender.signatures_date == datetime(2022, 7, 7, 7, 37, 10, tzinfo=UTC)
    assert defender.signature_version == "1.369.923.0" and defender.signatures_up_to_date is True
    assert defender.signatures_age_days == pytest.approx(652.68, abs=0.01)
    assert "AMRunningMode Normal" in defender.state_raw


def test_a_detection_without_its_threat_row_keeps_the_threat_id_and_path() -> None:
    found = antivirus.parse_windows_antivirus(sample("antivirus.client.json"), NOW)
    (detection,) = found.detections
    assert detection.threat == "ThreatID 2147894794"  # the sample's Get-MpThreat row is another threat
    assert (detection.path, detection.action) == ("C:\\artifact_x64.exe", "quarantined")
    assert detection.detected_at == datetime(2024, 4, 9, 9, 38, 39, tzinfo=UTC)


def test_detections_are_named_from_get_mpthreat_and_old_ones_dropped() -> None:
    detections = windows.rows(sample("mpthreatdetection.wmi.json"))
    threats = [{"ThreatID": 2147894794, "ThreatName": "HackTool:Win32/NetCat!MSR"}]
    (recent,) = antivirus.parse_detections(detections, threats, datetime(2025, 2, 1, tzinfo=UTC))
    assert recent.threat == "HackTool:Win32/NetCat!MSR"
    assert recent.detected_at == datetime(2025, 1, 28, 16, 44, 51, 243000, tzinfo=UTC)
    assert antivirus.parse_detections(detections, threats, datetime(2026, 1, 1, tzinfo=UTC)) == []


def test_on_windows_server_defender_is_reported_alone_and_security_center_fails() -> None:
    found = antivirus.parse_windows_antivirus(sample("antivirus.server.json"), NOW)
    assert [(e.what, e.reason.strip()) for e in found.errors] == [("products", "Invalid namespace")]
    (defender,) = found.products
    assert (defender.name, defender.enabled, defender.signature_version) == (
        antivirus.DEFENDER_NAME, True, "1.369.923.0")


def test_a_single_product_unrolled_to_an_object_is_still_read() -> None:
    found = antivirus.parse_windows_antivirus(sample("antivirus.single-product.json"), NOW)
    assert [p.name for p in found.products] == ["Trend Micro Antivirus+"]
    assert [e.what for e in found.errors] == ["defender"]


def test_the_antivirus_probe_runs_powershell_and_records_its_failure() -> None:
    assert antivirus.collect(windows_ctx(sample("antivirus.client.json"))).products
    broken = ProbeContext(now=NOW, system="Windows", run=powershell_printing("", 1, "boom"))
    assert [e.what for e in antivirus.collect(broken).errors] == ["powershell"]


# --- licence ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "activated"),
    [(0, "unlicensed", False), (1, "licensed", True), (2, "oob_grace", False), (3, "oot_grace", False),
     (4, "non_genuine_grace", False), (5, "notification", False), (6, "extended_grace", False)],
)
def test_it_names_every_licence_status(status: int, name: str, activated: bool) -> None:
    found = licence.Licence()
    licence.parse_os_licence([{"LicenseStatus": status, "PartialProductKey": "DVQ7P"}], found)
    assert (found.os_licence_status, found.os_activated) == (name, activated)


# licence.json holds no kms_service part: no SoftwareLicensingService recording was found (README)
NO_SERVICE_RECORDING = [ProbeError(what="kms_service", reason="missing from the script's output")]


def test_it_reads_the_activation_with_the_partial_key_only() -> None:
    found = licence.collect(windows_ctx(sample("licence.json")))
    assert found.errors == NO_SERVICE_RECORDING
    assert (found.os_activated, found.os_licence_status, found.os_partial_key) == (True, "licensed", "DVQ7P")
    assert found.os_product == "Windows(R) 7, Enterprise edition"
    assert found.antivirus_licence_expired is False


def test_it_reads_the_eset_licence_expiry_from_the_active_product() -> None:
    # the recorded license.lf also carries FREE_PRODUCT EXPIRATION_DATE 2015-12-29: not the licence's end
    assert licence.parse_eset_license(sample("eset-license.xml")) == date(2019, 12, 11)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_eset_license_file_leaves_the_expiry_unknown(text: str | None) -> None:
    assert licence.parse_eset_license(text) is None


def test_the_licence_probe_reports_the_eset_expiry_with_the_activation() -> None:
    parts = json.loads(sample("licence.json")) | {"eset": sample("eset-license.xml")}
    found = licence.collect(windows_ctx(json.dumps(parts)))
    assert found.errors == NO_SERVICE_RECORDING
    assert (found.antivirus_licence_expires, found.os_licence_status) == (date(2019, 12, 11), "licensed")
    assert licence.collect(windows_ctx(sample("licence.json"))).antivirus_licence_expires is None


def test_an_unreadable_eset_license_is_an_error_and_the_activation_still_counts() -> None:
    parts = json.loads(sample("licence.json")) | {"eset": "<ESET><LICENSE>"}
    found = licence.collect(windows_ctx(json.dumps(parts)))
    assert [e.what for e in found.errors] == ["kms_service", "eset"]
    assert (found.antivirus_licence_expires, found.os_activated, found.antivirus_licences) == (None, True, [])


def test_it_prefers_the_licensed_row_and_flags_an_expired_antivirus() -> None:
    found = licence.Licence()
    licence.parse_os_licence([{"LicenseStatus": 5}, {"LicenseStatus": 1, "PartialProductKey": "ABCDE"}], found)
    assert found.os_licence_status == "licensed"
    assert licence.parse_antivirus_expired([{"productState": 0x043000}]) is True
    assert licence.parse_antivirus_expired([]) is None
    empty = licence.Licence()
    licence.parse_os_licence([], empty)
    assert (empty.os_activated, empty.os_licence_status) == (False, "unlicensed")


# --- network history, hardware, backup ---------------------------------------------------------


def test_it_reads_networklist_profiles_with_systemtime_dates() -> None:
    (profile,) = parse_networklist(windows.rows(sample("networklist.json")))
    assert (profile.name, profile.kind, profile.source) == ("shieldbase.local", "wired", "NetworkList")
    local = datetime(2009, 2, 24, 23, 20, 37, 256000).astimezone()
    assert profile.first_connected == local.astimezone(UTC)
    assert profile.last_connected is None
    assert parse_systemtime([0] * 16) is None


def test_offline_windows_pc_reports_its_profiles_as_evidence() -> None:
    found = network.collect(windows_ctx(sample("network.json"), role=Role.OFFLINE))
    assert [p.name for p in found.profiles][:2] == ["shieldbase.local", "ContosoCORP"]
    assert {"network_profile", "wifi_profile", "default_route"} <= {e.kind for e in found.evidence}
    assert found.reachability == []


def test_it_reads_bios_date_and_drops_oem_placeholders() -> None:
    found = hardware.collect(windows_ctx(sample("hardware.json")))
    assert found.errors == []
    assert (found.manufacturer, found.model, found.serial) == ("", "", "")
    assert found.bios_release_date == date(2019, 6, 12)


def test_the_hardware_probe_adds_recorded_physical_disks_and_real_printers_only() -> None:
    found = hardware.collect(windows_ctx(sample("hardware.json")))
    assert found.errors == []
    name = "SAMSUNG MZFLV256HCHP-000MV"
    assert [d for d in found.disks if d.model] == [Disk(device=name, model=name, total_bytes=256060514304,
                                                          media="nvme", health="healthy")]
    assert found.peripherals == [Peripheral(kind="printer", name="HP LaserJet 1018")]


@pytest.mark.parametrize(
    ("index", "media"),
    # Get-PhysicalDisk | Select * prints the Storage module's names (README: get-physicaldisk.json)
    [(0, "ssd"), (1, "nvme")],
)
def test_it_reads_recorded_physical_disks_whose_enums_are_names(index: int, media: str) -> None:
    row = json.loads(sample("get-physicaldisk.json"))[index]
    (disk,) = hardware.parse_physical_disks([row])
    assert (disk.model, disk.total_bytes) == (row["FriendlyName"], row["Size"])
    assert (disk.media, disk.health) == (media, "healthy")


def test_software_printers_are_left_out_whatever_their_port_monitor() -> None:
    # the recording's Foxit Reader PDF Printer prints to the port monitor's FOXIT_Reader: port
    printers = json.loads(sample("win32-printer.json"))
    assert hardware.parse_windows_peripherals([], printers) == [Peripheral(kind="printer", name="HP LaserJet 1018")]


def test_it_reads_wbadmin_version_identifiers_in_utc() -> None:
    newest = backup.parse_wbadmin_versions(sample("wbadmin-get-versions.txt"))
    assert newest == datetime(2018, 6, 13, 7, 7, tzinfo=UTC)
    assert backup.parse_wbadmin_versions("") is None


# --- readers without a recorded sample (documented property names only) -------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [({"NoDriveTypeAutoRun": 255}, True), ({"NoDriveTypeAutoRun": 145}, False), ({"NoAutorun": 1}, True),
     ({}, None), (None, None)],
)
def test_it_reads_the_autorun_policy(row: object, expected: bool | None) -> None:
    assert hardening.autorun_disabled(row) is expected


@pytest.mark.parametrize(
    ("row", "expected"),
    # MSFT_PhysicalDisk's documented numbers (reference §5) next to the names the recordings show
    [({"HealthStatus": 0, "MediaType": 3, "BusType": 11}, ("healthy", "hdd")),
     ({"HealthStatus": "Warning", "MediaType": "HDD", "BusType": "SATA"}, ("warning", "hdd")),
     ({"HealthStatus": 2, "MediaType": 4, "BusType": 17}, ("unhealthy", "nvme")),
     ({"HealthStatus": "Unhealthy", "MediaType": "Unspecified", "BusType": "USB"}, ("unhealthy", "")),
     ({"HealthStatus": 5, "MediaType": 0, "BusType": 7}, ("", "")),
     ({"HealthStatus": "Unknown", "MediaType": 5, "BusType": None}, ("", "scm")),
     ({}, ("", ""))],
)
def test_it_reads_disk_health_and_media_as_numbers_or_names(row: dict[str, object], expected: tuple[str, str]) -> None:
    (disk,) = hardware.parse_physical_disks([{"FriendlyName": "d", **row}])
    assert (disk.health, disk.media) == expected


def test_it_lists_image_class_devices_as_scanners_absent_when_not_present() -> None:
    # Win32_PnPEntity Name and Present (Boolean) as documented; no scanner's row was found recorded (the
    # Image class's recorded row is a webcam: test_windows_recordings)
    rows = [{"Name": "scanner a", "Present": True, "Status": "OK"}, {"Name": "scanner b", "Present": False}]
    assert hardware.parse_windows_peripherals(rows, []) == [Peripheral(kind="scanner", name="scanner a"),
                                                            Peripheral(kind="scanner", name="scanner b", present=False)]


# --- hardening, on recordings (README: hardening.json) ---------------------------------------------


def test_it_reads_firewall_profiles_and_local_accounts_as_windows_prints_them() -> None:
    found = hardening.collect(windows_ctx(sample("hardening.json")))
    assert found.errors == []
    assert found.firewall_enabled == {"domain": True, "private": True, "public": True}  # GpoBoolean 1
    assert (found.smb1_enabled, found.disk_encrypted) == (False, True)  # BitLocker ProtectionStatus 1 = On
    administrator, guest = found.local_accounts
    assert (administrator.name, administrator.enabled, administrator.admin) == ("Administrator", True, True)
    assert (guest.name, guest.enabled, guest.admin, guest.last_logon) == ("Guest", False, False, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    # GpoBoolean values of the recorded MSFT_NetFirewallProfile (Enabled 1, LogAllowed 0,
    # AllowInboundRules 2 = NotConfigured), and the names Format-List prints for them
    [(1, True), (0, False), (2, None), ("True", True), ("False", False), ("NotConfigured", None), (True, True)],
)
def test_it_reads_a_gpo_boolean_as_number_or_name(value: object, expected: bool | None) -> None:
    assert hardening.parse_gpo_boolean(value) is expected


def test_a_policies_system_key_without_an_inactivity_limit_leaves_it_unknown() -> None:
    # hardening.json's inactivity part: the recorded key has no InactivityTimeoutSecs, the script prints null
    found = hardening.collect(windows_ctx(sample("hardening.json")))
    assert found.screen_lock_timeout_s is None
    assert "inactivity" not in {e.what for e in found.errors}


def test_an_unprotected_system_drive_is_not_encrypted() -> None:
    # the recording's second volume (E:, ProtectionStatus 0 = Off), as the script's part would hold it
    found = hardening.parse_windows_hardening('{"bitlocker": {"ProtectionStatus": 0}}')
    assert found.disk_encrypted is False


def test_a_firewall_profile_not_configured_is_not_counted_as_on() -> None:
    # bool(2) is True: the profile used to be reported on
    errors: list[ProbeError] = []
    assert hardening.firewall_profiles([{"Name": "Domain", "Enabled": 2}, {"Name": "Public", "Enabled": 0}],
                                       errors) == {"public": False}
    assert [e.what for e in errors] == ["firewall domain"]


def test_it_marks_local_administrators_by_their_unqualified_name() -> None:
    users = [{"Name": "Administrator", "Enabled": False}, {"Name": "canbo", "Enabled": True, "LastLogon": None}]
    accounts = hardening.windows_accounts(users, [{"Name": "PC-01\\canbo"}])
    assert [(a.name, a.enabled, a.admin) for a in accounts] == [("Administrator", False, False), ("canbo", True, True)]


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="UTF-8"?>',
                                         '<?xml version="1.0" encoding="UTF-16"?>', "\ufeff"])
def test_xml_a_part_printed_is_read_as_decoded_text_whatever_its_declaration(declaration: str) -> None:
    # Get-Content hands PowerShell the file already decoded: a UTF-16 declaration must not be re-applied
    assert windows.parse_xml(f"{declaration}<ESET><A>Tân Hòa</A></ESET>").findtext("A") == "Tân Hòa"


def test_text_that_is_not_xml_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not XML"):
        windows.parse_xml("Get-Content : Cannot find path")
