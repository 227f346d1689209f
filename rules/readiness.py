"""Readiness, the pure part: one machine's readiness columns from its facts, the unit-tree rollup
of counts (numerators and denominators summed, never percentages averaged) and a figure's text
("16/16 — 100%"); why a machine or a unit is not counted is rules.readiness_reasons.

"Computers per official" (kind staff) and the official kinds count people: a unit with an
officials register counts its officials with a working machine of their own (the collector gives
``reg:d``, ``reg:n`` and ``reg:ID``); a unit without one falls back to machines in use over its
staff number (staff) or to the machine figure (official), and its ``fallback`` count says so.
The choice is made per unit on its own counts, then everything is summed up the tree.

Nothing here reads a database or a clock: the collector aggregates the stored columns in SQL per
unit and hands the counts to :func:`rollup`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from agent.wire.schema import Report
from rules.indicators import Indicator, IndicatorKind, IndicatorSet


@dataclass(frozen=True)
class ComputedReadiness:
    """One machine's readiness columns (None: not known) and the facts that explain them."""

    values: Mapping[str, bool | None]
    detail: Mapping[str, Any]


READINESS_COLUMNS = ("has_lan", "has_internet", "has_dedicated_line", "av_installed", "av_licensed", "av_up_to_date",
                     "os_activated", "backup_ok", "hardware_ok", "has_scanner", "has_signing_cert", "offline_isolated")
"""The columns of a machine's readiness row."""

_DETAIL_FACTS = ("av.products", "av.any_enabled", "av.signature_age_days", "backup.configured", "backup.age_days",
                 "hw.age_years", "hw.ram_mib", "hw.disk_gb", "os.licence_channel", "os.kms_host", "os.kms_accepted",
                 "cert.signing_days_left")


def machine_readiness(facts: Mapping[str, Any], report: Report, now: datetime, indicators: IndicatorSet,
                      av_licence: Mapping[str, Any] | None = None) -> ComputedReadiness:
    """The readiness columns of a machine from its rules facts (rules.facts.machine_facts, built
    with its unit's parameters); scanners are read from the report itself. ``av_licence``: the
    antivirus licence verdict as a mapping (rules.antivirus_licence), kept for explain."""
    p = indicators.parameter
    values: dict[str, bool | None] = {
        "has_lan": _first_known(facts.get("net.gateway_reachable"), facts.get("net.connected")),
        "has_internet": facts.get("net.internet_reachable"),
        "has_dedicated_line": facts.get("net.dedicated_line_reachable"),
        "av_installed": facts.get("av.installed"),
        "av_licensed": facts.get("av.licensed"),
        "av_up_to_date": _up_to_date(facts, p("max_signature_age_days", 7)),
        "os_activated": facts.get("os.activated"),
        "backup_ok": _backup_ok(facts, p("max_backup_age_days", 90)),
        "hardware_ok": _hardware_ok(facts, p("max_age_years", 7), p("min_ram_mib", 4096), p("min_disk_gb", 120)),
        "has_scanner": _has_scanner(report),
        "has_signing_cert": facts.get("cert.signing"),
        "offline_isolated": None if facts.get("evidence.network_since_last_report") is None
        else not facts["evidence.network_since_last_report"],
    }
    detail: dict[str, Any] = {name: facts.get(name) for name in _DETAIL_FACTS}
    detail["av.licence"] = dict(av_licence or {})
    detail["certs.reported"] = report.certificates is not None
    return ComputedReadiness(values, detail)


def agentless_readiness(lan_seen: bool | None) -> ComputedReadiness:
    """A machine declared from a LAN device: on the LAN when the LAN saw it, every other column
    unknown (in the denominators, never in a numerator: no silent pass)."""
    values: dict[str, bool | None] = dict.fromkeys(READINESS_COLUMNS)
    values["has_lan"] = True if lan_seen else None
    return ComputedReadiness(values, {"agentless": True})


def _first_known(*values: bool | None) -> bool | None:
    return next((v for v in values if v is not None), None)


def _up_to_date(facts: Mapping[str, Any], max_days: int) -> bool | None:
    if facts.get("av.installed") is False or facts.get("av.any_enabled") is False:
        return False
    age = facts.get("av.signature_age_days")
    return None if age is None else age <= max_days


def _backup_ok(facts: Mapping[str, Any], max_days: int) -> bool | None:
    configured = facts.get("backup.configured")
    if configured is None:
        return None
    age = facts.get("backup.age_days")
    return bool(configured) and age is not None and age <= max_days


