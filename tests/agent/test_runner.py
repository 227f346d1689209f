"""The send cycle against a real collector on 127.0.0.1: spool first, deliver in order,
keep whatever was not acknowledged."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import holding, spool
from agent.runner import OfflineRoleError, backoff_delay, make_scheduler, run_cycle
from agent.state import StateError, load_state
from agent.wire.schema import Role, decode_report, encode_report
from tests.agent.conftest import T0, FakeCollector, config_for, enrolled
from tests.factories import make_report


def clock():  # type: ignore[no-untyped-def]
    return T0


def no_sleep(_seconds: float) -> None:
    pass


def test_a_cycle_numbers_spools_sends_and_forgets_the_report(state_dir: Path, collector: FakeCollector) -> None:
    state = enrolled(state_dir, collector)
    result = run_cycle(config_for(state_dir), clock)
    assert (result.sequence, result.delivered, result.failures, result.complete) == (1, [(1, "stored")], [], True)
    report = decode_report(collector.stored[(state.agent_id, 1)])
    assert (report.identity.agent_id, report.identity.unit_code, report.identity.collected_at) == (
        state.agent_id, "XA", T0)
    assert spool.pending(state_dir) == []
    assert run_cycle(config_for(state_dir), clock).sequence == 2


def test_an_unreachable_collector_leaves_the_report_in_the_spool(state_dir: Path, closed_port_url: str) -> None:
    enrolled(state_dir, FakeCollector(url=closed_port_url))
    result = run_cycle(config_for(state_dir), clock, no_sleep)
    assert not result.complete and result.left == 1 and result.failures[0].transient
    assert [entry.sequence for entry in spool.pending(state_dir)] == [1]
    state = load_state(state_dir)
    assert state is not None and state.next_sequence == 2  # the number is spent even so


def test_the_next_cycle_sends_the_backlog_in_order(state_dir: Path, collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    collector.forced.append((503, "busy"))
    first = run_cycle(config_for(state_dir, send_retries=0), clock)
    assert first.left == 1
    second = run_cycle(config_for(state_dir, send_retries=0), clock)
    assert second.delivered == [(1, "stored"), (2, "stored")] and second.complete


def test_a_refused_entry_is_set_aside_and_the_cycle_goes_on(state_dir: Path, collector: FakeCollector) -> None:
    state = enrolled(state_dir, collector, next_sequence=2)
    spool.write(state_dir, 1, encode_report(make_report(state.agent_id, 1)))
    collector.forced.append((422, "invalid_report"))
    result = run_cycle(config_for(state_dir), clock)
    assert result.sequence == 2
    assert [(f.sequence, f.transient) for f in result.failures] == [(1, False)]
    assert result.delivered == [(2, "stored")]
    assert spool.pending(state_dir) == [] and holding.held_sequences(state_dir) == [1] and result.held == [1]


def test_a_refused_agent_stops_the_cycle(state_dir: Path, collector: FakeCollector) -> None:
    state = enrolled(state_dir, collector, next_sequence=2)
    spool.write(state_dir, 1, encode_report(make_report(state.agent_id, 1)))
    collector.keys[state.agent_id] = "11" * 32  # the collector no longer has our key
    result = run_cycle(config_for(state_dir), clock)
    assert [f.sequence for f in result.failures] == [1]  # #2 was not tried
    assert result.left == 2


def test_not_enrolled_or_offline_refuses_before_anything(state_dir: Path, collector: FakeCollector) -> None:
    with pytest.raises(StateError):
        run_cycle(config_for(state_dir), clock)
    enrolled(state_dir, collector, role=Role.OFFLINE)
    with pytest.raises(OfflineRoleError):
        run_cycle(config_for(state_dir), clock)
    enrolled(state_dir, collector)
    with pytest.raises(OfflineRoleError):
        run_cycle(config_for(state_dir, role=Role.OFFLINE), clock)
    assert collector.received == [] and spool.pending(state_dir) == []


def test_the_schedule_adds_up_to_ten_percent_jitter() -> None:
    job = make_scheduler(15, lambda: None).jobs[0]
    assert (job.interval, job.latest, job.unit) == (900, 990, "seconds")


def test_a_transient_failure_is_retried_with_growing_jittered_delays(state_dir: Path,
                                                                     collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    collector.forced.extend([(503, "busy"), (503, "busy"), (429, "slow_down")])
    delays: list[float] = []
    result = run_cycle(config_for(state_dir, send_retries=3, retry_base_s=0.5), clock, delays.append)
    assert result.delivered == [(1, "stored")] and result.complete
    assert len(delays) == 3
    assert all(0 <= delay <= 0.5 * 2**n for n, delay in enumerate(delays))


def test_retries_are_bounded_then_the_entry_waits_for_the_next_cycle(state_dir: Path,
                                                                      collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    collector.forced.extend([(503, "busy")] * 3)
    delays: list[float] = []
    result = run_cycle(config_for(state_dir, send_retries=2, retry_base_s=0.5), clock, delays.append)
    assert len(delays) == 2 and result.left == 1 and result.failures[0].transient
    assert run_cycle(config_for(state_dir, send_retries=0), clock).delivered == [(1, "stored"), (2, "stored")]


def test_a_permanent_refusal_is_not_retried(state_dir: Path, collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    collector.forced.append((422, "invalid_report"))
    delays: list[float] = []
    result = run_cycle(config_for(state_dir, send_retries=3), clock, delays.append)
    assert delays == [] and [f.transient for f in result.failures] == [False]


@pytest.mark.parametrize(("attempt", "ceiling"), [(0, 2.0), (1, 4.0), (3, 16.0), (10, 60.0)])
def test_backoff_is_full_jitter_below_a_doubling_capped_ceiling(attempt: int, ceiling: float) -> None:
    assert backoff_delay(attempt, 2.0, rand=lambda low, high: high) == ceiling
    assert backoff_delay(attempt, 2.0, rand=lambda low, high: low) == 0.0


def test_a_spool_past_its_bound_drops_the_oldest_unsent_reports(state_dir: Path, closed_port_url: str) -> None:
    enrolled(state_dir, FakeCollector(url=closed_port_url))
    config = config_for(state_dir, spool_max_reports=3, send_retries=0)
    results = [run_cycle(config, clock, no_sleep) for _ in range(5)]
    assert [r.dropped for r in results] == [[], [], [], [1], [2]]
    assert [entry.sequence for entry in spool.pending(state_dir)] == [3, 4, 5]
