"""OS activation by a KMS host the province lists, digital-signature certificates, per-unit and
per-year indicator targets and parameters, and the evidence of an alert in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.wire.schema import Certificate, Certificates, Identity, Licence, Report
from rules.activation import kms_accepted
from rules.certificates import has_signing_certificate, signing_state
from rules.evidence import WORDED, evidence_words
from rules.facts import CATALOGUE, MachineContext, agentless_facts, machine_facts
from rules.indicators import IndicatorError, builtin_indicators, parse_indicator_override
from rules.loader import load_text

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

# The SoftwareLicensingProduct row of glpi-project/glpi-agent resources/win32/wmi/
# office_2016_01-SoftwareLicensingProduct.wmi (a real WMI dump, UTF-16; commit 77f7cdda): a volume
# activation, ProductKeyChannel=Volume:GVLK, LicenseStatus=1, KeyManagementServiceMachine=mydomain.ms.com,
# KeyManagementServicePort=1688, DiscoveredKeyManagementServiceMachineIpAddress=10.11.12.13. The
# Licence below holds what the licence probe reads from those properties (wt-19's reader).
RECORDED_KMS = Licence(os_activated=True, os_licence_status="licensed", os_licence_channel="Volume:GVLK",
                       kms_host="mydomain.ms.com", kms_host_discovered=False)


@pytest.mark.parametrize(("licence", "hosts", "activated", "accepted"), [
    (RECORDED_KMS, (), True, True),  # no list: any KMS host is accepted (the report says so)
    (RECORDED_KMS, ("mydomain.ms.com",), True, True),
    (RECORDED_KMS, ("MyDomain.MS.com.:1688",), True, True),
    (RECORDED_KMS, ("kms.dongthap.gov.vn",), False, False),  # what an activation crack's KMS gives
    (Licence(os_activated=True, os_licence_channel="Volume:GVLK", kms_host=""), ("kms.dongthap.gov.vn",), None, None),
    (Licence(os_activated=True, os_licence_channel="Retail"), ("kms.dongthap.gov.vn",), True, None),
    (Licence(os_activated=False, os_licence_channel="Volume:GVLK", kms_host="mydomain.ms.com"), (), False, True),
])
def test_a_volume_activation_counts_only_by_a_listed_kms_host(licence: Licence, hosts: tuple[str, ...],
                                                               activated: bool | None, accepted: bool | None) -> None:
    report = Report(identity=Identity(hostname="pc", collected_at=NOW), licence=licence)
    facts = machine_facts(report, MachineContext(kms_hosts=hosts), NOW)
    assert (facts["os.activated"], facts["os.kms_accepted"]) == (activated, accepted)
    assert kms_accepted(licence, hosts) is accepted


def _cert(days: int, usage: list[str] | None = None, issuer: str = "CN=VNPT Certification Authority, O=VNPT Group",
          started: int = -300) -> Certificate:
    return Certificate(subject="CN=NGUYỄN VĂN AN", issuer=issuer, not_before=NOW + timedelta(days=started),
                       not_after=NOW + timedelta(days=days),
                       key_usage=["digitalSignature", "nonRepudiation"] if usage is None else usage)


ISSUERS = builtin_indicators().get("certs_valid").parameters["issuers"]


@pytest.mark.parametrize(("certs", "days", "signing"), [
    ([_cert(200)], 200, True),
    ([_cert(20)], 20, False),  # valid, but fewer than 30 days left: counted only once renewed
    ([_cert(200, ["keyEncipherment"])], None, False),  # not a signing certificate
    ([_cert(200, ["keyEncipherment"]), _cert(40, ["nonRepudiation"])], 40, True),
    ([_cert(200, [])], None, None),  # key usage not read: unknown, never a silent pass
    ([_cert(200, issuer="CN=Let's Encrypt R3")], None, False),  # an issuer the province does not list
    ([_cert(200, issuer="CN=Cục Chứng thực số và Bảo mật thông tin, OU=Ban Cơ yếu Chính phủ")], 200, True),
    ([_cert(-1)], None, False),  # expired
    ([_cert(200, started=5)], None, False),  # not yet valid
    ([], None, False),
])
def test_signing_certificates_count_by_usage_issuer_and_days_left(certs: list[Certificate], days: int | None,
                                                                   signing: bool | None) -> None:
    state = signing_state(Certificates(certificates=certs), ISSUERS, NOW)
    assert (state.days_left, has_signing_certificate(state, 30)) == (days, signing)


def test_no_certificate_section_is_unknown() -> None:
    assert has_signing_certificate(signing_state(None, ISSUERS, NOW), 30) is None


def test_indicator_targets_and_parameters_apply_per_unit_and_year() -> None:
    text = """