def _hardware_ok(facts: Mapping[str, Any], max_years: int, min_ram: int, min_disk: int) -> bool | None:
    """Age and RAM must be known; the disk size counts when the report gives it (many BIOSes and
    VMs do not), so an unreadable disk neither fails nor hides the rest."""
    age, ram, disk = facts.get("hw.age_years"), facts.get("hw.ram_mib"), facts.get("hw.disk_gb")
    if (age is not None and age > max_years) or (ram is not None and ram < min_ram) or \
            (disk is not None and disk < min_disk):
        return False
    return None if age is None or ram is None else True


def _has_scanner(report: Report) -> bool | None:
    if report.hardware is None:
        return None
    return any(p.kind == "scanner" and p.present for p in report.hardware.peripherals)


# --- figures and the rollup -------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    n: int
    d: int

    @property
    def percent(self) -> float | None:
        """n/d as a percentage; None when there is nothing to count (d = 0)."""
        return None if self.d == 0 else self.n * 100 / self.d

    def text(self) -> str:
        """"16/16 — 100%"; "0/0 — không áp dụng / n/a" when nothing is counted."""
        return f"{self.n}/{self.d} — {percent_text(self.percent)}"

    def below(self, target: float) -> bool:
        percent = self.percent
        return percent is not None and percent < target


