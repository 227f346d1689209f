"""The overview's readiness cache: kept for its TTL, recomputed after, bounded in size."""

from __future__ import annotations

from typing import Any

import pytest

from server.web.cache import ReadinessCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_table_is_kept_for_the_ttl_then_recomputed() -> None:
    clock, calls = Clock(), []

    def compute() -> Any:
        calls.append(clock.now)
        return f"table@{clock.now}"

    cache = ReadinessCache(ttl_s=60, clock=clock, refresh_s=None)
    assert cache.get("DT", compute) == "table@0.0"
    clock.now = 59
    assert cache.get("DT", compute) == "table@0.0"
    clock.now = 61
    assert cache.get("DT", compute) == "table@61"
    assert calls == [0.0, 61]


def test_the_oldest_unit_leaves_first() -> None:
    cache, calls = ReadinessCache(ttl_s=60, max_kept=2, clock=Clock()), []
    for code in ("A", "B", "C", "A"):
        cache.get(code, lambda code=code: calls.append(code) or code)  # type: ignore[func-returns-value]
    assert calls == ["A", "B", "C", "A"]


def test_an_old_table_is_served_while_the_next_one_is_computed_once() -> None:
    clock, calls, spawned = Clock(), [], []

    def compute() -> Any:
        calls.append(clock.now)
        return f"table@{clock.now}"

    cache = ReadinessCache(ttl_s=60, refresh_s=45, clock=clock, spawn=spawned.append)
    assert cache.get("DT", compute) == "table@0.0"
    clock.now = 44
    assert cache.get("DT", compute) == "table@0.0" and spawned == []
    clock.now = 50
    assert cache.get("DT", compute) == "table@0.0" and cache.get("DT", compute) == "table@0.0"
    assert len(spawned) == 1 and calls == [0.0]  # one refresh under way, none computed on a request
    clock.now = 52
    spawned[0]()
    assert calls == [0.0, 52] and cache.get("DT", compute) == "table@52"
    clock.now = 50 + 59
    assert cache.get("DT", compute) == "table@52"  # kept from when the refresh started (50)
    clock.now = 50 + 61
    assert cache.get("DT", compute) == "table@111" and len(spawned) == 2


def test_a_failed_refresh_keeps_the_old_table_until_it_expires() -> None:
    clock, spawned = Clock(), []
    cache = ReadinessCache(ttl_s=60, refresh_s=45, clock=clock, spawn=spawned.append)
    cache.get("DT", lambda: "old")
    clock.now = 46
    assert cache.get("DT", lambda: 1 / 0) == "old"
    spawned[0]()  # logs the ZeroDivisionError
    assert cache.get("DT", lambda: "new") == "old" and len(spawned) == 2  # a later hit tries again
    clock.now = 61
    assert cache.get("DT", lambda: "new") == "new"


def test_requests_missing_the_same_unit_together_compute_it_once() -> None:
    import threading

    started, release, calls = threading.Event(), threading.Event(), []

    def compute() -> Any:
        calls.append(1)
        started.set()
        release.wait(5)
        return "table"

    cache, results = ReadinessCache(ttl_s=60, refresh_s=None), []
    first = threading.Thread(target=lambda: results.append(cache.get("DT", compute)))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda: results.append(cache.get("DT", compute))) for _ in range(3)]
    for thread in others:
        thread.start()
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert results == ["table"] * 4 and calls == [1]


class Rounds:
    """A stop event for keep_fresh: lets it run ``rounds`` times, the clock moving on by what it waits."""

    def __init__(self, rounds: int, clock: Clock) -> None:
        self.left, self.clock, self.waited = rounds, clock, []

    def is_set(self) -> bool:
        return self.left <= 0

    def wait(self, seconds: float) -> bool:
        self.waited.append(seconds)
        self.left -= 1
        self.clock.now += seconds
        return self.is_set()


def test_keep_fresh_computes_at_once_then_every_refresh_and_outlives_a_failure() -> None:
    clock, calls = Clock(), []

    def compute() -> Any:
        calls.append(clock.now)
        if clock.now == 45:
            raise RuntimeError("database gone for a moment")
        return f"figures@{clock.now}"

    cache = ReadinessCache(ttl_s=60, refresh_s=45, clock=clock, spawn=lambda work: pytest.fail("no request spawns"))
    stop = Rounds(3, clock)
    cache.keep_fresh("*", compute, stop)  # type: ignore[arg-type]
    assert calls == [0, 45, 90] and stop.waited == [45, 45, 45]
    clock.now = 100
    assert cache.get("*", lambda: pytest.fail("kept figures are not computed again")) == "figures@90.0"


def test_keep_fresh_leaves_the_old_figures_to_requests_while_it_computes() -> None:
    clock = Clock()
    cache = ReadinessCache(ttl_s=60, refresh_s=45, clock=clock, spawn=lambda work: None)
    cache.get("*", lambda: "old")
    clock.now = 50
    seen = []

    def compute() -> Any:
        seen.append(cache.get("*", lambda: pytest.fail("a request waited for the refresh")))
        return "new"

    cache.keep_fresh("*", compute, Rounds(1, clock))  # type: ignore[arg-type]
    assert seen == ["old"] and cache.get("*", lambda: "computed") == "new"
