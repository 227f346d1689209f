"""What the overview pages read their readiness figures from: every unit's counts, kept at most
``TTL_S`` old and shared by everyone (collector.store.readiness.CountsSnapshot).

The counts of a province take one aggregate over all its machines: a few hundred milliseconds
of SQL at 200,000 machines (bench/readiness.py). Computed once for the whole tree, any unit's
table then rolls up from them in memory (tens of milliseconds for a province of 10,000 units),
so neither a room of officers opening their communes at 8:00 nor a wall screen pays the
aggregate. The page shows when the figures were computed; the CSV and printable exports and
the API always compute afresh. Access is still checked on every request (the unit asked for is
resolved within the person's scope before any figure is read).

Three things keep the aggregate off people's requests:
- requests that find nothing kept wait for one computation instead of each running it;
- a request that finds figures older than ``REFRESH_S`` (but within the TTL) gets them at once
  while a background thread computes the next;
- ``serve`` runs :meth:`ReadinessCache.keep_fresh` in a thread of its own: the figures are
  computed as the server starts and again every ``REFRESH_S``, so they never expire while it
  runs (at 200,000 machines and 100 commune lines, 0.5-0.75 s of one core each time: 1-2% of a
  core).
Without ``keep_fresh`` (the tests' apps), the first request and the first one after ``TTL_S``
with no request compute in their own time (bench/dashboard.py measures both).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

TTL_S = 60.0
REFRESH_S = 45.0
MAX_KEPT = 256
log = logging.getLogger("canhgac.server.web")
T = TypeVar("T")


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="readiness-refresh", daemon=True).start()


class _Flight(Generic[T]):
    """One computation under way, which the other requests for the same key wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None


class ReadinessCache(Generic[T]):
    def __init__(self, ttl_s: float = TTL_S, max_kept: int = MAX_KEPT,
                 clock: Callable[[], float] = time.monotonic, refresh_s: float | None = REFRESH_S,
                 spawn: Callable[[Callable[[], None]], None] = _in_thread) -> None:
        """``refresh_s``: age from which a hit also starts a background recomputation (None: never);
        ``spawn`` runs that recomputation (a daemon thread; tests run it in place)."""
        self._ttl_s, self._max, self._clock = ttl_s, max_kept, clock
        self._refresh_s, self._spawn = refresh_s, spawn
        self._kept: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._flights: dict[str, _Flight[T]] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], T]) -> T:
        """The value kept for ``key`` when younger than the TTL; else ``compute()``, kept
        (once for every request missing it at the same time)."""
        now = self._clock()
        with self._lock:
            found = self._kept.get(key)
            if found is not None and now - found[0] < self._ttl_s:
                refresh = self._refresh_s is not None and now - found[0] >= self._refresh_s \
                    and self._claim_refresh(key)
                flight, leader = None, False
            else:
                found, refresh = None, False
                flight = self._flights.get(key)
                leader = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight()
        if found is not None:
            if refresh:
                self._spawn(lambda: self._refresh(key, now, compute))
            return found[1]
        assert flight is not None
        if not leader:
            flight.done.wait()
            return flight.value if flight.value is not None else compute()  # the leader failed: try ourselves
        try:
            flight.value = compute()
            self._keep(key, now, flight.value)
            return flight.value
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def kept(self, key: str) -> T | None:
        """The value kept for ``key``, whatever its age; None when none is (nothing is computed)."""
        with self._lock:
            found = self._kept.get(key)
        return None if found is None else found[1]

    def keep_fresh(self, key: str, compute: Callable[[], T], stop: threading.Event) -> None:
        """Until ``stop`` is set: compute ``key`` at once (requests arriving meanwhile wait for it),
        then again every ``refresh_s`` in place of the value kept (requests keep getting the old
        one meanwhile). A failure is logged and tried again at the next time. Runs in the caller's
        thread: ``serve`` gives it one (:func:`keep_fresh_in_thread`)."""
        every_s = self._refresh_s if self._refresh_s is not None else self._ttl_s / 2
        while not stop.is_set():
            try:
                with self._lock:
                    kept = key in self._kept
                    claimed = kept and self._claim_refresh(key)
                if not kept:
                    self.get(key, compute)
                elif claimed:
                    self._refresh(key, self._clock(), compute)
            except Exception:  # noqa: BLE001 - the next round tries again; requests compute if it expires
                log.exception("computing the readiness figures for %s failed", key)
            stop.wait(every_s)

    def _claim_refresh(self, key: str) -> bool:
        """Called with the lock held: True when no refresh of ``key`` is under way (one is now)."""
        if key in self._refreshing:
            return False
        self._refreshing.add(key)
        return True

    def _refresh(self, key: str, started: float, compute: Callable[[], T]) -> None:
        try:
            self._keep(key, started, compute())
        except Exception:  # a failed refresh leaves the kept value to expire; the next miss computes
            log.exception("refreshing the readiness figures for %s failed", key)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _keep(self, key: str, at: float, value: T) -> None:
        with self._lock:
            self._kept[key] = (at, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def keep_fresh_in_thread(cache: ReadinessCache[T], key: str, compute: Callable[[], T]) -> Callable[[], None]:
    """Starts :meth:`ReadinessCache.keep_fresh` in a daemon thread; returns what stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=cache.keep_fresh, args=(key, compute, stop), name="readiness-keeper",
                              daemon=True)
    thread.start()

    def end() -> None:
        stop.set()
        thread.join(10)

    return end
