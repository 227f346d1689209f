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

    cache = ReadinessCache(ttl_s=60, clock=clock)
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
