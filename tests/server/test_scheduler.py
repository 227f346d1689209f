"""The serve scheduler: jobs run at their interval, a failing job runs again next time, and stop
ends the thread within its bound."""

from __future__ import annotations

import threading
import time

from collector.scheduler import Job, Scheduler


def test_jobs_repeat_a_failure_does_not_stop_them_and_stop_is_bounded() -> None:
    runs: list[str] = []
    twice = threading.Event()

    def flaky() -> None:
        runs.append("flaky")
        if runs.count("flaky") >= 2:
            twice.set()
        raise RuntimeError("boom")

    scheduler = Scheduler([Job("flaky", 0.05, flaky), Job("steady", 0.05, lambda: runs.append("steady"))])
    scheduler.start()
    assert twice.wait(5)
    started = time.monotonic()
    scheduler.stop(timeout_s=5)
    assert time.monotonic() - started < 2
    assert "steady" in runs
    settled = len(runs)
    time.sleep(0.2)
    assert len(runs) == settled  # nothing runs after stop


def test_no_job_no_thread() -> None:
    scheduler = Scheduler([])
    scheduler.start()
    scheduler.stop(timeout_s=1)
    assert not scheduler._thread.is_alive()
