"""Conformance: every registered probe has a test on recorded or real input (a fixture test),
listed here by name, so a new probe cannot be registered without one."""

from __future__ import annotations

import importlib

import pytest

from agent.probes import PROBES

# probe -> tests (module::function) that feed it recorded samples or real programs' output
FIXTURE_TESTS = {
    "identity": ["test_parse_linux::test_it_reads_name_and_version_from_debian_os_release"],
    "hardware": ["test_parse_windows::test_it_reads_bios_date_and_drops_oem_placeholders"],
    "network": ["test_parse_windows::test_it_reads_networklist_profiles_with_systemtime_dates",
                "test_windows_readers::test_the_network_probe_reads_the_recorded_script_output",
                "test_windows_readers::test_it_reads_wlan_profiles_whatever_the_display_language",
                "test_network_reachability::test_it_reads_a_real_dhclient_lease_with_its_router_and_time"],
    "antivirus": ["test_parse_windows::test_it_reads_every_security_center_product_and_merges_defenders_status",
                  "test_linux_real::test_it_reads_the_signature_header_sigtool_reads"],
    "licence": ["test_parse_windows::test_it_reads_the_activation_with_the_partial_key_only",
                "test_windows_recordings::test_the_licence_probe_reports_the_kms_host_with_the_activation"],
    "backup": ["test_linux_real::test_it_reads_the_newest_restic_snapshot",
               "test_linux_real::test_it_reads_the_newest_borg_archive",
               "test_parse_windows::test_it_reads_wbadmin_version_identifiers_in_utc",
               "test_windows_readers::test_the_windows_backup_probe_reads_wbadmin_and_file_history"],
    "certificates": ["test_linux_real::test_it_reads_pem_and_pkcs12_certificates_as_openssl_does"],
    "software": ["test_linux_real::test_it_lists_dpkg_packages_of_this_machine",
                 "test_windows_readers::test_it_lists_the_recorded_uninstall_entries_64_and_32_bit"],
    "hardening": ["test_linux_real::test_hardening_reads_this_machine",
                  "test_windows_recordings::test_the_recorded_default_autorun_policy_does_not_turn_autorun_off_everywhere"],
    "users": ["test_users_linux::test_it_lists_wtmps_accounts_and_who_is_signed_in_now",
              "test_windows_recordings::test_it_reads_the_signed_in_user_of_a_recorded_entra_id_pc",
              "test_windows_recordings::test_logonuis_last_user_is_listed_when_nobody_is_signed_in"],
}


def test_every_registered_probe_is_listed() -> None:
    assert set(FIXTURE_TESTS) == set(PROBES)


@pytest.mark.parametrize("name", sorted(FIXTURE_TESTS))
def test_every_probe_has_a_fixture_test_that_exists(name: str) -> None:
    for reference in FIXTURE_TESTS[name]:
        module, function = reference.split("::")
        assert callable(getattr(importlib.import_module(f"tests.agent.{module}"), function, None)), reference
