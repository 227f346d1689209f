"""Which stored reports thinning keeps: pure rules over (id, received_at), no I/O.

Every report is kept for ``keep_all_days``; older ones one a day per machine (the newest of each
Vietnam day) until ``keep_daily_days``; older still, one a week (the newest of each ISO week, weeks
from Monday). Readiness snapshots and each machine's current state live elsewhere and are never
thinned (collector.store.retention applies these rules in bounded batches).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7))


class ThinStep(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class RetentionPolicy:
    keep_all_days: int = 30
    keep_daily_days: int = 400

    def __post_init__(self) -> None:
        if self.keep_all_days < 1 or self.keep_daily_days < self.keep_all_days:
            raise ValueError(f"keep_all_days {self.keep_all_days} must be at least 1 and keep_daily_days "
                             f"{self.keep_daily_days} at least keep_all_days")

    def thin_until(self, step: ThinStep, now: datetime) -> date:
        """The first Vietnam day whose reports ``step`` does not thin yet (a Monday for weeks, so that
        a week is thinned whole)."""
        today = vietnam_day(now)
        if step is ThinStep.DAILY:
            return today - timedelta(days=self.keep_all_days)
        cutoff = today - timedelta(days=self.keep_daily_days)
        return cutoff - timedelta(days=cutoff.weekday())


def vietnam_day(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()


def day_start(day: date) -> datetime:
    """The UTC instant a Vietnam day begins."""
    return datetime.combine(day, time(), VIETNAM).astimezone(UTC)


def bucket(step: ThinStep, at: datetime) -> date:
    day = vietnam_day(at)
    return day if step is ThinStep.DAILY else day - timedelta(days=day.weekday())


def doomed(step: ThinStep, rows: Iterable[tuple[int, int, datetime]], keep: frozenset[int] = frozenset()) -> list[int]:
    """Ids of the rows (id, machine id, received_at) thinning removes: all but the newest of each
    machine's day (or week), and never an id of ``keep``."""
    newest: dict[tuple[int, date], tuple[datetime, int]] = {}
    rows = list(rows)
    for report_id, machine_id, received_at in rows:
        key = (machine_id, bucket(step, received_at))
        if key not in newest or (received_at, report_id) > newest[key]:
            newest[key] = (received_at, report_id)
    kept = {report_id for _at, report_id in newest.values()} | keep
    return sorted(report_id for report_id, _m, _at in rows if report_id not in kept)
