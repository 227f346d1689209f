"""The scheduled scan runs once per database however many processes serve it: two schedulers on
one database (each with its own state, as two workers have) take turns by the lease row; a run
that never finished is taken over only once stale. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from collector.config import CollectorConfig
from collector.db import open_database
from collector.scheduler import Scheduler, scan_job
from collector.state import build_state
from collector.store.scan import claim_lease, finish_lease

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_two_schedulers_on_one_database_scan_once_per_interval(db_url: str) -> None:
    clock = FrozenClock(NOW)
    config = CollectorConfig(db_url=db_url, scan_interval_minutes=15)
    first, second = (open_database(db_url), open_database(db_url, migrate=False))
    try:
        jobs = [scan_job(build_state(config, db, clock), holder=name) for db, name in ((first, "a"), (second, "b"))]
        results = [job.run() for job in jobs]
        assert sum("skipped" in r for r in results) == 1, results
        clock.now += timedelta(minutes=5)
        assert all("skipped" in job.run() for job in jobs)  # within the interval: nobody
        clock.now += timedelta(minutes=10)
        later = [job.run() for job in reversed(jobs)]  # the other worker's turn first this time
        assert ["skipped" in r for r in later] == [False, True], later
    finally:
        first.dispose()
        second.dispose()


def test_a_scheduler_runs_the_leased_scan_through_its_loop(db_url: str) -> None:
    db = open_database(db_url)
    try:
        clock = FrozenClock(NOW)
        config = CollectorConfig(db_url=db_url, scan_interval_minutes=0.001)
        ran = threading.Event()
        job = scan_job(build_state(config, db, clock), holder="loop")
        inner = job.run
        job.run = lambda: (ran.set(), inner())[1]  # type: ignore[method-assign]
        scheduler = Scheduler([job])
        scheduler.start()
        assert ran.wait(10)
        scheduler.stop(timeout_s=10)
        assert not claim_lease(db, "scan", timedelta(minutes=15), NOW, "other")  # the loop's run holds this turn
    finally:
        db.dispose()


def test_claims_at_the_same_moment_give_one_turn(db_url: str) -> None:
    dbs = [open_database(db_url)] + [open_database(db_url, migrate=False) for _ in range(3)]
    wins: list[str] = []
    barrier = threading.Barrier(len(dbs), timeout=10)

    def claim(index: int) -> None:
        barrier.wait()
        if claim_lease(dbs[index], "scan", timedelta(minutes=15), NOW, f"worker-{index}"):
            wins.append(f"worker-{index}")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(dbs))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert len(wins) == 1, wins
    finally:
        for db in dbs:
            db.dispose()


def test_an_unfinished_run_is_taken_over_only_when_stale(db_url: str) -> None:
    db = open_database(db_url)
    every = timedelta(minutes=15)
    try:
        assert claim_lease(db, "scan", every, NOW, "died")  # never finishes
        assert not claim_lease(db, "scan", every, NOW + timedelta(minutes=20), "b")
        assert claim_lease(db, "scan", every, NOW + timedelta(hours=1, minutes=1), "b")
        finish_lease(db, "scan", NOW + timedelta(hours=1, minutes=2), "b")
        assert claim_lease(db, "scan", every, NOW + timedelta(hours=1, minutes=16), "c")
    finally:
        db.dispose()
