"""A short-lived cache of readiness tables for the overview pages.

The province rollup over 200,000 machines costs about half a second of SQL (bench/readiness.py);
a wall screen and a room of officers opening the overview each morning need not pay it on every
request. Figures are at most ``TTL_S`` old (the page shows the time they were computed); the
CSV and printable exports always compute afresh. Access is still checked on every request (the
key is the unit asked for, resolved within the person's scope before the cache is consulted).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from collector.store.readiness_report import ReadinessTable

TTL_S = 60.0
MAX_UNITS = 256


class ReadinessCache:
    def __init__(self, ttl_s: float = TTL_S, max_units: int = MAX_UNITS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s, self._max, self._clock = ttl_s, max_units, clock
        self._tables: OrderedDict[str, tuple[float, ReadinessTable]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, unit_code: str, compute: Callable[[], ReadinessTable]) -> ReadinessTable:
        """The cached table of ``unit_code`` when younger than the TTL; else ``compute()``, kept."""
        now = self._clock()
        with self._lock:
            found = self._tables.get(unit_code)
            if found is not None and now - found[0] < self._ttl_s:
                return found[1]
        table = compute()
        with self._lock:
            self._tables[unit_code] = (now, table)
            self._tables.move_to_end(unit_code)
            while len(self._tables) > self._max:
                self._tables.popitem(last=False)
        return table

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
