"""Issue 14 item 4: one undeliverable report no longer stops a PC from reporting. Against the tiny
real collector on 127.0.0.1 (tests/agent/conftest.py): a report it fails on (5xx) or refuses (4xx)
is set aside in the spool, kept, the later ones go on, the held one is tried again later, and every
report says how many are held. Numbers are taken only once the report is on disk (a real tmpfs)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agent import holding, spool
from agent.runner import run_cycle
from agent.spool import SpoolWriteError
from agent.state import load_state
from agent.transport import TransportError
from agent.wire.schema import decode_report
from tests.agent.conftest import T0, FakeCollector, config_for, enrolled
from tests.factories import FrozenClock


def no_sleep(_seconds: float) -> None:
    pass


def attempts_of(collector: FakeCollector, sequence: int) -> int:
    return sum(1 for r in collector.received if r.path == "/api/v1/reports"
               and decode_report(r.body).identity.sequence == sequence)


def test_a_report_the_collector_fails_on_is_set_aside_and_the_later_ones_go(state_dir: Path,
                                                                             collector: FakeCollector) -> None:
    """The issue's case: 5xx for #1 forever, 5 runs. Before: 15 requests for #1, #2-#5 never sent."""
    state = enrolled(state_dir, collector)
    collector.failing[1] = (500, "internal_error")
    clock = FrozenClock(T0)
    results = []
    for _ in range(5):
        results.append(run_cycle(config_for(state_dir, send_retries=2, retry_base_s=0.01), clock, no_sleep))
        clock.advance(minutes=15)
    assert sorted(seq for (agent, seq) in collector.stored if agent == state.agent_id) == [2, 3, 4, 5]
    assert [r.held for r in results] == [[], [], [1], [], []]  # set aside at its third failing cycle
    assert attempts_of(collector, 1) == 9  # 3 cycles x (1 + 2 retries), then not before its delay
    assert spool.pending(state_dir) == [] and holding.held_sequences(state_dir) == [1]
    saw = {seq: decode_report(body).identity.held_reports for (_agent, seq), body in collector.stored.items()}
    assert saw == {2: 0, 3: 0, 4: 1, 5: 1}


def test_a_held_report_is_tried_again_after_its_delay_and_then_forgotten(state_dir: Path,
                                                                         collector: FakeCollector) -> None:
    state = enrolled(state_dir, collector)
    collector.failing[1] = (422, "invalid_report")
    clock = FrozenClock(T0)
    first = run_cycle(config_for(state_dir), clock, no_sleep)
    assert first.held == [1] and attempts_of(collector, 1) == 1  # a refusal is not retried within the cycle
    clock.advance(minutes=30)
    run_cycle(config_for(state_dir), clock, no_sleep)
    assert attempts_of(collector, 1) == 1  # not yet due: held entries are tried less often
    del collector.failing[1]
    clock.advance(minutes=31)
    third = run_cycle(config_for(state_dir), clock, no_sleep)
    assert (1, "stored") in third.delivered and holding.held_sequences(state_dir) == []
    assert decode_report(collector.stored[(state.agent_id, 3)]).identity.held_reports == 1
    run_cycle(config_for(state_dir), clock, no_sleep)
    assert decode_report(collector.stored[(state.agent_id, 4)]).identity.held_reports == 0


