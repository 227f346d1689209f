"""The rule set a collector judges with: the built-in packs plus the operator's folder, loaded
and compiled once (from the collector's configuration) and handed to ingest, import and the scan.
Broken rule files are logged with file, line and reason; the other rules run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from rules.engine import RuleSet, compile_rules
from rules.indicators import IndicatorError, IndicatorSet, builtin_indicators
from rules.loader import load_packs
from rules.model import Rule, RuleError

log = logging.getLogger("canhgac.rules")


@dataclass(frozen=True)
class LoadedRules:
    ruleset: RuleSet
    rules: dict[str, Rule]
    errors: tuple[RuleError, ...]
    indicators: IndicatorSet = field(default_factory=builtin_indicators)
    """The readiness indicators with the operator's per-unit targets and parameters."""


def load_rules(folder: Path | None) -> LoadedRules:
    """Built-in packs plus ``folder``'s; every error is logged and kept, the other rules run."""
    loaded = load_packs(folder)
    ruleset, compile_errors = compile_rules(loaded.rules, loaded.overrides)
    errors = [*loaded.errors, *compile_errors]
    indicators = builtin_indicators()
    for override in loaded.indicator_overrides:
        try:
            indicators = indicators.with_overrides((override,))
        except IndicatorError as exc:
            errors.append(RuleError("indicators", 1, str(exc)))
    for error in errors:
        log.error("rule pack error: %s", error)
    return LoadedRules(ruleset, {c.rule.id: c.rule for c in ruleset.rules}, tuple(errors), indicators)
