"""Sign-in throttling: once an account name has failed ``per_name`` times within ``window`` (or a
client address ``per_address`` times), further sign-ins for it are refused, without checking the
password, until the oldest of those failures is ``window`` old. A successful sign-in clears the
account name's failures (not the address's: one's own valid account must not reset an address
that is guessing others' passwords).

Kept in memory, per process: ``canhgac serve`` runs one process, and a restart forgetting the
counts costs an attacker a restart they cannot cause. Memory is bounded because the attacker
chooses the names: at most ``max_keys`` names and addresses are remembered, each with at most its
limit of instants; beyond that the least recently failing one is forgotten first. Behind a reverse
proxy every request comes from the proxy's address, so the per-address limit then counts everyone
together (the per-name limit still holds)."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

NAME_CHARS = 200
"""Longer names are counted by their first NAME_CHARS characters (no user name is that long)."""


@dataclass(frozen=True)
class Limits:
    per_name: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    max_keys: int = 10_000


class SignInThrottle:
    """Failed sign-ins per account name and per client address; safe across worker threads."""

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._failures: OrderedDict[tuple[str, str], deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_at(self, name: str, address: str, now: datetime) -> datetime | None:
        """When a sign-in for ``name`` from ``address`` may be tried again; None: it may be tried now."""
        with self._lock:
            waits = [failures[0] + self.limits.window for key, limit in self._keys(name, address)
                     if len(failures := self._live(key, limit, now)) >= limit]
        return max(waits, default=None)

    def failed(self, name: str, address: str, now: datetime) -> None:
        with self._lock:
            for key, limit in self._keys(name, address):
                failures = self._live(key, limit, now)
                failures.append(now)
                self._failures[key] = failures
                self._failures.move_to_end(key)
            while len(self._failures) > self.limits.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("name", _account(name)), None)

    def __len__(self) -> int:
        return len(self._failures)

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, str], int]]:
        return [(("name", _account(name)), self.limits.per_name), (("address", address), self.limits.per_address)]

    def _live(self, key: tuple[str, str], limit: int, now: datetime) -> deque[datetime]:
        """The failures of ``key`` still inside the window (the last ``limit`` of them: older ones
        cannot change the answer)."""
        failures = self._failures.get(key) or deque(maxlen=limit)
        while failures and failures[0] <= now - self.limits.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures


def _account(name: str) -> str:
    return name.strip().casefold()[:NAME_CHARS]