pack: province
rules: []
indicators:
  - {unit: DT, indicator: av_licensed, target: 95}
  - {unit: DT, indicator: av_licensed, year: 2026, target: 90}
  - {unit: DT-TANHOA, indicator: av_licensed, year: 2027, target: 99}
  - {unit: DT, indicator: os_activated, parameters: {kms_hosts: [kms.dongthap.gov.vn]}}
"""
    loaded = load_text(text, "province.yaml")
    assert loaded.errors == []
    indicators = builtin_indicators().with_overrides(tuple(loaded.indicator_overrides))
    target = {(chain, year): indicators.for_unit(chain, year).get("av_licensed").target
              for chain in (("DT",), ("DT", "DT-TANHOA"), ("OTHER",)) for year in (2025, 2026, 2027)}
    assert target == {(("DT",), 2025): 95, (("DT",), 2026): 90, (("DT",), 2027): 95,
                      (("DT", "DT-TANHOA"), 2025): 95, (("DT", "DT-TANHOA"), 2026): 90,
                      (("DT", "DT-TANHOA"), 2027): 99,
                      (("OTHER",), 2025): 100, (("OTHER",), 2026): 100, (("OTHER",), 2027): 100}
    assert indicators.for_unit(("DT", "DT-TANHOA"), 2026).parameter("kms_hosts", []) == ["kms.dongthap.gov.vn"]
    assert indicators.for_unit(("OTHER",), 2026).parameter("kms_hosts", None) == []


@pytest.mark.parametrize(("raw", "message"), [
    ({"unit": "DT"}, "needs 'unit' and 'indicator'"),
    ({"unit": "DT", "indicator": "av_licensed", "target": 2000}, "must be a percentage"),
    ({"unit": "DT", "indicator": "av_licensed", "colour": "red"}, "unknown key 'colour'"),
])
def test_a_broken_indicator_override_says_why(raw: dict[str, object], message: str) -> None:
    with pytest.raises(IndicatorError, match=message):
        parse_indicator_override(raw)


def test_an_override_of_an_unknown_indicator_or_parameter_is_refused() -> None:
    with pytest.raises(IndicatorError, match="no indicator"):
        builtin_indicators().with_overrides((parse_indicator_override({"unit": "DT", "indicator": "nope"}),))
    with pytest.raises(IndicatorError, match="unknown parameter 'hosts'"):
        builtin_indicators().with_overrides((parse_indicator_override(
            {"unit": "DT", "indicator": "os_activated", "parameters": {"hosts": []}}),))


def test_every_fact_has_words() -> None:
    assert {f.name for f in CATALOGUE} <= WORDED


def test_evidence_reads_as_words() -> None:
    words = evidence_words([("av.installed", True), ("av.any_enabled", False),
                            ("av.disabled_products", ["Windows Defender"]), ("backup.age_days", None)])
    assert words.vi == ("đã cài phần mềm phòng chống mã độc, phần mềm phòng chống mã độc đang tắt, đã cài, "
                        "đang tắt: Windows Defender")
    assert words.en == "antivirus installed, the antivirus is turned off, installed, turned off: Windows Defender"


def test_an_agentless_machine_knows_its_os_and_nothing_else() -> None:
    facts = agentless_facts("Windows 7 Professional", "normal", None)
    assert set(facts) == {f.name for f in CATALOGUE if f.scope == "machine"}
    assert facts["os.name"] == "Windows 7 Professional" and facts["machine.agentless"] is True
    assert facts["av.installed"] is None and facts["agent.silent_hours"] is None
