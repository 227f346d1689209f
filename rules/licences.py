"""The licence register's arithmetic, pure: which entries cover a unit, installs against seats.

A licence of a unit covers that unit's whole subtree (``unit_path`` is a prefix, "/1/7/").
Built-in free products (rules.facts.BUILTIN_FREE_ANTIVIRUS) need no entry.
"""

from __future__ import annotations

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
