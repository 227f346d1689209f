"""Conformance of the built-in packs: every file loads, every rule has a firing and a silent
example that behave as declared, cites a source, and names only documented facts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules.engine import compile_rule, example_finding, run_example
from rules.facts import facts_markdown
from rules.loader import BUILTIN_PACKS, load_builtin, load_file
from rules.model import Outcome, Rule

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PACKS = Path(__file__).resolve().parents[2] / "rules" / "packs"
BUILTIN = load_builtin().rules

ISSUE_RULES = {
    # security incidents
    "av.malware_detected", "av.absent", "av.disabled", "av.realtime_off", "av.signatures_stale", "os.not_activated",
    "offline.network_evidence", "offline.report_over_network", "offline.mac_on_lan", "lan.unknown_device",
    "agent.silent", "agent.tampering",
    # readiness
    "backup.quarterly", "av.not_licensed", "av.licence_expiring", "cert.signing_expiring", "licence.expiring",
    "hw.too_old", "hw.below_min_spec",
    "net.dedicated_line_unreachable", "unit.no_offline_pc", "licence.seats_exceeded", "licence.expired",
    "readiness.below_target",
    # hardening
    "fw.off", "updates.late", "os.end_of_support", "screen_lock.too_long", "autorun.on",
    "smb1.on", "accounts.many_admins", "offline.wireless", "offline.wifi_profiles",
    "offline.remote_access_software", "offline.cloud_sync_software", "offline.chat_software",
}


@pytest.mark.parametrize("name", BUILTIN_PACKS)
def test_every_builtin_pack_loads_without_errors(name: str) -> None:
    result = load_file(PACKS / name)
    assert result.errors == []
    assert result.rules
    for rule in result.rules:
        compile_rule(rule)


def test_the_packs_cover_what_the_issue_lists() -> None:
    assert ISSUE_RULES <= {rule.id for rule in BUILTIN}


def test_the_pack_folder_holds_only_registered_packs() -> None:
    assert sorted(p.name for p in PACKS.glob("*.yaml")) == sorted(BUILTIN_PACKS)


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_every_rule_has_a_firing_and_a_silent_case(rule: Rule) -> None:
    assert any(e.fires for e in rule.examples), f"{rule.id}: no example that fires"
    assert any(not e.fires for e in rule.examples), f"{rule.id}: no example that stays silent"
    for example in rule.examples:
        expected = Outcome.FIRING if example.fires else Outcome.PASSING
        assert run_example(rule, example.facts, example.parameters, NOW) is expected, example
        if example.severity is not None:
            finding = example_finding(rule, example.facts, example.parameters, NOW)
            assert finding is not None and finding.severity is example.severity, example


@pytest.mark.parametrize("rule", [r for r in BUILTIN if r.levels], ids=lambda r: r.id)
def test_every_level_has_an_example_at_its_severity(rule: Rule) -> None:
    shown = {e.severity for e in rule.examples if e.fires}
    assert {rule.severity, *(level.severity for level in rule.levels)} <= shown


def test_no_two_rules_judge_adjacent_bands_of_one_fact() -> None:
    """Bands that meet (90/180 days of backup, 30/60 days of updates) are one rule with levels:
    two rules would resolve the lesser alert at the moment the greater one opens."""
    import re

    bounded = [r for r in BUILTIN if re.search(r"<=\s*params\.", r.condition) and re.search(r">\s*params\.",
                                                                                            r.condition)]
    assert [r.id for r in bounded] == []


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_every_rule_says_where_it_comes_from(rule: Rule) -> None:
    assert rule.sources and all(source.text for source in rule.sources)
    assert rule.title.vi != rule.title.en and rule.remediation.vi and rule.remediation.en


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_a_rule_with_its_facts_unknown_judges_unknown(rule: Rule) -> None:
    role = {"role": sorted(rule.roles)[0]} if rule.roles else {}
    assert run_example(rule, role, {}, NOW) is Outcome.UNKNOWN


def test_offline_rules_cite_the_old_and_the_current_law() -> None:
    for rule in BUILTIN:
        if rule.id in {"offline.network_evidence", "offline.report_over_network", "offline.past_connections"}:
            texts = " ".join(s.text for s in rule.sources)
            assert "29/2018" in texts and "117/2025" in texts


def test_facts_md_documents_every_fact() -> None:
    assert (PACKS.parent / "FACTS.md").read_text(encoding="utf-8") == facts_markdown()
