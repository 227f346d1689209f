"""Loading rule packs (YAML) into :class:`rules.model.Rule` values, checked as they load.

A pack file::

    pack: security
    rules:
      - id: av.absent
        title: {vi: ..., en: ...}
        remediation: {vi: ..., en: ...}
        severity: high                      # info, low, medium, high, critical
        scope: machine                      # machine, device, link, unit
        roles: [normal]                     # optional: machine roles it applies to
        condition: "av.installed == false"  # CEL over facts (rules/FACTS.md) and params.NAME
        parameters: {max_age_days: 7}       # optional defaults
        requires: [av.installed]            # optional: facts that must be known (default: all named)
        sources: [{text: ..., effective: 2026-03-01, until: ""}]
        levels:                             # optional: higher severities of the same condition
          - {severity: critical, when: "av.active_detections > 0", title: {vi: ..., en: ...}}
        evidence: [av.detection_list]       # optional: facts whose new items re-open an acknowledged alert
        incident: true                      # optional: its alerts go into the incident register
        examples:                           # the rule's own test: facts that fire it, facts that don't
          fires: [{av.installed: false}, {av.detections: 1, av.active_detections: 1, severity: critical}]
          silent: [{av.installed: true}]
    overrides:                              # optional, operator packs: per-unit changes
      - {unit: DT, rule: backup.quarterly, parameters: {max_age_days: 180}, severity: low}
    indicators:                             # optional: readiness targets (per year) and parameters per unit
      - {unit: DT, indicator: av_licensed, year: 2026, target: 90}
      - {unit: DT, indicator: os_activated, parameters: {kms_hosts: [kms.dongthap.gov.vn]}}

A broken file or rule gives a :class:`RuleError` naming the file, the line and the reason; the
loader keeps every other rule (``load_packs`` returns the rules and the errors side by side).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from rules.indicators import IndicatorError, IndicatorOverride, parse_indicator_override
from rules.model import Example, Level, Override, Rule, RuleError, RuleScope, Severity, Source, Text

BUILTIN_PACKS = ("security.yaml", "readiness.yaml", "hardening.yaml")
"""The built-in packs in rules/packs/, listed explicitly (never found by scanning)."""

_LINE = "__line__"
_RULE_KEYS = frozenset({"id", "title", "remediation", "severity", "scope", "roles", "condition", "parameters",
                        "requires", "sources", "examples", "active_from", "active_until", "levels", "evidence",
                        "incident", _LINE})


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line (1-based) where each mapping starts."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


@dataclass
class LoadResult:
    rules: list[Rule] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    indicator_overrides: list[IndicatorOverride] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        self.rules += other.rules
        self.overrides += other.overrides
        self.errors += other.errors
        self.indicator_overrides += other.indicator_overrides


def load_text(text: str, file: str) -> LoadResult:
    """The rules and overrides of one pack's text; broken rules become errors, the rest load."""
    result = LoadResult()
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        result.errors.append(RuleError(file, mark.line + 1 if mark else 1, f"not valid YAML: {exc}"))
        return result
    if not isinstance(document, dict) or not isinstance(document.get("rules", []), list):
        result.errors.append(RuleError(file, 1, "a pack is a mapping with a 'rules' list"))
        return result
    pack = str(document.get("pack") or Path(file).stem)
    for raw in document.get("rules", []):
        try:
            result.rules.append(parse_rule(raw, pack, file))
        except RuleError as exc:
            result.errors.append(exc)
    for raw in document.get("overrides", []) or []:
        try:
            result.overrides.append(parse_override(raw, file))
        except RuleError as exc:
            result.errors.append(exc)
    for raw in document.get("indicators", []) or []:
        try:
            result.indicator_overrides.append(parse_indicator_override(raw))
        except IndicatorError as exc:
            line = int(raw.get(_LINE, 1)) if isinstance(raw, dict) else 1
            result.errors.append(RuleError(file, line, str(exc)))
    return result


def load_file(path: Path) -> LoadResult:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadResult(errors=[RuleError(str(path), 1, f"cannot read: {exc}")])
    return load_text(text, str(path))


def load_builtin() -> LoadResult:
    result = LoadResult()
    folder = resources.files("rules") / "packs"
    for name in BUILTIN_PACKS:
        result.extend(load_text((folder / name).read_text(encoding="utf-8"), f"rules/packs/{name}"))
    return result


def load_packs(folder: Path | None = None) -> LoadResult:
    """The built-in packs, then every ``*.yaml`` pack of the operator's ``folder`` (sorted by name).

    A later rule with an id already loaded is an error (ids are the alerts' dedup keys)."""
    result = load_builtin()
    if folder is not None:
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            result.extend(load_file(path))
    return _without_duplicates(result)


