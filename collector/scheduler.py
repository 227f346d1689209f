"""The ``serve`` process's own scheduler: the compliance scan every N minutes, notifications
every short window (batching; the job is the server's: server.notify.dispatch), and the passive
ARP listener's arrivals stored as they come (collector.network.listener).

One daemon thread runs the jobs one after the other (a scan never overlaps itself); a job that
fails is logged and runs again at its next time. ``stop()`` ends the thread with the server,
waiting a bounded time for a job in progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collector.network.listener import PassiveListener
    from collector.state import CollectorState

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



def once_per_database(state: CollectorState, name: str, every_s: float, run: Callable[[], str],
                      holder: str | None = None) -> Callable[[], str]:
    """``run`` only when this process takes the job's lease for the interval (collector.store.scan):
    with several ``serve`` workers or processes on one database, one of them runs it per interval."""
    from collector.store.scan import claim_lease, finish_lease

    every = timedelta(seconds=every_s)

    def leased() -> str:
        if not claim_lease(state.db, name, every, state.clock(), holder):
            return "skipped: another process has this interval's run"
        try:
            return run()
        finally:
            finish_lease(state.db, name, state.clock(), holder)

    return leased


def scan_job(state: CollectorState, holder: str | None = None) -> Job:
    """The compliance scan of ``scan all``, with the state's rules, every scan_interval_minutes,
    once per database (its lease)."""
    from collector.judging.scan import scan_all

    def run() -> str:
        started = time.monotonic()
        summary = scan_all(state.db, state.clock(), state.rules)
        state.metrics.job_ran("scan", time.monotonic() - started, time.time())
        pruned = prune_job(state)
        failed = [f"{p.part} {p.target}" for p in summary.network if not p.ok]
        return (f"{summary.machines} machines ({summary.judged} judged), {summary.units} units "
                f"({summary.units_judged} judged), {summary.changes} alert changes"
                + (f"; failed: {', '.join(failed)}" if failed else "") + f"; {pruned}")

    every_s = state.config.scan_interval_minutes * 60
    return Job("scan", every_s, once_per_database(state, "scan", every_s, run, holder))


def prune_job(state: CollectorState) -> str:
    """The scan's thinning of old reports (collector.store.retention), within prune_max_seconds."""
    from collector.retention import RetentionPolicy
    from collector.store.retention import prune_reports

    config = state.config
    started = time.monotonic()
    summary = prune_reports(state.db, state.clock(), RetentionPolicy(config.keep_all_days, config.keep_daily_days),
                            config.prune_max_seconds)
    state.metrics.job_ran("prune", time.monotonic() - started, time.time())
    return (f"{summary.reports_deleted} old reports thinned"
            + ("" if summary.finished else " (to be continued at the next scan)"))


def listener_job(listener: PassiveListener) -> Job:
    """The passive listener's arrivals stored every 2 s."""
    return Job("passive ARP", 2.0, lambda: f"{len(listener.store_arrivals())} new device(s) heard")
