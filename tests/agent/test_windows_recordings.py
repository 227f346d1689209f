"""The Windows readers on the recordings added for issue 19 (tests/fixtures/windows/README.md names
each one's origin: WMI dumps and registry exports of real machines from the GLPI agent's test
resources, an NTUSER.DAT hive of regipy's test data): numeric disk enums, an Image-class webcam,
the uninstall keys of a Windows XP machine, the autorun policy, the KMS host of a volume
activation, the signed-in and last users, the antivirus licence states. PowerShell is replaced by
a runner printing the samples (the one seam mocked)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from agent import windows
from agent.probes import ProbeContext, antivirus_licences, hardening, hardware, licence, software, users
from agent.programs import CommandResult
from agent.wire.schema import AntivirusLicence, Disk, InteractiveUser, LicenceState, ProbeError

WINDOWS = Path(__file__).resolve().parent.parent / "fixtures" / "windows"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def sample(name: str) -> Any:
    return json.loads((WINDOWS / name).read_text(encoding="utf-8"))


def windows_ctx(parts: Mapping[str, Any]) -> ProbeContext:
    def run(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None) -> CommandResult:
        assert argv[0] == "powershell.exe" and "-EncodedCommand" in argv
        return CommandResult(0, json.dumps(parts), "")

    return ProbeContext(now=NOW, system="Windows", run=run)


# --- hardware: MSFT_PhysicalDisk as numbers, the Image class ---------------------------------------


def test_it_reads_physical_disks_whose_enums_are_the_raw_numbers() -> None:
    # Get-CimInstance without the Storage module's adapted names: BusType 17 NVMe, MediaType 4 SSD / 0
    # Unspecified, HealthStatus 0 Healthy (a Latitude 7480 and a VirtualBox disk)
    assert hardware.parse_physical_disks(sample("msft-physicaldisk.wmi.json")) == [
        Disk(device="PC300 NVMe SK hynix 512GB", model="PC300 NVMe SK hynix 512GB", total_bytes=512110190592,
             media="nvme", health="healthy"),
        Disk(device="VBOX HARDDISK", model="VBOX HARDDISK", total_bytes=53687091200, media="", health="healthy"),
    ]


def test_a_webcam_of_the_image_class_is_not_counted_as_a_scanner() -> None:
    # Windows 7's "Périphérique vidéo USB" (usbvideo, USB\Class_0e) is in the Image class with scanners
    (camera,) = sample("win32-pnpentity-image.json")
    assert hardware.is_camera(camera)
    assert hardware.parse_windows_peripherals([camera], []) == []
    found = hardware.collect(windows_ctx(sample("hardware.json")))
    assert found.errors == [] and [p.kind for p in found.peripherals] == ["printer"]


@pytest.mark.parametrize(
    ("changed", "camera"),
    # the recorded row with its camera marks taken away one by one: either one alone tells
    [({"Service": None}, True), ({"CompatibleID": None}, True), ({"CompatibleID": "USB\\Class_0e"}, True),
     ({"Service": "usbscan", "CompatibleID": ["USB\\Class_ff"]}, False)],
)
def test_a_camera_is_known_by_its_driver_or_its_usb_video_class(changed: dict[str, Any], camera: bool) -> None:
    (row,) = sample("win32-pnpentity-image.json")
    assert hardware.is_camera(row | changed) is camera


def test_the_scanner_query_names_the_image_class_by_guid_which_windows_7_has() -> None:
    # the recording (Windows 7) has ClassGuid and no PNPClass, a property Windows 10 added
    (row,) = sample("win32-pnpentity-image.json")
    assert "PNPClass" not in hardware.WINDOWS_PARTS["scanners"]
    assert hardware.IMAGE_CLASS_GUID in hardware.WINDOWS_PARTS["scanners"]
    assert set(row) <= {"Name", "Present", "Status", "Service", "CompatibleID"}


# --- software: a Windows XP machine's uninstall keys -------------------------------------------


def test_it_lists_what_add_remove_programs_shows_of_a_recorded_uninstall_export() -> None:
    rows = windows.rows(sample("software-xp.json")["programs"])
    found = software.parse_windows_software(json.dumps(sample("software-xp.json")))
    names = {p.name for p in found.programs}
    assert found.errors == [] and len(rows) == 470
    assert {"Microsoft Office Professional Plus 2010", "Symantec Endpoint Protection", "Mozilla Firefox 10.0.2 "
            "(x86 en-US)", "Windows Internet Explorer 8"} <= names
    shown = {windows.as_text(r["DisplayName"]) for r in rows if r["SystemComponent"] != 1 and not r["ParentKeyName"]}
    # SystemComponent = 1: Office's own MSI components, the XPS pack; a name may also have a visible
    # entry of its own (.NET Framework 1.1's MSI key is hidden, its "(1033)" key is not)
    hidden = {windows.as_text(r["DisplayName"]) for r in rows if r["SystemComponent"] == 1} - shown
    assert "XML Paper Specification Shared Components Pack 1.0" in hidden and not hidden & names
    # ParentKeyName: the 300-odd updates of Windows XP and Office
    updates = {windows.as_text(r["DisplayName"]) for r in rows if r["ParentKeyName"]} - shown
    assert "Security Update for Windows XP (KB2079403)" in updates and not updates & names
    assert names == shown - {""} and len(found.programs) == 64


# --- hardening: the Explorer autorun policy -----------------------------------------------------


def test_the_recorded_default_autorun_policy_does_not_turn_autorun_off_everywhere() -> None:
    # 0x91 (145): drives of unknown type (0x01), network drives (0x10) and bit 0x80 only; removable
    # drives (0x04) and CD drives (0x20) still autorun
    row = sample("policies-explorer.ntuser.json")
    assert hardening.autorun_disabled(row) is False
    found = hardening.parse_windows_hardening(json.dumps({"autorun": row}))
    assert (found.autorun_disabled, found.errors) == (False, [])


# --- licence: the KMS host ----------------------------------------------------------------------


def test_it_reads_the_configured_kms_host_of_a_recorded_volume_activation() -> None:
    (row,) = sample("softwarelicensingproduct-kms.json")
    # configured mydomain.ms.com on the default port wins over the discovered 10.11.12.13
    assert licence.parse_kms_host(row, {}) == ("mydomain.ms.com", False)


@pytest.mark.parametrize(
    ("changed", "service", "expected"),
    # the recorded row with its configured host taken away or moved, as slmgr /ckms, /skms would leave it
    [({"KeyManagementServiceMachine": ""}, {}, ("10.11.12.13", True)),
     ({"KeyManagementServiceMachine": None, "DiscoveredKeyManagementServiceMachineName": "kms.tinh.gov.vn"}, {},
      ("kms.tinh.gov.vn", True)),
     ({"KeyManagementServiceMachine": ""}, {"KeyManagementServiceMachine": "kms01", "KeyManagementServicePort": 1700},
      ("kms01:1700", False)),
     ({"KeyManagementServiceMachine": "", "DiscoveredKeyManagementServiceMachineIpAddress": ""}, {}, ("", None)),
     ({"ProductKeyChannel": "Retail", "Description": "Office 16, RETAIL channel"}, {}, ("", None))],
)
def test_the_kms_host_is_configured_then_discovered_and_only_for_kms_clients(
        changed: dict[str, Any], service: dict[str, Any], expected: tuple[str, bool | None]) -> None:
    (row,) = sample("softwarelicensingproduct-kms.json")
    assert licence.parse_kms_host(row | changed, service) == expected


def test_the_licence_probe_reports_the_kms_host_with_the_activation() -> None:
    (row,) = sample("softwarelicensingproduct-kms.json")
    parts = sample("licence.json") | {"os": json.dumps([row])}
    found = licence.collect(windows_ctx(parts))
    assert (found.os_licence_status, found.os_licence_channel) == ("licensed", "Volume:GVLK")
    assert (found.kms_host, found.kms_host_discovered) == ("mydomain.ms.com", False)
    # Windows 7's slmgr sample: a KMS client whose source shows no host
    windows7 = licence.collect(windows_ctx(sample("licence.json")))
    assert (windows7.kms_host, windows7.kms_host_discovered) == ("", None)


def test_a_failed_licensing_service_part_keeps_the_products_host() -> None:
    (row,) = sample("softwarelicensingproduct-kms.json")
    parts = sample("licence.json") | {"os": json.dumps([row]), "kms_service": {"error": "Invalid class"}}
    found = licence.collect(windows_ctx(parts))
    assert found.errors == [ProbeError(what="kms_service", reason="Invalid class")]
    assert found.kms_host == "mydomain.ms.com"


# --- licence: each antivirus product's own licence ----------------------------------------------


ESET_ROW = {"displayName": "ESET Smart Security", "productState": 266240}


@pytest.mark.parametrize(
    ("today", "state"),
    [(date(2026, 11, 22), LicenceState.EXPIRED), (date(2019, 12, 11), LicenceState.ACTIVE)],
)
def test_the_eset_licence_is_active_until_its_recorded_end(today: date, state: LicenceState) -> None:
    text = (WINDOWS / "eset-license.xml").read_text(encoding="utf-8")
    found = antivirus_licences.eset_licence(text, [], today)
    assert found == AntivirusLicence(product="ESET Smart Security", state=state, expires=date(2019, 12, 11),
                                     source=antivirus_licences.ESET_FILE)


def test_the_licence_probe_lists_eset_and_security_centers_expired_products() -> None:
    eset = (WINDOWS / "eset-license.xml").read_text(encoding="utf-8")
    # the recorded Security Center rows, with a product in the "expired" state (0x3000) beside them
    expired = {"displayName": "Kaspersky", "productState": 0x43000}
    products = [*windows.rows(sample("licence.json")["antivirus"]), expired]
    parts = sample("licence.json") | {"eset": eset, "antivirus": json.dumps(products)}
    found = licence.collect(windows_ctx(parts))
    assert found.antivirus_licence_expires == date(2019, 12, 11)  # the older field still filled
    assert found.antivirus_licence_expired is True
    assert found.antivirus_licences == [
        AntivirusLicence(product="ESET Smart Security", state=LicenceState.EXPIRED, expires=date(2019, 12, 11),
                         source="ESET license.lf"),
        AntivirusLicence(product="Kaspersky", state=LicenceState.EXPIRED, source="Security Center")]


def test_security_center_states_other_than_expired_say_nothing_of_the_licence() -> None:
    # the recorded Trend Micro (on), Sophos (on) and Defender (off) rows of licence.json
    assert antivirus_licences.security_center_licences(windows.rows(sample("licence.json")["antivirus"])) == []
    named = antivirus_licences.eset_licence((WINDOWS / "eset-license.xml").read_text(encoding="utf-8"),
                                            [ESET_ROW], date(2019, 1, 1))
    assert named is not None and named.product == "ESET Smart Security"


# --- users: the console user, LogonUI's last user ------------------------------------------------


def test_it_reads_the_signed_in_user_of_a_recorded_entra_id_pc() -> None:
    found = users.collect(windows_ctx(sample("users.json")))
    # no Win32_UserProfile recording was found (README): that part is missing from the sample
    assert found.errors == [ProbeError(what="profiles", reason="missing from the script's output")]
    assert found.users == [InteractiveUser(name="AzureAD\\JohnDoe", signed_in=True, source=users.SESSION)]


@pytest.mark.parametrize(
    ("machine", "name"),
    [("10-standalone", "teclib"), ("7-ad", "AD\\teclib"), ("11-azuread", "AzureAD\\JohnDoe")],
)
def test_logonuis_last_user_is_listed_when_nobody_is_signed_in(machine: str, name: str) -> None:
    parts = {"session": {"UserName": None}, "last_logon": sample("logonui.json")[machine], "profiles": "[]"}
    found = users.parse_windows_users(json.dumps(parts))
    assert (found.errors, found.users) == ([], [InteractiveUser(name=name, source=users.LAST_LOGON)])


def test_profiles_give_last_use_and_service_profiles_are_left_out() -> None:
    # Win32_UserProfile's documented properties, as the script prints them (no recording found)
    profiles = [
        {"Sid": "S-1-5-21-1004336348-1177238915-682003330-1001", "LocalPath": "C:\\Users\\canbo", "Loaded": True,
         "LastUseTime": "2026-11-20T01:15:00.0000000Z", "Name": "PC-01\\canbo"},
        {"Sid": "S-1-12-1-1778064242-1251273316-772277320-2482684374", "LocalPath": "C:\\Users\\JohnDoe",
         "Loaded": False, "LastUseTime": None, "Name": None},
        {"Sid": "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003", "LocalPath":
         "C:\\Windows\\ServiceProfiles\\MSSQL", "Loaded": True, "LastUseTime": None, "Name": "NT SERVICE\\MSSQL"},
    ]
    found = users.merge_users(users.parse_profiles(profiles), "PC-01\\canbo", "PC-01\\canbo")
    assert found == [
        InteractiveUser(name="PC-01\\canbo", signed_in=True, last_use=datetime(2026, 11, 20, 1, 15, tzinfo=UTC),
                        source=users.PROFILE),
        InteractiveUser(name="JohnDoe", source=users.PROFILE)]
