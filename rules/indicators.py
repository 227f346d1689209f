"""Readiness indicators as data (rules/indicators.yaml), loaded into :class:`Indicator` values and
checked as they load: a broken definition is an :class:`IndicatorError` naming the id and the reason.

Targets and parameters can be set per unit (and, for targets, per year) like rule parameters: an
operator pack's ``indicators:`` list (``{unit: DT, indicator: av_licensed, year: 2026, target: 90}``,
``{unit: DT, indicator: os_activated, parameters: {kms_hosts: [kms.dongthap.gov.vn]}}``); the
deepest unit of a unit's chain wins, and a year's target wins over one without a year
(:meth:`IndicatorSet.for_unit`).

Pure: reads only the packaged YAML (or the text given); no clock, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from rules.model import Text

MACHINE_COLUMNS = frozenset({
    "has_lan", "has_internet", "has_dedicated_line", "av_installed", "av_licensed", "av_up_to_date",
    "os_activated", "backup_ok", "hardware_ok", "has_scanner", "has_signing_cert", "offline_compliant",
})
"""What an indicator may count: the per-machine readiness columns (rules.readiness.machine_readiness)."""


class IndicatorKind(enum.StrEnum):
    MACHINE = "machine"  # machines whose column is true / machines in use
    STAFF = "staff"  # officials with a working machine / officials (else machines in use / staff number)
    OFFICIAL = "official"  # officials whose working machine's column is true / officials (else as machine)
    UNIT = "unit"  # units with a machine whose column is true / units of the counted kinds


class IndicatorError(ValueError):
    """An indicator definition is broken."""


@dataclass(frozen=True)
class Indicator:
    id: str
    title: Text
    kind: IndicatorKind
    numerator: Text
    denominator: Text
    target: float
    """Percent (100 = every one); a figure below it is below target."""
    source: str
    counts: str = ""
    """The machine column that must be true (machine and unit kinds)."""
    exclude_roles: frozenset[str] = frozenset()
    only: tuple[str, ...] = ()
    """Machine columns that must be true for a machine to be in the denominator."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    remediation: Text | None = None
    """What to do about a machine or unit that fails it."""


