"""The licence register's arithmetic, pure: which entries cover a unit, installs against seats.

A licence of a unit covers that unit's whole subtree (``unit_path`` is a prefix, "/1/7/").
Built-in free products (rules.facts.BUILTIN_FREE_ANTIVIRUS) need no entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from rules.facts import matches_any


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


@dataclass(frozen=True)
class Installed:
    """One machine's product names (antivirus and programs) and its unit's path."""

    unit_path: str
    names: Sequence[str]


def valid_patterns(licences: Iterable[LicenceTerm], unit_path: str, day: date) -> tuple[str, ...]:
    """Patterns of the valid licences that cover ``unit_path``."""
    return tuple(lic.pattern for lic in licences if lic.covers(unit_path) and lic.valid_on(day))


def installs(licence: LicenceTerm, machines: Iterable[Installed]) -> int:
    """Machines in the licence's subtree with at least one product matching its pattern."""
    return sum(1 for m in machines if licence.covers(m.unit_path) and matches_any_name(m.names, licence.pattern))


def matches_any_name(names: Sequence[str], pattern: str) -> bool:
    return any(matches_any(name, (pattern,)) for name in names)


def seats_exceeded(licences: Iterable[LicenceTerm], machines: Sequence[Installed]) -> list[tuple[LicenceTerm, int]]:
    """Licences whose installs exceed their seats, with the install count."""
    over = []
    for licence in licences:
        count = installs(licence, machines)
        if count > licence.seats:
            over.append((licence, count))
    return over
