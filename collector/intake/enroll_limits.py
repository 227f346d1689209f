"""How often ``/enroll`` may be tried: at most ``per_address`` attempts from one client address and
``per_token`` with one token (by its hash, known or not) within ``window``; past either, 429 with
the time to retry (the attempt is not counted). How many machines a token may enroll at all is
the token's own limit (collector.store.enrollment).

Kept in memory by the one ``serve`` process (a restart forgets the counts); at most ``max_keys``
addresses and tokens are remembered, the least recently used forgotten first. Behind a reverse
proxy every request has the proxy's address: the per-address limit then counts everyone together.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from collector.errors import TooManyRequests
from collector.secrets import hash_token


@dataclass(frozen=True)
class EnrollLimits:
    per_address: int = 60
    per_token: int = 30
    window: timedelta = timedelta(minutes=10)
    max_keys: int = 10_000


class EnrollLimiter:
    """Attempts per address and per token in a sliding window; safe across worker threads."""

    def __init__(self, limits: EnrollLimits = EnrollLimits()) -> None:
        self.limits = limits
        self._attempts: OrderedDict[tuple[str, str], deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, address: str, token: str, now: datetime) -> None:
        """Count one attempt, or raise TooManyRequests (counting nothing) past a limit."""
        keys = [(("address", address), self.limits.per_address), (("token", hash_token(token)), self.limits.per_token)]
        with self._lock:
            live = [(key, limit, self._live(key, limit, now)) for key, limit in keys]
            waits = [attempts[0] + self.limits.window for _key, limit, attempts in live if len(attempts) >= limit]
            if waits:
                retry_at = max(waits)
                seconds = ceil((retry_at - now).total_seconds())
                raise TooManyRequests(f"too many enrollment attempts: try again in {seconds} s / quá nhiều lần "
                                      "đăng ký, hãy thử lại sau", seconds, code="enroll_rate_limited")
            for key, _limit, attempts in live:
                attempts.append(now)
                self._attempts[key] = attempts
                self._attempts.move_to_end(key)
            while len(self._attempts) > self.limits.max_keys:
                self._attempts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._attempts)

    def _live(self, key: tuple[str, str], limit: int, now: datetime) -> deque[datetime]:
        attempts = self._attempts.get(key) or deque(maxlen=limit)
        while attempts and attempts[0] <= now - self.limits.window:
            attempts.popleft()
        return attempts