@dataclass(frozen=True)
class IndicatorOverride:
    """An operator's target or parameters of one indicator for one unit's subtree (and year)."""

    unit: str
    indicator: str
    year: int | None = None
    target: float | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorSet:
    indicators: tuple[Indicator, ...]
    in_use_days: int
    unit_kinds: frozenset[str]
    overrides: tuple[IndicatorOverride, ...] = ()
    _resolved: dict[tuple[tuple[str, ...], int | None], IndicatorSet] = field(
        default_factory=dict, compare=False, repr=False, hash=False)

    def for_unit(self, chain: tuple[str, ...], year: int | None = None) -> IndicatorSet:
        """The indicators as they apply in the unit chain ``chain`` (codes, root first) and ``year``:
        targets and parameters overridden (deeper units win; a year's target over a yearless one).
        The set returned has no overrides of its own; it is kept for the next call."""
        key = (tuple(u for u in chain if any(o.unit == u for o in self.overrides)), year)
        if not key[0]:
            return self if not self.overrides else self._plain()
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = IndicatorSet(
                tuple(_resolve(i, [o for o in self.overrides if o.indicator == i.id], key[0], year)
                      for i in self.indicators), self.in_use_days, self.unit_kinds)
        return found

    def _plain(self) -> IndicatorSet:
        key: tuple[tuple[str, ...], int | None] = ((), None)
        if key not in self._resolved:
            self._resolved[key] = IndicatorSet(self.indicators, self.in_use_days, self.unit_kinds)
        return self._resolved[key]

    def with_overrides(self, overrides: tuple[IndicatorOverride, ...]) -> IndicatorSet:
        """This set with an operator's overrides (checked: IndicatorError on an unknown indicator or
        parameter)."""
        for override in overrides:
            indicator = self.get(override.indicator)
            unknown = sorted(set(override.parameters) - set(indicator.parameters))
            if unknown:
                raise IndicatorError(f"unit {override.unit!r}, indicator {indicator.id!r}: "
                                     f"unknown parameter {unknown[0]!r}")
        return IndicatorSet(self.indicators, self.in_use_days, self.unit_kinds, (*self.overrides, *overrides))

    def get(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        known = ", ".join(i.id for i in self.indicators)
        raise IndicatorError(f"no indicator {indicator_id!r} (known: {known})")

    def parameter(self, name: str, default: Any) -> Any:
        """An indicator parameter by name (the first indicator that sets it), else ``default``."""
        for indicator in self.indicators:
            if name in indicator.parameters:
                return indicator.parameters[name]
        return default


_KEYS = frozenset({"id", "title", "kind", "counts", "exclude_roles", "only", "parameters", "numerator",
                   "denominator", "target", "source", "remediation"})


def _resolve(indicator: Indicator, overrides: list[IndicatorOverride], chain: tuple[str, ...],
             year: int | None) -> Indicator:
    target, parameters = indicator.target, dict(indicator.parameters)
    for unit in chain:
        mine = [o for o in overrides if o.unit == unit]
        for override in sorted(mine, key=lambda o: o.year is not None):  # the year's last: it wins
            if override.year is not None and override.year != year:
                continue
            if override.target is not None:
                target = override.target
            parameters.update(override.parameters)
    return replace(indicator, target=target, parameters=parameters)


def parse_indicator_override(raw: Any) -> IndicatorOverride:
    """``{unit, indicator, year?, target?, parameters?}``; IndicatorError when broken."""
    if not isinstance(raw, dict) or not raw.get("unit") or not raw.get("indicator"):
        raise IndicatorError("an indicator override needs 'unit' and 'indicator'")
    unknown = sorted(set(raw) - {"unit", "indicator", "year", "target", "parameters", "__line__"})
    if unknown:
        raise IndicatorError(f"indicator override: unknown key {unknown[0]!r}")
    try:
        target = None if raw.get("target") is None else float(raw["target"])
        year = None if raw.get("year") is None else int(raw["year"])
    except (TypeError, ValueError) as exc:
        raise IndicatorError(f"indicator override of {raw['indicator']!r}: {exc}") from None
    if target is not None and not 0 <= target <= 1000:
        raise IndicatorError(f"indicator override of {raw['indicator']!r}: target {target} must be a percentage")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise IndicatorError(f"indicator override of {raw['indicator']!r}: parameters is a mapping")
    return IndicatorOverride(unit=str(raw["unit"]), indicator=str(raw["indicator"]), year=year, target=target,
                             parameters={str(k): v for k, v in parameters.items() if k != "__line__"})


def parse_indicator(raw: Any) -> Indicator:
    if not isinstance(raw, dict):
        raise IndicatorError(f"an indicator is a mapping, not {raw!r}")
    name = raw.get("id", "?")
    try:
        return _checked(_build(raw))
    except (KeyError, TypeError, ValueError) as exc:
        raise IndicatorError(f"indicator {name!r}: {exc}") from None


def _build(raw: dict[str, Any]) -> Indicator:
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}")
    return Indicator(id=str(raw["id"]), title=_text(raw["title"]), kind=IndicatorKind(raw["kind"]),
                     numerator=_text(raw["numerator"]), denominator=_text(raw["denominator"]),
                     target=float(raw["target"]), source=str(raw["source"]), counts=str(raw.get("counts", "")),
                     exclude_roles=frozenset(raw.get("exclude_roles") or ()), only=tuple(raw.get("only") or ()),
                     parameters=dict(raw.get("parameters") or {}),
                     remediation=_text(raw["remediation"]) if raw.get("remediation") else None)


def _checked(indicator: Indicator) -> Indicator:
    if indicator.kind is IndicatorKind.OFFICIAL and indicator.only:
        raise ValueError("an official indicator takes no 'only'")
    if indicator.kind is IndicatorKind.STAFF and indicator.counts:
        raise ValueError("a staff indicator counts machines in use; it takes no 'counts'")
    if indicator.kind is not IndicatorKind.STAFF and indicator.counts not in MACHINE_COLUMNS:
        raise ValueError(f"counts {indicator.counts!r}: one of {', '.join(sorted(MACHINE_COLUMNS))}")
    bad = [c for c in indicator.only if c not in MACHINE_COLUMNS]
    if bad:
        raise ValueError(f"only {bad[0]!r}: one of {', '.join(sorted(MACHINE_COLUMNS))}")
    if not 0 <= indicator.target <= 1000:
        raise ValueError(f"target {indicator.target} must be a percentage")
    return indicator


def _text(value: Any) -> Text:
    if not isinstance(value, dict) or not value.get("vi") or not value.get("en"):
        raise ValueError("titles and definitions need both 'vi' and 'en'")
    return Text(vi=str(value["vi"]), en=str(value["en"]))


def load_indicators_text(text: str) -> IndicatorSet:
    """The indicator set of a YAML text; IndicatorError on the first broken definition or a duplicate id."""
    document = yaml.safe_load(text) or {}
    settings = document.get("settings") or {}
    indicators = tuple(parse_indicator(raw) for raw in document.get("indicators") or [])
    ids = [i.id for i in indicators]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise IndicatorError(f"indicator id {duplicates[0]!r} defined twice")
    return IndicatorSet(indicators=indicators, in_use_days=int(settings.get("in_use_days", 90)),
                        unit_kinds=frozenset(settings.get("unit_kinds") or ("commune",)))


@lru_cache(maxsize=1)
def builtin_indicators() -> IndicatorSet:
    """rules/indicators.yaml, loaded once per process."""
    text = (resources.files("rules") / "indicators.yaml").read_text(encoding="utf-8")
    return load_indicators_text(text)