def test_a_held_report_failing_again_waits_twice_as_long(state_dir: Path, collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    collector.failing[1] = (422, "invalid_report")
    clock = FrozenClock(T0)
    run_cycle(config_for(state_dir), clock, no_sleep)
    clock.advance(hours=1, seconds=1)
    run_cycle(config_for(state_dir), clock, no_sleep)
    book = holding.load_book(state_dir)
    assert book.held[1].attempts == 2
    assert book.held[1].next_try == pytest.approx(clock().timestamp() + 2 * 3600)


@pytest.mark.parametrize("status, code", [(401, "bad_signature"), (401, "timestamp_out_of_window"),
                                          (429, "too_many_requests")])
def test_a_refusal_of_the_agent_or_its_pace_sets_nothing_aside(state_dir: Path, collector: FakeCollector,
                                                               status: int, code: str) -> None:
    enrolled(state_dir, collector)
    collector.failing[1] = (status, code)
    for _ in range(4):
        result = run_cycle(config_for(state_dir, send_retries=0), FrozenClock(T0), no_sleep)
        assert result.held == []
    assert holding.held_sequences(state_dir) == [] and len(spool.pending(state_dir)) == 4


def test_a_collector_failing_for_every_report_stops_the_cycle_after_two(state_dir: Path,
                                                                        collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    for sequence in range(1, 6):
        collector.failing[sequence] = (503, "busy")
    config = config_for(state_dir, send_retries=0)
    for _ in range(4):
        run_cycle(config, FrozenClock(T0), no_sleep)
    tried = {seq: attempts_of(collector, seq) for seq in range(1, 5)}
    # two failing entries per cycle at most: #1 held at its 3rd failure (cycle 3), #2 at its 3rd (cycle 4)
    assert tried == {1: 3, 2: 3, 3: 1, 4: 0}
    assert holding.held_sequences(state_dir) == [1, 2] and len(spool.pending(state_dir)) == 2


def test_the_policy_of_what_is_about_the_report() -> None:
    def error(status: int | None, transient: bool = False) -> TransportError:
        return TransportError("x", transient=transient, status=status)

    assert [holding.refuses_the_report(error(s)) for s in (400, 403, 409, 413, 422, 401, 429, 500, None)] == [
        True, True, True, True, True, False, False, False, False]
    assert [holding.fails_on_the_report(error(s, True)) for s in (500, 503, 429, None)] == [True, True, False, False]
    assert [holding.retry_delay(n) for n in (1, 2, 3, 10)] == [3600, 7200, 14400, 86400]


# --- numbers only for reports on disk ---------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test (root only), unmounted afterwards."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount_point)],
                          capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False, timeout=30)
        if os.path.ismount(mount_point):
            subprocess.run(["umount", "-l", str(mount_point)], check=False, timeout=30)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        for _ in range(1024):  # bounded: 1024 x 4 KiB is far more than the disk
            try:
                handle.write(b"\0" * 4096)
            except OSError:
                break
    return filler


def test_a_full_disk_uses_up_no_sequence_number(tiny_disk: Path, collector: FakeCollector) -> None:
    """Before: #2-#4 used up on a 12 KiB-free tmpfs. The report is refused by the full disk (ENOSPC
    on a real tmpfs), the number stays free, and the next report that fits gets it."""
    state_dir = tiny_disk / "agent"
    state = enrolled(state_dir, collector)
    run_cycle(config_for(state_dir), FrozenClock(T0), no_sleep)
    filler = fill(tiny_disk)
    for _ in range(3):
        with pytest.raises(SpoolWriteError, match="the disk is full"):
            run_cycle(config_for(state_dir), FrozenClock(T0), no_sleep)
    saved = load_state(state_dir)
    assert saved is not None and saved.next_sequence == 2
    filler.unlink()
    assert run_cycle(config_for(state_dir), FrozenClock(T0 + timedelta(minutes=15)), no_sleep).sequence == 2
    assert sorted(seq for (_agent, seq) in collector.stored) == [1, 2] and state.agent_id


def test_a_read_only_spool_uses_up_no_sequence_number(tiny_disk: Path, collector: FakeCollector) -> None:
    """The spool folder on a file system remounted read-only (EROFS: root ignores mode bits)."""
    state_dir = tmp_state = tiny_disk / "agent"
    enrolled(tmp_state, collector)
    spool_mount = spool.spool_dir(state_dir)
    spool_mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(spool_mount)], check=True, timeout=30)
    try:
        with pytest.raises(SpoolWriteError, match="Read-only file system"):
            run_cycle(config_for(state_dir), FrozenClock(T0), no_sleep)
    finally:
        subprocess.run(["umount", str(spool_mount)], check=False, timeout=30)
    saved = load_state(state_dir)
    assert saved is not None and saved.next_sequence == 1
    assert run_cycle(config_for(state_dir), FrozenClock(T0), no_sleep).sequence == 1
