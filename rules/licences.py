"""The licence register's arithmetic, pure: which entries cover a unit, installs against seats.

A licence of a unit covers that unit's whole subtree (``unit_path`` is a prefix, "/1/7/").
Built-in free products (rules.antivirus_licence.BUILTIN_FREE_ANTIVIRUS) need no entry. Installs
beyond an entry's seats are not licensed: an entry's seats go to its installs in the order the
machines were enrolled (the first ``seats`` machines ids), so a new PC past the seats is the one
without a licence (:class:`LicenceCover`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LicenceTerm:
    id: int
    product: str
    pattern: str
    seats: int
    unit_path: str
    expires_on: date
    starts_on: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and day <= self.expires_on

    def covers(self, unit_path: str) -> bool:
        return unit_path.startswith(self.unit_path)


def valid_patterns(licences: Iterable[LicenceTerm], unit_path: str, day: date) -> tuple[str, ...]:
    """Patterns of the valid licences that cover ``unit_path``."""
    return tuple(lic.pattern for lic in licences if lic.covers(unit_path) and lic.valid_on(day))


def seats_exceeded(licences: Iterable[LicenceTerm], installs: Mapping[int, int]) -> list[tuple[LicenceTerm, int]]:
    """Licences whose installs (machines of the subtree naming the product, counted by
    collector.store.products.licence_installs) exceed their seats, with the install count."""
    return [(licence, installs.get(licence.id, 0)) for licence in licences
            if installs.get(licence.id, 0) > licence.seats]


@dataclass(frozen=True)
class LicenceCover:
    """A register entry covering one machine's unit, as that machine sees it."""

    product: str
    pattern: str
    seats: int
    expires_on: date
    starts_on: date | None = None
    rank: int | None = None
    """The machine's place among the entry's installs (1 = first enrolled); None when it names no
    matching product (then it takes no seat)."""

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name.strip().lower(), self.pattern.lower())

    def valid_on(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and day <= self.expires_on


def covers_of(machine_id: int, unit_path: str, licences: Iterable[LicenceTerm],
              holders: Mapping[int, Mapping[int, int]]) -> list[LicenceCover]:
    """The entries covering ``unit_path`` with the machine's rank among each entry's installs
    (``holders``: entry id -> {machine id: rank} of the machines naming a matching product,
    ranked in enrollment order; see :func:`ranks`)."""
    covers = []
    for term in licences:
        if not term.covers(unit_path):
            continue
        rank = holders.get(term.id, {}).get(machine_id)
        covers.append(LicenceCover(term.product, term.pattern, term.seats, term.expires_on, term.starts_on, rank))
    return covers


def ranks(machine_ids: Iterable[int]) -> dict[int, int]:
    """{machine id: its place, from 1} in enrollment (id) order."""
    return {machine_id: place for place, machine_id in enumerate(sorted(set(machine_ids)), start=1)}


def days_to_expiry(licences: Iterable[LicenceTerm], unit_path: str, day: date) -> tuple[int | None, str]:
    """Days until the first of the unit's own valid entries ends, and its product (None, "": none)."""
    valid = [t for t in licences if t.unit_path == unit_path and t.valid_on(day)]
    if not valid:
        return None, ""
    first = min(valid, key=lambda t: t.expires_on)
    return (first.expires_on - day).days, first.product
