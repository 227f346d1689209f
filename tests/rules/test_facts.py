"""The facts builder: one pure function from a report (+ plain metadata) to flat facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agent.wire.schema import (
    Antivirus,
    AntivirusProduct,
    Backup,
    BackupSource,
    Detection,
    Hardening,
    Hardware,
    Identity,
    Interface,
    Licence,
    LocalAccount,
    Network,
    NetworkProfile,
    Program,
    Reachability,
    Report,
    Role,
    Software,
)
from rules.facts import CATALOGUE, MachineContext, UnitAggregate, machine_facts, unit_facts

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
MACHINE_FACTS = {f.name for f in CATALOGUE if f.scope == "machine"}


def bare(role: Role = Role.NORMAL, **sections: object) -> Report:
    identity = Identity(agent_id="a", sequence=1, hostname="pc", os_name="Windows", os_version="11",
                        collected_at=NOW)
    return Report(role=role, identity=identity, **sections)  # type: ignore[arg-type]


def full() -> Report:
    return bare(
        hardware=Hardware(bios_release_date=date(2016, 1, 1), ram_bytes=8 * 2**30),
        antivirus=Antivirus(products=[AntivirusProduct(name="Kaspersky Endpoint Security", enabled=True,
                                                       realtime_on=True, signatures_date=NOW - timedelta(days=3))],
                            detections=[Detection(threat="Trojan:Win32/X")]),
        licence=Licence(os_activated=True),
        network=Network(interfaces=[Interface(name="eth0", is_up=True, carrier=True, addresses=["192.168.1.5/24"])],
                        default_gateway="192.168.1.1",
                        reachability=[Reachability(target="1.1.1.1", kind="internet", method="tcp", reachable=True)]),
        backup=Backup(sources=[BackupSource(kind="folder", location="D:/", last_success=NOW - timedelta(days=100))]),
        software=Software(programs=[Program(name="UltraViewer 6.6"), Program(name="Zalo"),
                                    Program(name="LibreOffice")]),
        hardening=Hardening(firewall_enabled={"domain": True, "public": False}, screen_lock_timeout_s=600,
                            last_os_update=NOW - timedelta(days=40)),
    )


def test_every_machine_fact_is_present_and_nothing_else() -> None:
    assert set(machine_facts(bare(), MachineContext(), NOW)) == MACHINE_FACTS
    assert set(machine_facts(full(), MachineContext(), NOW)) == MACHINE_FACTS


def test_sections_not_reported_are_unknown_not_false() -> None:
    facts = machine_facts(bare(), MachineContext(), NOW)
    for name in ("av.installed", "backup.age_days", "net.connected", "fw.enabled", "software.chat",
                 "evidence.network_since_last_report", "agent.silent_hours", "lan.mac_seen"):
        assert facts[name] is None, name


def test_it_reads_a_full_report() -> None:
    facts = machine_facts(full(), MachineContext(via_network=True, last_seen_at=NOW - timedelta(hours=5)), NOW)
    assert facts["av.any_enabled"] is True and facts["av.signature_age_days"] == 3 and facts["av.detections"] == 1
    assert facts["av.licensed"] is False
    assert facts["backup.age_days"] == 100 and facts["hw.age_years"] == 10 and facts["hw.ram_mib"] == 8192
    assert facts["net.internet_reachable"] is True and facts["net.dedicated_line_reachable"] is None
    assert facts["fw.enabled"] is False and facts["os.update_age_days"] == 40
    assert facts["software.remote_access"] == ["UltraViewer 6.6"] and facts["software.chat"] == ["Zalo"]
    assert facts["software.cloud_sync"] == [] and facts["agent.silent_hours"] == 5
    assert facts["os.name"] == "Windows 11" and facts["report.via_network"] is True


def test_each_program_is_listed_under_every_class_it_falls_in_in_its_order_whatever_its_case() -> None:
    names = ["ZALO PC 24.9", "Bench Program 0001", "TeamViewer 15 and Zoom Workplace", "Microsoft OneDrive",
             "zalo pc 24.9", "AnyDesk", "Bench Program 0001"]
    report = bare(software=Software(programs=[Program(name=n) for n in names]))
    facts = machine_facts(report, MachineContext(), NOW)
    assert facts["software.count"] == 7
    assert facts["software.remote_access"] == ["TeamViewer 15 and Zoom Workplace", "AnyDesk"]
    assert facts["software.chat"] == ["ZALO PC 24.9", "TeamViewer 15 and Zoom Workplace", "zalo pc 24.9"]
    assert facts["software.cloud_sync"] == ["Microsoft OneDrive"]
    empty = machine_facts(bare(software=Software(programs=[])), MachineContext(), NOW)
    assert (empty["software.count"], empty["software.chat"]) == (0, [])


def test_a_register_entry_or_a_free_product_protecting_makes_antivirus_licensed() -> None:
    from rules.licences import LicenceCover

    kaspersky = LicenceCover(product="Kaspersky", pattern="kaspersky*", seats=16, expires_on=date(2027, 1, 1))
    assert machine_facts(full(), MachineContext(licences=[kaspersky]), NOW)["av.licensed"] is True
    defender = bare(antivirus=Antivirus(products=[AntivirusProduct(name="Microsoft Defender Antivirus",
                                                                   enabled=True, realtime_on=True)]))
    assert machine_facts(defender, MachineContext(), NOW)["av.licensed"] is True


def test_an_offline_pc_with_nothing_connected_shows_no_evidence() -> None:
    report = bare(Role.OFFLINE, network=Network(interfaces=[Interface(name="eth0", is_up=False)]))
    facts = machine_facts(report, MachineContext(previous_collected_at=NOW - timedelta(days=7)), NOW)
    assert facts["evidence.network_since_last_report"] is False
    assert facts["evidence.beyond_lan_since_last_report"] is False


def test_a_link_local_address_alone_is_not_a_connection() -> None:
    report = bare(network=Network(interfaces=[Interface(name="eth0", is_up=True, addresses=["169.254.3.4/16"])]))
    assert machine_facts(report, MachineContext(), NOW)["net.connected"] is False


@pytest.mark.parametrize(("addresses", "connected"), [
    (["10.11.0.12"], True), (["10.11.0.12/24"], True), (["169.254.3.4"], False), (["127.0.0.1/8"], False),
    (["fe80::1%eth0"], False), (["fe80::1/64"], False), (["2001:db8::5"], True), (["2001:db8::5/64"], True),
    (["10.0.0.1/40"], False), (["not an address"], False), (["10.0.0.01"], False), (["169.254.3.4", "10.1.2.3"], True),
])
def test_an_address_given_bare_or_with_its_prefix_reads_the_same(addresses: list[str], connected: bool) -> None:
    report = bare(network=Network(interfaces=[Interface(name="eth0", is_up=True, addresses=addresses)]))
    assert machine_facts(report, MachineContext(), NOW)["net.connected"] is connected


def test_a_wifi_profile_used_since_the_last_report_is_evidence_beyond_the_lan() -> None:
    profile = NetworkProfile(name="Cafe", kind="wifi", last_connected=NOW - timedelta(days=1))
    report = bare(Role.OFFLINE, network=Network(profiles=[profile]))
    facts = machine_facts(report, MachineContext(previous_collected_at=NOW - timedelta(days=7)), NOW)
    assert facts["net.new_profiles"] == 1 and facts["net.wifi_profiles"] == 1
    assert facts["evidence.network_since_last_report"] is True
    assert facts["evidence.beyond_lan_since_last_report"] is True


def test_unit_facts() -> None:
    facts = unit_facts(UnitAggregate(kind="commune", machines=3, seats_exceeded=["BKAV"]))
    assert facts["licence.seats_exceeded"] == ["BKAV"] and facts["readiness.below_target"] is None
    assert set(facts) == {f.name for f in CATALOGUE if f.scope == "unit"}


def test_it_counts_enabled_local_administrators_from_the_accounts() -> None:
    accounts = [LocalAccount(name="Administrator", enabled=False, admin=True),
                LocalAccount(name="canbo", enabled=True, admin=True),
                LocalAccount(name="ketoan", enabled=True, admin=True),
                LocalAccount(name="khach", enabled=True, admin=False)]
    facts = machine_facts(bare(hardening=Hardening(local_accounts=accounts)), MachineContext(), NOW)
    assert facts["accounts.enabled_admins"] == 2


def test_no_account_list_leaves_the_administrator_count_unknown() -> None:
    facts = machine_facts(bare(hardening=Hardening()), MachineContext(), NOW)
    assert facts["accounts.enabled_admins"] is None
