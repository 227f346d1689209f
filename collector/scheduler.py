"""The ``serve`` process's own scheduler: the compliance scan every N minutes, notifications
every short window (batching), and the passive ARP listener's arrivals stored as they come.

One daemon thread runs the jobs one after the other (a scan never overlaps itself); a job that
fails is logged and runs again at its next time. ``stop()`` ends the thread with the server,
waiting a bounded time for a job in progress.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collector.db import Database

log = logging.getLogger("canhgac.scheduler")


@dataclass
class Job:
    name: str
    every_s: float
    run: Callable[[], object]
    next_at: float = field(default=0.0)


class Scheduler:
    def __init__(self, jobs: Sequence[Job], clock: Callable[[], float] = time.monotonic) -> None:
        self.jobs = list(jobs)
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="canhgac-scheduler", daemon=True)

    def start(self) -> None:
        now = self._clock()
        for job in self.jobs:
            job.next_at = now + job.every_s
            log.info("scheduled %s every %.0f s", job.name, job.every_s)
        if self.jobs:
            self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            due = min(self.jobs, key=lambda job: job.next_at)
            if self._stop.wait(max(0.0, due.next_at - self._clock())):
                return
            self.run_job(due)
            due.next_at = max(due.next_at + due.every_s, self._clock())

    @staticmethod
    def run_job(job: Job) -> None:
        started = time.monotonic()
        try:
            result = job.run()
        except Exception:  # noqa: BLE001 - a failing job must not end the scheduler; it runs again next time
            log.exception("scheduled %s failed", job.name)
            return
        log.info("scheduled %s done in %.1f s: %s", job.name, time.monotonic() - started, result)


def utcnow() -> datetime:
    return datetime.now(UTC)


def scan_job(db: Database, every_s: float, rules: Any = None) -> Job:
    from collector.judging.scan import scan_all

    def run() -> str:
        summary = scan_all(db, utcnow(), rules)
        failed = [f"{p.part} {p.target}" for p in summary.network if not p.ok]
        return (f"{summary.machines} machines, {summary.units} units, {summary.changes} alert changes"
                + (f"; failed: {', '.join(failed)}" if failed else ""))

    return Job("scan", every_s, run)


def notify_job(db: Database, every_s: float, channels: Sequence[Any]) -> Job:
    from server.notify.dispatch import dispatch

    return Job("notify", every_s, lambda: f"{dispatch(db, channels, utcnow())} unit message(s)")


class PassiveListener:
    """ARP senders heard on ``iface`` (collector.network.arp.listen), queued by the sniffer thread and
    stored by :meth:`store_arrivals` (a scheduler job); each MAC is stored once per process."""

    MAX_QUEUED = 10_000
    MAX_REMEMBERED = 65_536

    def __init__(self, db: Database, iface: str, unit_id: int | None) -> None:
        self.db, self.iface, self.unit_id = db, iface, unit_id
        self.arrivals: queue.Queue[Any] = queue.Queue(self.MAX_QUEUED)
        self.known: set[str] = set()
        self.sniffer: Any = None

    def start(self) -> None:
        import collector.network.arp as lan

        self.sniffer = lan.listen(self.iface, self._arrived)

    def _arrived(self, seen: Any) -> None:
        try:
            self.arrivals.put_nowait(seen)
        except queue.Full:  # a flood: drop, the next scan's sweep will see them
            pass

    def store_arrivals(self) -> str:
        from collector.store.lan import record_seen

        batch = {}
        while len(batch) < 1000:
            try:
                seen = self.arrivals.get_nowait()
            except queue.Empty:
                break
            if seen.mac not in self.known:
                batch[seen.mac] = seen
        if batch:
            with self.db.session() as session:
                record_seen(session, list(batch.values()), utcnow(), self.unit_id, seen_by="passive")
            if len(self.known) > self.MAX_REMEMBERED:
                self.known.clear()
            self.known.update(batch)
        return f"{len(batch)} new device(s) heard"

    def stop(self) -> None:
        if self.sniffer is not None and self.sniffer.running:
            self.sniffer.stop()
