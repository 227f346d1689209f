"""Licensed antivirus is judged on the product that protects the PC (enabled, real-time): a
built-in free product only as itself, others by the register (within seats) or the vendor's state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from agent.probes.antivirus import parse_windows_antivirus
from agent.probes.licence import parse_eset_license
from agent.wire.schema import Antivirus, AntivirusLicence, AntivirusProduct, Detection, Identity, Licence, Report
from rules.antivirus_licence import LicenceWhy, is_builtin_free, judge_av_licence, licence_reason
from rules.facts import MachineContext, machine_facts
from rules.licences import LicenceCover, covers_of, ranks

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
WINDOWS = Path(__file__).resolve().parents[1] / "fixtures" / "windows"


def product(name: str, enabled: bool | None = True, realtime: bool | None = True) -> AntivirusProduct:
    return AntivirusProduct(name=name, enabled=enabled, realtime_on=realtime)


DEFENDER_OFF = product("Windows Defender", enabled=False, realtime=False)
BKAV = product("BKAV Pro")
KASPERSKY = product("Kaspersky Endpoint Security")


def cover(pattern: str, seats: int = 16, expires: date = date(2027, 12, 31), rank: int | None = 1) -> LicenceCover:
    return LicenceCover(product=pattern.strip("*"), pattern=pattern, seats=seats, expires_on=expires, rank=rank)


@pytest.mark.parametrize(("products", "licence", "covers", "licensed", "why"), [
    # the case: an unregistered product protects, Defender is off but listed
    ([BKAV, DEFENDER_OFF], None, [], False, LicenceWhy.NOT_IN_REGISTER),
    ([BKAV, DEFENDER_OFF], None, [cover("bkav*")], True, LicenceWhy.REGISTER),
    ([product("Windows Defender")], None, [], True, LicenceWhy.FREE),
    ([product("Microsoft Defender Antivirus")], None, [], True, LicenceWhy.FREE),
    ([product("ClamAV")], None, [], True, LicenceWhy.FREE),
    ([product("Bitdefender Endpoint Security")], None, [], False, LicenceWhy.NOT_IN_REGISTER),  # not Defender
    ([DEFENDER_OFF], None, [], False, LicenceWhy.NONE_PROTECTING),
    ([product("Windows Defender", realtime=False)], None, [], False, LicenceWhy.NONE_PROTECTING),
    ([product("BKAV Pro", enabled=None)], None, [], None, LicenceWhy.UNKNOWN),
    ([], None, [], False, LicenceWhy.NOT_INSTALLED),
    ([KASPERSKY], None, [cover("kaspersky*", seats=16, rank=17)], False, LicenceWhy.OVER_SEATS),
    ([KASPERSKY], None, [cover("kaspersky*", seats=16, rank=16)], True, LicenceWhy.REGISTER),
    ([KASPERSKY], None, [cover("kaspersky*", expires=date(2025, 12, 31))], False, LicenceWhy.REGISTER_EXPIRED),
    # the vendor's own state: active counts without an entry; expired and trial win over the register
    ([KASPERSKY], Licence(antivirus_licences=[AntivirusLicence(product="Kaspersky Endpoint Security",
                                                               state="active", expires=date(2027, 3, 1))]),
     [], True, LicenceWhy.VENDOR),
    ([KASPERSKY], Licence(antivirus_licences=[AntivirusLicence(product="kaspersky endpoint security",
                                                               state="expired")]),
     [cover("kaspersky*")], False, LicenceWhy.VENDOR_EXPIRED),
    ([KASPERSKY], Licence(antivirus_licences=[AntivirusLicence(product="Kaspersky Endpoint Security",
                                                               state="trial")]),
     [cover("kaspersky*")], False, LicenceWhy.VENDOR_TRIAL),
    ([KASPERSKY], Licence(antivirus_licence_expired=True), [cover("kaspersky*")], False, LicenceWhy.VENDOR_EXPIRED),
    # Defender protecting beside an unlicensed product that is off: licensed as Defender
    ([product("Windows Defender"), product("BKAV Pro", enabled=False)], None, [], True, LicenceWhy.FREE),
])
def test_it_judges_the_product_that_protects(products: list[AntivirusProduct], licence: Licence | None,
                                             covers: list[LicenceCover], licensed: bool | None,
                                             why: LicenceWhy) -> None:
    verdict = judge_av_licence(Antivirus(products=products), licence, covers, TODAY)
    assert (verdict.licensed, verdict.why) == (licensed, why)


def test_no_antivirus_section_is_unknown_not_unlicensed() -> None:
    assert judge_av_licence(None, None, [], TODAY).licensed is None


def test_on_a_recorded_security_center_two_products_on_and_defender_off_need_a_register_entry() -> None:
    """tests/fixtures/windows/antivirus.client.json: SecurityCenter2 rows of Trend Micro (266240,
    on), Sophos (331776, on) and Windows Defender (393472, off) (PSHelpers help text, reference §1a)."""
    recorded = datetime(2024, 4, 10, tzinfo=UTC)  # near the recording: its detection is then recent
    section = parse_windows_antivirus((WINDOWS / "antivirus.client.json").read_text(encoding="utf-8"), recorded)
    report = Report(identity=Identity(hostname="pc", collected_at=NOW), antivirus=section)
    unregistered = machine_facts(report, MachineContext(), NOW)
    assert unregistered["av.licensed"] is False  # before: True, because "Windows Defender" was listed
    assert unregistered["av.protecting"] == ["Trend Micro Antivirus+", "Sophos Home"]
    registered = machine_facts(report, MachineContext(licences=[cover("trend micro*")]), NOW)
    assert registered["av.licensed"] is True
    assert registered["av.licence_days_left"] == (date(2027, 12, 31) - TODAY).days
    assert unregistered["av.detections"] == 1 and unregistered["av.active_detections"] == 0  # quarantined


def test_a_recorded_eset_licence_that_ended_is_not_licensed_whatever_the_register_says() -> None:
    """tests/fixtures/windows/eset-license.xml: an ESET Smart Security license.lf whose active
    product ended 2019-12-11 (the product row itself is built here: its recording is the licence)."""
    ends = parse_eset_license((WINDOWS / "eset-license.xml").read_text(encoding="utf-8"))
    licence = Licence(antivirus_licence_expires=ends)
    verdict = judge_av_licence(Antivirus(products=[product("ESET Smart Security")]), licence,
                               [cover("eset*")], TODAY)
    assert (verdict.licensed, verdict.why, verdict.until) == (False, LicenceWhy.VENDOR_EXPIRED, date(2019, 12, 11))
    assert licence_reason(verdict.as_detail()).vi == "bản quyền ESET Smart Security hết hạn 12/2019"


@pytest.mark.parametrize(("why", "vi"), [
    (LicenceWhy.NOT_IN_REGISTER, "Kaspersky Endpoint Security không có trong sổ bản quyền của đơn vị"),
    (LicenceWhy.OVER_SEATS, "Kaspersky Endpoint Security: vượt số bản quyền (máy thứ 17, sổ có 16 bản quyền)"),
    (LicenceWhy.VENDOR_TRIAL, "Kaspersky Endpoint Security là bản dùng thử"),
    (LicenceWhy.NONE_PROTECTING, "không có phần mềm phòng chống mã độc nào đang bật bảo vệ thời gian thực"),
])
def test_the_reason_is_in_words(why: LicenceWhy, vi: str) -> None:
    detail = {"why": str(why), "product": "Kaspersky Endpoint Security", "until": None, "seats": 16, "rank": 17}
    assert licence_reason(detail).vi == vi


def test_seats_go_to_the_first_enrolled_installs() -> None:
    from rules.licences import LicenceTerm

    term = LicenceTerm(id=1, product="Kaspersky", pattern="kaspersky*", seats=2, unit_path="/1/",
                       expires_on=date(2027, 1, 1))
    holders = {1: ranks([42, 7, 19])}
    assert [c.rank for m in (7, 19, 42, 5) for c in covers_of(m, "/1/3/", [term], holders)] == [1, 2, 3, None]
    assert covers_of(7, "/2/", [term], holders) == []  # another subtree


def test_quarantined_detections_are_not_active_threats() -> None:
    detections = [Detection(threat="Trojan:Win32/A", action="quarantined"), Detection(threat="B", action="removed"),
                  Detection(threat="C", action="detected"), Detection(threat="D", action="quarantine failed")]
    report = Report(identity=Identity(hostname="pc", collected_at=NOW),
                    antivirus=Antivirus(products=[product("Windows Defender")], detections=detections))
    facts = machine_facts(report, MachineContext(), NOW)
    assert (facts["av.detections"], facts["av.active_detections"]) == (4, 2)
    assert facts["av.detection_list"][0] == "Trojan:Win32/A — quarantined"


def test_the_licence_days_left_feed_the_expiry_alert() -> None:
    soon = cover("kaspersky*", expires=TODAY + timedelta(days=12))
    report = Report(identity=Identity(hostname="pc", collected_at=NOW), antivirus=Antivirus(products=[KASPERSKY]))
    facts = machine_facts(report, MachineContext(licences=[soon]), NOW)
    assert (facts["av.licence_days_left"], facts["av.licence_product"]) == (12, "Kaspersky Endpoint Security")


@pytest.mark.parametrize(("name", "free"), [
    ("Windows Defender", True), ("  windows defender ", True), ("Microsoft Defender Antivirus", True),
    ("Microsoft Defender", True), ("ClamAV", True), ("ClamAV 1.4.1", True), ("Bitdefender Total Security", False),
    ("Windows Defender Pro", False), ("Kaspersky", False), ("my clamav", False), ("", False),
])
def test_the_built_in_free_products_are_whole_names(name: str, free: bool) -> None:
    assert is_builtin_free(name) is free
