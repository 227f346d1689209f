"""What a machine's verdicts depend on besides its report and the rules, and the digests of it
that the incremental scan keeps per machine (collector.judging.machine_sweep).

The rules judge a machine on its report and its context (rules.facts.MachineContext). The scan
makes that context of two parts only: what every machine of its unit shares (from the unit's
indicators: KMS hosts, certificate issuers and days) and the machine's own
(:class:`MachineInputs`, the rest of collector.store.unit_context.machine_context's arguments).

The mark keeps them in three parts, so that a machine of which nothing changed is never read:
- the unit's digest (:meth:`VerdictInputs.unit_digest`): the rules' fingerprint, the unit's path
  and shared context, whether a LAN was ever swept, the licence entries covering the unit;
- the machine's own observations' digest (:meth:`VerdictInputs.own_digest`): its rank among each
  covering entry's seat holders, its MAC seen on the LAN, refused reports; "" when it has none,
  so that only the machines named in those registers (:meth:`VerdictInputs.observed`) and the
  marks holding one are compared;
- its row's unit, state sequence and last-seen time and its key history, kept as columns and
  compared in SQL (collector.store.scan_marks.changed_machines).
Each digest is made of ``repr`` texts (plain values, dates, tuples, lists and frozen dataclasses of
them: the same text in every process).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from collector.judging.rules import LoadedRules
from collector.store.machines import StoredState
from collector.store.unit_context import machine_context, report_year
from rules.facts import MachineContext
from rules.indicators import IndicatorSet
from rules.licences import LicenceCover, LicenceTerm, covers_of

if TYPE_CHECKING:
    from collector.judging.scan import _Seen


class MachineInputs(NamedTuple):
    """A machine's own part of its context, as the scan knows it."""

    last_seen_at: datetime | None
    licences: list[LicenceCover]
    mac_seen_on_lan: bool | None
    rejected_reports: int
    reenrolled: bool | None
    key_enrolled_at: datetime | None


class VerdictInputs:
    """One scan's view of what verdicts depend on: the rules' fingerprint, the licence register
    and what the collector observed (``seen``); each unit's shared part made once."""

    def __init__(self, rules: LoadedRules, terms: Sequence[LicenceTerm], now: datetime, seen: _Seen) -> None:
        self.fingerprint = rules_fingerprint(rules, now)
        self.terms, self.seen = terms, seen
        self._units: dict[str, str] = {}
        self._shared: dict[int, tuple[IndicatorSet, str]] = {}

    def of(self, machine: StoredState, unit_path: str) -> MachineInputs:
        keys = self.seen.keys.get(machine.id)
        return MachineInputs(machine.last_seen_at, covers_of(machine.id, unit_path, self.terms, self.seen.holders),
                             self.seen.network.mac_seen_since(machine.id, machine.last_seen_at),
                             self.seen.rejections.get(machine.id, 0), keys.reenrolled if keys else None,
                             keys.enrolled_at if keys else None)

    def context(self, unit_path: str, own: MachineInputs) -> MachineContext:
        """The machine's whole context: its unit's shared part and ``own``."""
        return machine_context(self.seen.contexts.of(unit_path), **own._asdict())

    def unit_digest(self, unit_path: str) -> str:
        """The digest of what every machine of the unit at ``unit_path`` shares (see the module)."""
        digest = self._units.get(unit_path)
        if digest is None:
            shared = self._shared_text(self.seen.contexts.of(unit_path))
            covering = repr(covers_of(0, unit_path, self.terms, {}))  # the entries, no machine's rank
            text = f"{self.fingerprint}|{unit_path}|{shared}|{self.seen.network.lan_swept}|{covering}"
            digest = self._units[unit_path] = hashlib.sha256(text.encode()).hexdigest()
        return digest

    def _shared_text(self, indicators: IndicatorSet) -> str:
        """The context of a machine of a unit with these indicators of which nothing else is known,
        as text; made once per set (units without overrides of their own share one)."""
        kept = self._shared.get(id(indicators))
        if kept is None or kept[0] is not indicators:
            kept = self._shared[id(indicators)] = (indicators, repr(machine_context(indicators)))
        return kept[1]

    @staticmethod
    def own_digest(own: MachineInputs) -> str:
        """The digest of the machine's own observations; "" when it has none (see the module)."""
        ranks = tuple(cover.rank for cover in own.licences)
        if not own.mac_seen_on_lan and not own.rejected_reports and all(rank is None for rank in ranks):
            return ""
        return hashlib.sha256(repr((ranks, own.mac_seen_on_lan, own.rejected_reports)).encode()).hexdigest()

    def observed(self) -> set[int]:
        """The machines that have observations of their own now (a seat, their MAC on a swept LAN,
        refused reports): the others' :meth:`own_digest` is ""."""
        found = set(self.seen.rejections)
        for holders in self.seen.holders.values():
            found.update(holders)
        if self.seen.network.lan_swept:
            found.update(self.seen.network.mac_seen_at)
        return found


def rules_fingerprint(rules: LoadedRules, now: datetime) -> str:
    """The digest of everything every machine's verdicts share: rules (as written, with their
    titles and remediation, which alerts carry), overrides, indicators, the year, and which dated
    rules are active today."""
    today = now.date().isoformat()
    active = sorted(c.rule.id for c in rules.ruleset.rules
                    if (not c.rule.active_from or today >= c.rule.active_from)
                    and not (c.rule.active_until and today >= c.rule.active_until))
    shared = [[_canonical(c.rule) for c in rules.ruleset.rules], _canonical(rules.ruleset.overrides),
              _canonical(rules.indicators), report_year(now), active]
    return hashlib.sha256(json.dumps(shared, default=str, sort_keys=True).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON-able data, the same in every process (sets sorted, enums by value)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, set | frozenset):
        return sorted(str(_canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
