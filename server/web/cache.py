"""A short-lived cache of readiness tables for the overview pages.

The province rollup over 200,000 machines costs a few hundred milliseconds of SQL
(bench/readiness.py); a wall screen and a room of officers opening the overview each morning
need not pay it on every request. Figures are at most ``TTL_S`` old (the page shows the time
they were computed); the CSV and printable exports always compute afresh. Access is still
checked on every request (the key is the unit asked for, resolved within the person's scope
before the cache is consulted).

Two more things keep the cost off people's requests: requests that miss the same unit at the
same time wait for one computation instead of each running the rollup, and a request that finds
a table older than ``REFRESH_S`` (but still within the TTL) gets it at once while a background
thread computes the next one. The first request after a restart, or after nobody asked for
``TTL_S``, still computes in its own time (bench/dashboard.py measures that "cold" render).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from collector.store.readiness_report import ReadinessTable

TTL_S = 60.0
REFRESH_S = 45.0
MAX_UNITS = 256
log = logging.getLogger("canhgac.server.web")


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="readiness-refresh", daemon=True).start()


class _Flight:
    """One computation under way, which the other requests for the same unit wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.table: ReadinessTable | None = None


class ReadinessCache:
    def __init__(self, ttl_s: float = TTL_S, max_units: int = MAX_UNITS,
                 clock: Callable[[], float] = time.monotonic, refresh_s: float | None = REFRESH_S,
                 spawn: Callable[[Callable[[], None]], None] = _in_thread) -> None:
        """``refresh_s``: age from which a hit also starts a background recomputation (None: never);
        ``spawn`` runs that recomputation (a daemon thread; tests run it in place)."""
        self._ttl_s, self._max, self._clock = ttl_s, max_units, clock
        self._refresh_s, self._spawn = refresh_s, spawn
        self._tables: OrderedDict[str, tuple[float, ReadinessTable]] = OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    def get(self, unit_code: str, compute: Callable[[], ReadinessTable]) -> ReadinessTable:
        """The kept table of ``unit_code`` when younger than the TTL; else ``compute()``, kept
        (once for every request missing it at the same time)."""
        now = self._clock()
        with self._lock:
            found = self._tables.get(unit_code)
            if found is not None and now - found[0] < self._ttl_s:
                refresh = self._refresh_s is not None and now - found[0] >= self._refresh_s \
                    and unit_code not in self._refreshing
                if refresh:
                    self._refreshing.add(unit_code)
                flight, leader = None, False
            else:
                found, refresh = None, False
                flight = self._flights.get(unit_code)
                leader = flight is None
                if flight is None:
                    flight = self._flights[unit_code] = _Flight()
        if found is not None:
            if refresh:
                self._spawn(lambda: self._refresh(unit_code, now, compute))
            return found[1]
        assert flight is not None
        if not leader:
            flight.done.wait()
            return flight.table if flight.table is not None else compute()  # the leader failed: try ourselves
        try:
            flight.table = compute()
            self._keep(unit_code, now, flight.table)
            return flight.table
        finally:
            with self._lock:
                self._flights.pop(unit_code, None)
            flight.done.set()

    def _refresh(self, unit_code: str, started: float, compute: Callable[[], ReadinessTable]) -> None:
        try:
            self._keep(unit_code, started, compute())
        except Exception:  # a failed refresh leaves the kept table to expire; the next miss computes
            log.exception("refreshing the readiness of %s failed", unit_code)
        finally:
            with self._lock:
                self._refreshing.discard(unit_code)

    def _keep(self, unit_code: str, at: float, table: ReadinessTable) -> None:
        with self._lock:
            self._tables[unit_code] = (at, table)
            self._tables.move_to_end(unit_code)
            while len(self._tables) > self._max:
                self._tables.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
