"""What a unit's place in the tree decides: its chain of codes (root first, what per-unit rule
overrides and indicator targets are keyed by) and the indicators as they apply there in the
report's year; and the rules' machine context built from them (KMS hosts, certificate issuers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models.units import Unit
from collector.store.units import path_ids
from rules.facts import MachineContext
from rules.indicators import IndicatorSet

VIETNAM_OFFSET = timedelta(hours=7)


def report_year(now: datetime) -> int:
    """The calendar year of ``now`` in Vietnam (UTC+7, no daylight saving): the targets' year."""
    return (now + VIETNAM_OFFSET).year


class UnitContexts:
    """Per unit path, its code chain and its indicators (read once, kept while it lives)."""

    def __init__(self, session: Session, indicators: IndicatorSet, now: datetime,
                 year: int | None = None) -> None:
        self.indicators = indicators
        self.year = year if year is not None else report_year(now)
        self.codes = dict(session.execute(select(Unit.id, Unit.code)).all()) if indicators.overrides else {}
        self._kept: dict[str, IndicatorSet] = {}

    def chain(self, path: str) -> tuple[str, ...]:
        return tuple(self.codes[i] for i in path_ids(path) if i in self.codes)

    def of(self, path: str) -> IndicatorSet:
        """The indicators as they apply to the unit at ``path``."""
        found = self._kept.get(path)
        if found is None:
            found = self._kept[path] = self.indicators.for_unit(self.chain(path), self.year)
        return found


def machine_context(indicators: IndicatorSet, **known: Any) -> MachineContext:
    """The rules' context of a machine whose unit's indicators are ``indicators`` (its KMS hosts,
    accepted certificate issuers, certificate days) plus what the caller knows."""
    return MachineContext(kms_hosts=tuple(indicators.parameter("kms_hosts", [])),
                          cert_issuers=tuple(indicators.parameter("issuers", [])),
                          cert_min_days=int(indicators.parameter("min_days_left", 30)), **known)


def period_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in Vietnam as UTC instants: [1/1 00:00 ICT, 1/1 of the next year)."""
    from datetime import UTC

    start = datetime(year, 1, 1, tzinfo=UTC) - VIETNAM_OFFSET
    return start, datetime(year + 1, 1, 1, tzinfo=UTC) - VIETNAM_OFFSET
