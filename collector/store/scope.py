"""A person's scope: the subtree of units they may see and act on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true

from collector.models.units import Unit


@dataclass(frozen=True)
class Scope:
    """``unit_path`` None means everything (an admin with no unit)."""

    unit_path: str | None

    def units_clause(self) -> ColumnElement[bool]:
        """A WHERE clause over ``Unit`` keeping only units inside this scope."""
        if self.unit_path is None:
            return true()
        return Unit.path.startswith(self.unit_path, autoescape=True)


EVERYTHING = Scope(unit_path=None)


def path_range(prefix: str) -> tuple[str, str]:
    """Paths starting with ``prefix`` ("/1/7/") are those >= prefix and < its successor ("/1/70"):
    a range an index can seek, where LIKE with an ESCAPE clause is read row by row by SQLite."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