def _without_duplicates(result: LoadResult) -> LoadResult:
    seen: dict[str, Rule] = {}
    kept: list[Rule] = []
    for rule in result.rules:
        if rule.id in seen:
            first = seen[rule.id]
            result.errors.append(RuleError(rule.file, rule.line,
                                           f"rule id {rule.id!r} already defined at {first.file}:{first.line}"))
            continue
        seen[rule.id] = rule
        kept.append(rule)
    result.rules = kept
    return result


def parse_rule(raw: Any, pack: str, file: str) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(file, 1, f"a rule is a mapping, not {type(raw).__name__}")
    line = int(raw.get(_LINE, 1))

    def fail(reason: str) -> RuleError:
        return RuleError(file, line, f"rule {raw.get('id', '?')!r}: {reason}")

    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}")
    for key in ("id", "title", "remediation", "severity", "scope", "condition", "sources"):
        if not raw.get(key):
            raise fail(f"missing {key!r}")
    try:
        return Rule(id=_text(raw["id"]), title=_texts(raw["title"]), remediation=_texts(raw["remediation"]),
                    severity=Severity(raw["severity"]), scope=RuleScope(raw["scope"]),
                    condition=_text(raw["condition"]),
                    parameters=_clean(raw.get("parameters") or {}), sources=_sources(raw["sources"]),
                    roles=frozenset(_strings(raw.get("roles") or [])),
                    requires=tuple(_strings(raw["requires"])) if "requires" in raw else None,
                    examples=_examples(raw.get("examples") or {}), pack=pack, file=file, line=line,
                    active_from=str(raw.get("active_from") or ""), active_until=str(raw.get("active_until") or ""),
                    levels=_levels(raw.get("levels") or [], Severity(raw["severity"])),
                    evidence=tuple(_strings(raw.get("evidence") or [])), incident=_flag(raw.get("incident", False)))
    except (ValueError, TypeError, KeyError) as exc:
        raise fail(str(exc)) from None


def parse_override(raw: Any, file: str) -> Override:
    line = int(raw.get(_LINE, 1)) if isinstance(raw, dict) else 1
    if not isinstance(raw, dict) or not raw.get("unit") or not raw.get("rule"):
        raise RuleError(file, line, "an override needs 'unit' and 'rule'")
    try:
        severity = Severity(raw["severity"]) if raw.get("severity") else None
    except ValueError as exc:
        raise RuleError(file, line, str(exc)) from None
    return Override(unit=str(raw["unit"]), rule_id=str(raw["rule"]), parameters=_clean(raw.get("parameters") or {}),
                    severity=severity, disabled=bool(raw.get("disabled", False)))


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected text, got {value!r}")
    return value.strip()


def _texts(value: Any) -> Text:
    if not isinstance(value, dict) or not value.get("vi") or not value.get("en"):
        raise ValueError("title and remediation need both 'vi' and 'en'")
    return Text(vi=_text(value["vi"]), en=_text(value["en"]))


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of names, got {value!r}")
    return value


def _levels(value: Any, base: Severity) -> tuple[Level, ...]:
    """``levels: [{severity: high, when: CEL, title: {vi, en}}]``, each above the rule's severity."""
    if not isinstance(value, list):
        raise ValueError("levels is a list of {severity, when, title}")
    levels = []
    for raw in value:
        if not isinstance(raw, dict) or set(raw) - {"severity", "when", "title", _LINE} or not raw.get("when"):
            raise ValueError("a level is {severity, when, title (optional)}")
        severity = Severity(raw["severity"])
        if severity.rank <= base.rank:
            raise ValueError(f"level {severity} must be above the rule's severity {base}")
        levels.append(Level(severity, _text(raw["when"]), _texts(raw["title"]) if raw.get("title") else None))
    return tuple(sorted(levels, key=lambda level: -level.severity.rank))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _sources(value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list):
        raise ValueError("sources is a list of {text, effective, until}")
    return tuple(Source(text=_text(s.get("text")), effective=str(s.get("effective") or ""),
                        until=str(s.get("until") or "")) for s in value)


def _examples(value: Any) -> tuple[Example, ...]:
    if not isinstance(value, dict) or set(value) - {"fires", "silent", _LINE}:
        raise ValueError("examples is {fires: [...], silent: [...]}")
    examples = []
    for key, fires in (("fires", True), ("silent", False)):
        for raw in value.get(key) or []:
            facts = _clean(raw)
            parameters = facts.pop("params", {})
            severity = facts.pop("severity", None)
            examples.append(Example(facts=facts, fires=fires, parameters=parameters,
                                    severity=Severity(severity) if severity else None))
    return tuple(examples)


def _clean(value: Any) -> Any:
    """The value without the loader's line markers (and dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if k != _LINE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def flatten_facts(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"av": {"installed": true}}`` or ``{"av.installed": true}`` → ``{"av.installed": True}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_facts(value, f"{name}."))
        else:
            flat[name] = value
    return flat
