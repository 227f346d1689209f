"""The overview's readiness cache: kept for its TTL, recomputed after, bounded in size."""

from __future__ import annotations

from typing import Any

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
    cache, calls = ReadinessCache(ttl_s=60, max_units=2, clock=Clock()), []
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