def percent_text(percent: float | None) -> str:
    """Rounded half up to one decimal, except that short of 100 never shows as 100% (99.96 shows 99.9%);
    "—" when there is nothing to count."""
    if percent is None:
        return "—"
    shown = float(Decimal(repr(percent)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if shown >= 100 > percent:
        shown = math.floor(percent * 10) / 10
    return f"{shown:.0f}%" if shown == int(shown) else f"{shown:.1f}%"


def official_kinds(indicators: IndicatorSet) -> list[Indicator]:
    return [i for i in indicators.indicators if i.kind is IndicatorKind.OFFICIAL]


def official_keys(indicators: IndicatorSet) -> tuple[str, ...]:
    """The officials register's own counts of a unit: ``reg:d`` (officials), ``reg:n`` (with a
    working machine of their own) and ``reg:ID`` per official indicator (whose working machine's
    column is true)."""
    return ("reg:d", "reg:n", *(f"reg:{i.id}" for i in official_kinds(indicators)))


def count_keys(indicators: IndicatorSet) -> tuple[str, ...]:
    """The per-unit counts the collector must give, in one fixed order: ``in_use`` and
    ``offline`` (machines in use, offline PCs among them), ``n:ID``/``d:ID`` per machine and
    official indicator (machines), ``has:COLUMN`` (machines in use whose column is true) per unit
    indicator, then :func:`official_keys`."""
    keys = ["in_use", "offline"]
    for indicator in indicators.indicators:
        if indicator.kind in (IndicatorKind.MACHINE, IndicatorKind.OFFICIAL):
            keys += [f"n:{indicator.id}", f"d:{indicator.id}"]
        elif indicator.kind is IndicatorKind.UNIT and f"has:{indicator.counts}" not in keys:
            keys.append(f"has:{indicator.counts}")
    return (*keys, *official_keys(indicators))


def derived_keys(indicators: IndicatorSet) -> tuple[str, ...]:
    """What :func:`derive` adds: the staff figure (``sn``/``sd``), the official figures
    (``on:ID``/``od:ID``), units counted by their register (``registered``) and units that fell
    back to their staff number (``fallback``)."""
    return ("sn", "sd", "registered", "fallback",
            *(f"{side}:{i.id}" for i in official_kinds(indicators) for side in ("on", "od")))


def derive(own: Mapping[str, int], staff: int, indicators: IndicatorSet) -> tuple[int, ...]:
    """A unit's own figures of the people-counting indicators, in :func:`derived_keys` order: by
    its register when it has one, else machines in use / staff number and the machine figures."""
    registered = own.get("reg:d", 0) > 0
    if registered:
        values = [own["reg:n"], own["reg:d"], 1, 0]
    else:
        values = [own.get("in_use", 0), staff, 0, int(bool(staff or own.get("in_use", 0)))]
    for indicator in official_kinds(indicators):
        if registered:
            values += [own.get(f"reg:{indicator.id}", 0), own["reg:d"]]
        else:
            values += [own.get(f"n:{indicator.id}", 0), own.get(f"d:{indicator.id}", 0)]
    return tuple(values)


@dataclass(frozen=True)
class UnitNode:
    id: int
    parent_id: int | None
    path: str
    kind: str
    staff: int


def rollup(units: Sequence[UnitNode], own: Mapping[int, Mapping[str, int]], indicators: IndicatorSet,
           observed: Mapping[int, Mapping[str, bool]] | None = None) -> dict[int, dict[str, int]]:
    """Each unit's subtree sums: ``own`` (a unit's machines and officials only, keyed as
    :func:`count_keys`) with :func:`derive`'s figures added up to every ancestor in ``units``,
    plus ``staff`` and the unit indicators' ``un:ID``/``ud:ID`` (units of the counted kinds, and
    those with a machine whose column is true).

    ``observed`` gives what the collector saw itself per unit id and counted column (the state of
    the unit's configured dedicated line, from SNMP and its own checks); where known it decides the
    unit's numerator instead of its machines' reports (``seen:COLUMN`` is then 1 in its sums)."""
    derived = derived_keys(indicators)
    keys = (*count_keys(indicators), "staff", *derived)
    sums = {u.id: dict.fromkeys(keys, 0) for u in units}
    for unit in units:
        mine = sums[unit.id]
        mine.update({k: v for k, v in own.get(unit.id, {}).items() if k in mine})
        mine["staff"] = unit.staff
        mine.update(zip(derived, derive(mine, unit.staff, indicators), strict=True))
    deepest_first = sorted(units, key=lambda u: u.path.count("/"), reverse=True)
    _add_to_parents(deepest_first, sums, keys)
    unit_keys = _unit_flags(units, sums, indicators, observed or {})
    _add_to_parents(deepest_first, sums, unit_keys)
    return sums


def _add_to_parents(deepest_first: Sequence[UnitNode], sums: dict[int, dict[str, int]], keys: Sequence[str]) -> None:
    for unit in deepest_first:
        parent = sums.get(unit.parent_id) if unit.parent_id is not None else None
        if parent is not None:
            mine = sums[unit.id]
            for key in keys:
                parent[key] += mine[key]


def _unit_flags(units: Sequence[UnitNode], sums: dict[int, dict[str, int]], indicators: IndicatorSet,
                observed: Mapping[int, Mapping[str, bool]]) -> list[str]:
    unit_indicators = [i for i in indicators.indicators if i.kind is IndicatorKind.UNIT]
    keys = [f"{side}:{i.id}" for i in unit_indicators for side in ("un", "ud")]
    for unit in units:
        mine = sums[unit.id]
        counted = unit.kind in indicators.unit_kinds
        for indicator in unit_indicators:
            seen = observed.get(unit.id, {}).get(indicator.counts)
            has = mine[f"has:{indicator.counts}"] > 0 if seen is None else seen
            mine[f"seen:{indicator.counts}"] = int(seen is not None)
            mine[f"ud:{indicator.id}"] = int(counted)
            mine[f"un:{indicator.id}"] = int(counted and has)
    return keys


def _unit_flags(units: Sequence[UnitNode], sums: dict[int, dict[str, int]], indicators: IndicatorSet,
                observed: Mapping[int, Mapping[str, bool]]) -> list[str]:
    unit_indicators = [i for i in indicators.indicators if i.kind is IndicatorKind.UNIT]
    keys = [f"{side}:{i.id}" for i in unit_indicators for side in ("un", "ud")]
    for unit in units:
        mine = sums[unit.id]
        counted = unit.kind in indicators.unit_kinds
        for indicator in unit_indicators:
            seen = observed.get(unit.id, {}).get(indicator.counts)
            has = mine[f"has:{indicator.counts}"] > 0 if seen is None else seen
            mine[f"seen:{indicator.counts}"] = int(seen is not None)
            mine[f"ud:{indicator.id}"] = int(counted)
            mine[f"un:{indicator.id}"] = int(counted and has)
    return keys


def rollup_children(root_id: int, root_path: str, units: Iterable[Sequence[Any]], own: Mapping[int, Sequence[int]],
                    indicators: IndicatorSet, observed: Mapping[int, Mapping[str, bool]] | None = None,
                    ) -> dict[int, dict[str, int]]:
    """:func:`rollup`'s sums of the unit at ``root_path`` and of each of its direct children only
    (what an overview shows), keyed by unit id. Each unit's own counts are added once, into the
    child of the root its path lies under, instead of into every ancestor of every unit.

    ``units``: (id, path, kind, staff) of the root's whole subtree, paths of unit ids ("/1/7/42/");
    ``own``: per unit id, its counts in :func:`count_keys` order (none: zeros). As in :func:`rollup`,
    a counted unit "has" a unit indicator's column when a machine of its subtree has it, unless
    ``observed`` knows better."""
    keys, observed = count_keys(indicators), observed or {}
    unit_indicators = [i for i in indicators.indicators if i.kind is IndicatorKind.UNIT]
    columns = sorted({keys.index(f"has:{i.counts}") for i in unit_indicators})
    units = [u for u in units if u[1].startswith(root_path)]
    counted = {str(u[0]): _bucket(root_id, root_path, u[1]) for u in units if u[2] in indicators.unit_kinds}
    zero = (0,) * len(keys)
    rows: dict[int, list[tuple[int, ...]]] = {root_id: []}
    having: dict[int, set[str]] = {column: set() for column in columns}
    for unit_id, path, _kind, staff in units:
        counts = own.get(unit_id, zero)
        derived = derive(dict(zip(keys, counts, strict=True)), staff or 0, indicators)
        rows.setdefault(_bucket(root_id, root_path, path), []).append((*counts, staff or 0, *derived))
        if counted and any(counts[column] for column in columns):
            for part in path[1:-1].split("/"):
                if part in counted:
                    for column in columns:
                        if counts[column]:
                            having[column].add(part)
    flags = _flags_by_bucket(counted, having, keys, unit_indicators, observed)
    names = (*keys, "staff", *derived_keys(indicators),
             *(f"{side}:{i.id}" for i in unit_indicators for side in ("un", "ud")))
    blank = [0] * (2 * len(unit_indicators))
    totals = {bucket: [sum(column) for column in zip(*unit_rows, strict=True)] + flags.get(bucket, blank)
              if unit_rows else [0] * len(names) for bucket, unit_rows in rows.items()}
    totals[root_id] = [sum(column) for column in zip(*totals.values(), strict=True)]
    return {unit_id: {**dict(zip(names, values, strict=True)),
                      **{f"seen:{i.counts}": int(observed.get(unit_id, {}).get(i.counts) is not None)
                         for i in unit_indicators}}
            for unit_id, values in totals.items()}


def _bucket(root_id: int, root_path: str, path: str) -> int:
    """The id of the root's child whose subtree holds the unit at ``path`` (the root's own id for the root)."""
    child = path[len(root_path):].split("/", 1)[0]
    return int(child) if child else root_id


def _flags_by_bucket(counted: Mapping[str, int], having: Mapping[int, set[str]], keys: Sequence[str],
                     unit_indicators: Sequence[Indicator], observed: Mapping[int, Mapping[str, bool]],
                     ) -> dict[int, list[int]]:
    """Per bucket, the ``un:ID``/``ud:ID`` sums of its counted units (``counted``: unit id -> bucket)."""
    flags: dict[int, list[int]] = {}
    for unit_id, bucket in counted.items():
        sums = flags.setdefault(bucket, [0] * (2 * len(unit_indicators)))
        for position, indicator in enumerate(unit_indicators):
            seen = observed.get(int(unit_id), {}).get(indicator.counts)
            has = unit_id in having[keys.index(f"has:{indicator.counts}")] if seen is None else seen
            sums[2 * position] += int(has)
            sums[2 * position + 1] += 1
    return flags


def figure(indicator: Indicator, sums: Mapping[str, int]) -> Figure:
    """The indicator's figure from a unit's subtree sums (:func:`rollup`)."""
    if indicator.kind is IndicatorKind.STAFF:
        return Figure(sums["sn"], sums["sd"])
    if indicator.kind is IndicatorKind.OFFICIAL:
        return Figure(sums[f"on:{indicator.id}"], sums[f"od:{indicator.id}"])
    if indicator.kind is IndicatorKind.UNIT:
        return Figure(sums[f"un:{indicator.id}"], sums[f"ud:{indicator.id}"])
    return Figure(sums[f"n:{indicator.id}"], sums[f"d:{indicator.id}"])


def excluded(indicator: Indicator, sums: Mapping[str, int]) -> int:
    """Machines in use a machine figure leaves out of its denominator (the offline PC in the LAN
    and Internet figures); 0 for the other kinds."""
    if indicator.kind is not IndicatorKind.MACHINE:
        return 0
    return sums["in_use"] - sums[f"d:{indicator.id}"]


def below_target(indicators: IndicatorSet, sums: Mapping[str, int]) -> list[str]:
    """Ids of the indicators below their target for these sums (none counted: not below)."""
    return [i.id for i in indicators.indicators if figure(i, sums).below(i.target)]
