"""Passive ARP listening: the senders heard on an interface (collector.network.arp.listen), queued
by the sniffer's thread and stored by :meth:`PassiveListener.store_arrivals`, each MAC once per
process. ``serve`` stores them as a scheduler job; ``canhgac scan lan --listen`` prints them."""

from __future__ import annotations

import ipaddress
import queue
import threading
from typing import Any

from agent.wire import clock
from collector.db import Database
from collector.network.arp import Seen
from collector.store.lan import SweepDevice


class PassiveListener:
    MAX_QUEUED = 10_000
    MAX_REMEMBERED = 65_536
    BATCH = 1000

    def __init__(self, db: Database, iface: str, unit_id: int | None,
                 within: ipaddress.IPv4Network | None = None) -> None:
        """``within``: only senders of this network are stored (None: any)."""
        self.db, self.iface, self.unit_id, self.within = db, iface, unit_id, within
        self.arrivals: queue.Queue[Seen] = queue.Queue(self.MAX_QUEUED)
        self.known: set[str] = set()
        self.sniffer: Any = None
        self._heard = threading.Event()

    def start(self) -> None:
        import collector.network.arp as arp

        self.sniffer = arp.listen(self.iface, self._arrived)

    def _arrived(self, seen: Seen) -> None:
        try:
            self.arrivals.put_nowait(seen)
        except queue.Full:  # a flood: drop, the next scan's sweep will see them
            pass
        self._heard.set()

    def wait(self, timeout_s: float) -> None:
        """Block until a sender was heard or ``timeout_s`` passed (for a loop that prints)."""
        self._heard.wait(timeout_s)
        self._heard.clear()

    def store_arrivals(self) -> list[SweepDevice]:
        """Store the devices heard since the last call that this process has not stored yet;
        returns them (each with whether it is new to the collector and its machine)."""
        from collector.store.lan import record_seen

        batch: dict[str, Seen] = {}
        while len(batch) < self.BATCH:
            try:
                seen = self.arrivals.get_nowait()
            except queue.Empty:
                break
            if seen.mac not in self.known and self._wanted(seen):
                batch[seen.mac] = seen
        if not batch:
            return []
        with self.db.session() as session:
            devices = record_seen(session, list(batch.values()), clock.utcnow(), self.unit_id, seen_by="passive")
        if len(self.known) > self.MAX_REMEMBERED:
            self.known.clear()
        self.known.update(batch)
        return devices

    def _wanted(self, seen: Seen) -> bool:
        return self.within is None or ipaddress.IPv4Address(seen.ip) in self.within

    def stop(self) -> None:
        if self.sniffer is not None and self.sniffer.running:
            self.sniffer.stop()
