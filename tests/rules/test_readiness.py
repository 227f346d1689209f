"""Readiness, the pure part: indicators load and are checked, a machine's columns come from its
facts, the rollup sums numerators and denominators (never averages), figures read "16/16 — 100%"."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.wire.schema import Hardware, Identity, Peripheral, Report
from rules.indicators import IndicatorError, IndicatorKind, builtin_indicators, load_indicators_text
from rules.readiness import (
    Figure,
    UnitNode,
    count_keys,
    figure,
    machine_readiness,
    percent_text,
    rollup,
    rollup_children,
)
from rules.readiness_reasons import machine_reason, unit_reason

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ISSUE_LIST = {"computers_per_official", "machines_lan", "machines_internet", "units_dedicated_line", "av_installed",
              "av_licensed", "av_up_to_date", "os_activated", "backup_within_policy", "units_offline_pc",
              "hardware_ok", "units_scanner", "certs_valid"}


def test_builtin_indicators_cover_the_issue_list_with_targets_and_sources() -> None:
    indicators = builtin_indicators()
    assert {i.id for i in indicators.indicators} >= ISSUE_LIST
    for indicator in indicators.indicators:
        assert indicator.title.vi and indicator.title.en and indicator.source and indicator.target == 100
        assert indicator.numerator.vi and indicator.denominator.en
    assert indicators.get("machines_internet").exclude_roles == {"offline"}
    assert indicators.get("computers_per_official").kind is IndicatorKind.STAFF


@pytest.mark.parametrize(("body", "message"), [
    ("- {id: x, title: {vi: a, en: b}, kind: machine, counts: nope, numerator: {vi: a, en: b}, "
     "denominator: {vi: a, en: b}, target: 100, source: s}", "counts 'nope'"),
    ("- {id: x, title: {vi: a}, kind: machine, counts: av_installed, numerator: {vi: a, en: b}, "
     "denominator: {vi: a, en: b}, target: 100, source: s}", "both 'vi' and 'en'"),
    ("- {id: x, title: {vi: a, en: b}, kind: weird, numerator: {vi: a, en: b}, "
     "denominator: {vi: a, en: b}, target: 100, source: s}", "weird"),
    ("- {id: x, title: {vi: a, en: b}, kind: staff, numerator: {vi: a, en: b}, "
     "denominator: {vi: a, en: b}, target: 100, source: s, colour: red}", "unknown key 'colour'"),
])
def test_a_broken_indicator_is_refused_with_its_reason(body: str, message: str) -> None:
    with pytest.raises(IndicatorError, match=message):
        load_indicators_text("indicators:\n" + body)


def _report(**sections: Any) -> Report:
    return Report(identity=Identity(hostname="pc", collected_at=NOW), **sections)


HEALTHY = {"role": "normal", "net.gateway_reachable": True, "net.connected": True, "net.internet_reachable": True,
           "net.dedicated_line_reachable": True, "av.installed": True, "av.any_enabled": True, "av.licensed": True,
           "av.signature_age_days": 1, "os.activated": True, "backup.configured": True, "backup.age_days": 10,
           "hw.age_years": 3, "hw.ram_mib": 8192, "hw.disk_gb": 256, "evidence.network_since_last_report": True}


@pytest.mark.parametrize(("change", "column", "expected"), [
    ({}, "av_up_to_date", True),
    ({"av.signature_age_days": 8}, "av_up_to_date", False),
    ({"av.any_enabled": False, "av.signature_age_days": None}, "av_up_to_date", False),
    ({"av.signature_age_days": None}, "av_up_to_date", None),
    ({"backup.age_days": 91}, "backup_ok", False),
    ({"backup.age_days": None}, "backup_ok", False),
    ({"backup.configured": None, "backup.age_days": None}, "backup_ok", None),
    ({"hw.age_years": 8}, "hardware_ok", False),
    ({"hw.disk_gb": None}, "hardware_ok", True),
    ({"hw.disk_gb": 64}, "hardware_ok", False),
    ({"hw.ram_mib": None}, "hardware_ok", None),
    ({"net.gateway_reachable": None, "net.connected": False}, "has_lan", False),
    ({"net.internet_reachable": None}, "has_internet", None),
    ({"evidence.network_since_last_report": False}, "offline_isolated", True),
])
def test_machine_columns_come_from_the_facts(change: dict[str, Any], column: str, expected: bool | None) -> None:
    values = machine_readiness({**HEALTHY, **change}, _report(), NOW, builtin_indicators()).values
    assert values[column] is expected


def test_scanner_and_signing_certificates_are_read() -> None:
    report = _report(hardware=Hardware(peripherals=[Peripheral(kind="scanner", name="Canon DR-C225")]))
    result = machine_readiness({**HEALTHY, "cert.signing": True}, report, NOW, builtin_indicators())
    assert result.values["has_scanner"] is True and result.values["has_signing_cert"] is True
    nothing = machine_readiness(HEALTHY, _report(), NOW, builtin_indicators()).values
    assert nothing["has_scanner"] is None and nothing["has_signing_cert"] is None


def test_reasons_name_the_gap() -> None:
    indicators = builtin_indicators()
    backup = machine_reason(indicators.get("backup_within_policy"), False, {"backup.configured": True,
                                                                          "backup.age_days": 120})
    assert backup.vi == "sao lưu gần nhất 120 ngày trước (tối đa 90)" and "120 days" in backup.en
    assert "không rõ" in machine_reason(indicators.get("av_installed"), None, {}).vi


@pytest.mark.parametrize(("n", "d", "text"), [(16, 16, "16/16 — 100%"), (2, 3, "2/3 — 66.7%"),
                                              (9999, 10000, "9999/10000 — 99.9%"), (0, 0, "0/0 — —"),
                                              (17, 16, "17/16 — 106.3%")])
def test_figure_text(n: int, d: int, text: str) -> None:
    assert Figure(n, d).text() == text


def test_rollup_sums_numerators_and_denominators_never_averages() -> None:
    indicators = builtin_indicators()
    units = [UnitNode(1, None, "/1/", "province", 0), UnitNode(2, 1, "/1/2/", "commune", 10),
             UnitNode(3, 1, "/1/3/", "commune", 2), UnitNode(4, 2, "/1/2/4/", "office", 5)]
    own = {4: {"in_use": 10, "n:av_installed": 10, "d:av_installed": 10, "has:has_scanner": 1},
           3: {"in_use": 2, "n:av_installed": 0, "d:av_installed": 2}}
    sums = rollup(units, own, indicators)
    av = indicators.get("av_installed")
    assert figure(av, sums[1]) == Figure(10, 12)  # 83.3%, not the mean of 100% and 0%
    assert figure(av, sums[2]) == Figure(10, 10) and figure(av, sums[4]) == Figure(10, 10)
    assert figure(indicators.get("computers_per_official"), sums[1]) == Figure(12, 17)
    assert figure(indicators.get("units_scanner"), sums[1]) == Figure(1, 2)
    assert figure(indicators.get("units_scanner"), sums[4]) == Figure(0, 0)


def test_percent_text_never_shows_100_short_of_it() -> None:
    assert percent_text(99.96) == "99.9%" and percent_text(100.0) == "100%" and percent_text(None) == "—"


def test_a_units_observed_dedicated_line_state_decides_over_its_agents() -> None:
    indicators = builtin_indicators()
    units = [UnitNode(1, None, "/1/", "province", 0), UnitNode(2, 1, "/1/2/", "commune", 4),
             UnitNode(3, 1, "/1/3/", "commune", 4), UnitNode(4, 1, "/1/4/", "commune", 4)]
    own = {2: {"in_use": 4, "has:has_dedicated_line": 0},   # no agent reached it, but the link is up
           3: {"in_use": 4, "has:has_dedicated_line": 3},   # agents reached it, but the link is down
           4: {"in_use": 4, "has:has_dedicated_line": 2}}   # no configured link: the agents decide
    line = indicators.get("units_dedicated_line")
    sums = rollup(units, own, indicators, observed={2: {"has_dedicated_line": True},
                                                    3: {"has_dedicated_line": False}})
    assert [figure(line, sums[u]) for u in (2, 3, 4)] == [Figure(1, 1), Figure(0, 1), Figure(1, 1)]
    assert figure(line, sums[1]) == Figure(2, 3)
    assert "down" in unit_reason(line, sums[3]).en
    assert figure(line, rollup(units, own, indicators)[1]) == Figure(2, 3)  # agents only: 3 and 4


def _random_tree(rng: random.Random, size: int) -> list[UnitNode]:
    units = [UnitNode(1, None, "/1/", "province", 0)]
    for unit_id in range(2, size + 1):
        parent = rng.choice(units)
        kind = rng.choice(("commune", "office", "district"))
        units.append(UnitNode(unit_id, parent.id, f"{parent.path}{unit_id}/", kind, rng.randint(0, 9)))
    return units


@pytest.mark.parametrize("seed", range(6))
def test_rolling_up_to_the_children_gives_the_full_rollups_sums(seed: int) -> None:
    """The overview's shortcut (each unit's counts added into the root's child above it) must give
    exactly the full rollup's sums for the root and its children, communes at any depth included."""
    rng, indicators = random.Random(seed), builtin_indicators()
    units, keys = _random_tree(rng, 60), count_keys(indicators)
    own = {u.id: tuple(rng.choice((0, 0, 1, 3)) for _ in keys) for u in units if rng.random() < 0.7}
    observed = {u.id: {"has_dedicated_line": rng.random() < 0.5} for u in units if rng.random() < 0.2}
    full = rollup(units, {i: dict(zip(keys, c, strict=True)) for i, c in own.items()}, indicators, observed)
    for root in [u for u in units if u.id == 1 or rng.random() < 0.3]:
        subtree = [(u.id, u.path, u.kind, u.staff) for u in units if u.path.startswith(root.path)]
        shown = rollup_children(root.id, root.path, subtree, own, indicators, observed)
        assert set(shown) == {root.id} | {u.id for u in units if u.parent_id == root.id}
        assert all(shown[unit_id] == full[unit_id] for unit_id in shown)
