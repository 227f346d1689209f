"""The agent's send cycle: build a report, number and spool it, then deliver everything pending in order.

A transient failure (collector unreachable, busy) is retried within the cycle ``send_retries``
times with exponential backoff and full jitter (``random(0, base * 2**n)``, capped). No answer, a
refusal of the agent itself (401) or of its pace (429) stops the cycle: every entry would fare
alike, and the rest waits in the spool for the next cycle (which comes every interval, with its own
jitter). An answer about one report does not stop the others (agent/holding.py): a refusal of it
(another 4xx) sets it aside at once, a 5xx counts against it (set aside after a few), and the
cycle goes on with the next entry, unless a second entry in a row also gets a 5xx (the collector is
failing for everything). Held entries that are due are then tried once each.

Numbers: a report takes its sequence number only once it is on disk (agent/numbering.py), so a
full disk or a read-only spool uses up no number.

Exactly once: an entry leaves the spool only after the collector acknowledged that very
(agent, sequence); a send that was stored but whose answer was lost (a crash, a cut cable) is
sent again and acknowledged as "duplicate" by the collector's exactly-once store.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import schedule

from agent import holding, spool
from agent.central import with_central
from agent.config import AgentConfig
from agent.delivery import send_entry
from agent.numbering import spool_numbered
from agent.report import build_report, effective_role
from agent.state import AgentState, StateError, load_state
from agent.transport import TransportError
from agent.wire.fit import fit_report
from agent.wire.schema import Role

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
JITTER = 0.10  # up to 10% of the interval, so a commune's PCs do not all send at once
MAX_BACKOFF_S = 60.0
Sleep = Callable[[float], None]


class OfflineRoleError(Exception):
    """This PC has the offline role: it never sends over a network."""


@dataclass(frozen=True)
class Failure:
    sequence: int
    message: str
    transient: bool


@dataclass
class CycleResult:
    """What one cycle did: the number it gave the new report, the sequences acknowledged
    (with "stored"/"duplicate"), the failures, and how many entries are still pending."""

    sequence: int
    delivered: list[tuple[int, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    left: int = 0
    dropped: list[int] = field(default_factory=list)
    """Oldest unsent reports dropped because the spool was past its bound."""
    held: list[int] = field(default_factory=list)
    """Reports set aside in this cycle (agent/holding.py)."""

    @property
    def complete(self) -> bool:
        return self.left == 0


def utc_now() -> datetime:
    return datetime.now(UTC)


def sending_state(config: AgentConfig) -> AgentState:
    """The enrolled state, if this agent may send; StateError when not enrolled,
    OfflineRoleError when the PC is an offline one."""
    state = load_state(config.state_dir)
    if state is None:
        raise StateError(f"not enrolled (no state in {config.state_dir})")
    if effective_role(config, state) is Role.OFFLINE:
        raise OfflineRoleError("this PC has the offline role and never sends reports over a network")
    return state


def run_cycle(config: AgentConfig, clock: Clock = utc_now, sleep: Sleep = time.sleep) -> CycleResult:
    """One cycle: build the report (saying how many are held), number and spool it (the number
    taken once it is on disk), hold the spool within its bounds, then deliver every pending entry
    and the held ones that are due. Raises StateError/OfflineRoleError before doing anything when
    the agent may not send, OSError (SpoolWriteError for a full disk or a read-only spool) when the
    disk fails; delivery failures are results."""
    state = sending_state(config)
    config = with_central(config, state)
    report = build_report(config, state, 0, clock())
    report = msgspec.structs.replace(report, identity=msgspec.structs.replace(
        report.identity, held_reports=holding.held_count(config.state_dir)))
    report, cut = fit_report(report)
    if cut:
        log.warning("report cut to the collector's limits (agent/wire/bounds.py): %s", ", ".join(sorted(set(cut))))
    sequence = spool_numbered(config.state_dir, report)
    result = CycleResult(sequence=sequence)
    result.dropped = spool.enforce_bounds(config.state_dir, config.spool_max_reports, config.spool_max_bytes,
                                          keep=sequence)
    deliver_pending(config, state, result, clock, sleep)
    result.left = len(spool.pending(config.state_dir))
    return result


def deliver_pending(config: AgentConfig, state: AgentState, result: CycleResult, clock: Clock,
                    sleep: Sleep = time.sleep) -> None:
    """Send the spool in sequence order, removing each acknowledged entry, setting aside what is
    refused or keeps failing; then the held entries that are due (see module doc)."""
    server = config.server or state.server
    failing_in_a_row = 0
    for entry in spool.pending(config.state_dir):
        try:
            status = deliver_with_retries(config, server, state, entry, clock, sleep)
        except TransportError as exc:
            log.info("report %d not delivered: %s", entry.sequence, exc)
            result.failures.append(Failure(entry.sequence, str(exc), exc.transient))
            outcome = _after_failure(config.state_dir, entry.sequence, exc, clock().timestamp(), result)
            failing_in_a_row = failing_in_a_row + 1 if holding.fails_on_the_report(exc) else 0
            if outcome == "stop" or failing_in_a_row >= 2:
                return
            continue
        failing_in_a_row = 0
        _delivered(config.state_dir, entry.sequence, status, result)
        spool.remove(config.state_dir, entry.sequence)
    retry_held(config, server, state, result, clock)


def _after_failure(state_dir: Path, sequence: int, error: TransportError, now: float, result: CycleResult) -> str:
    """What a failed entry becomes: "stop" (no answer, the agent or its pace refused), "held",
    "stored" (it was stored before: holding.stored_before) or "kept" (counted, in the spool)."""
    if holding.stored_before(error, holding.load_book(state_dir), sequence):
        log.info("report %d was stored before (%s)", sequence, error)
        _delivered(state_dir, sequence, "duplicate", result)
        spool.remove(state_dir, sequence)
        return "stored"
    if holding.refuses_the_report(error):
        holding.hold(state_dir, sequence, str(error), now)
    elif holding.fails_on_the_report(error):
        if not holding.note_failure(state_dir, sequence, str(error), now):
            return "kept"
    else:
        return "stop"
    result.held.append(sequence)
    return "held"


def _delivered(state_dir: Path, sequence: int, status: str, result: CycleResult) -> None:
    holding.delivered(state_dir, sequence)
    result.delivered.append((sequence, status))


def retry_held(config: AgentConfig, server: str, state: AgentState, result: CycleResult, clock: Clock) -> None:
    """Try each held entry that is due once (no retries within the cycle); stop at the first that
    gets no answer or a refusal of the agent."""
    now = clock().timestamp()
    for entry in holding.due(config.state_dir, now):
        try:
            status = deliver(server, state, entry, config.timeout_s, clock, config.state_dir)
        except TransportError as exc:
            if holding.stored_before(exc, holding.load_book(config.state_dir), entry.sequence):
                _delivered(config.state_dir, entry.sequence, "duplicate", result)
                continue
            log.info("held report %d not delivered: %s", entry.sequence, exc)
            result.failures.append(Failure(entry.sequence, str(exc), exc.transient))
            if not (holding.refuses_the_report(exc) or holding.fails_on_the_report(exc)):
                return
            holding.tried_again(config.state_dir, entry.sequence, str(exc), now)
            continue
        _delivered(config.state_dir, entry.sequence, status, result)


def deliver_with_retries(config: AgentConfig, server: str, state: AgentState, entry: spool.SpoolEntry,
                         clock: Clock, sleep: Sleep) -> str:
    """:func:`deliver`, retrying a transient failure ``config.send_retries`` times after
    :func:`backoff_delay`; the last TransportError propagates."""
    for attempt in range(config.send_retries + 1):
        try:
            return deliver(server, state, entry, config.timeout_s, clock, config.state_dir)
        except TransportError as exc:
            if not exc.transient or attempt == config.send_retries:
                raise
            delay = backoff_delay(attempt, config.retry_base_s)
            log.info("report %d: %s; retry %d in %.1f s", entry.sequence, exc, attempt + 1, delay)
            sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def backoff_delay(attempt: int, base_s: float, cap_s: float = MAX_BACKOFF_S,
                  rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before retry ``attempt + 1``: full jitter over ``base * 2**attempt``
    (capped), so agents that failed together do not retry together."""
    return rand(0.0, min(cap_s, base_s * 2**attempt))


def deliver(server: str, state: AgentState, entry: spool.SpoolEntry, timeout: float, clock: Clock,
            state_dir: Path | None = None) -> str:
    """Send one entry (agent/delivery.py: shared sections the collector has as their hash; with
    ``state_dir``, what the ack brings kept); the ack's status. A permanent TransportError when the
    collector acknowledges something other than what was sent (it must not be removed then)."""
    now = clock().timestamp()
    ack = send_entry(server, state_dir, state, entry.body, timeout, now, entry.sequence)
    if ack.agent_id != state.agent_id or ack.sequence != entry.sequence:
        raise TransportError(
            f"collector acknowledged {ack.agent_id} #{ack.sequence}, not {state.agent_id} #{entry.sequence}",
            transient=False,
        )
    return ack.status


def make_scheduler(interval_minutes: float, job: Callable[[], object]) -> schedule.Scheduler:
    """A scheduler running ``job`` every interval plus a random 0-10% (whole seconds, >= 1)."""
    seconds = max(1, round(interval_minutes * 60))
    scheduler = schedule.Scheduler()
    scheduler.every(seconds).to(max(seconds, round(seconds * (1 + JITTER)))).seconds.do(job)
    return scheduler


def run_forever(config: AgentConfig, on_cycle: Callable[[CycleResult], None], clock: Clock = utc_now,
                stop: threading.Event | None = None) -> None:
    """A cycle now, then one every interval (with jitter), until ``stop`` is set (a service's
    stop, a signal: see agent/service.py) or the process is interrupted (KeyboardInterrupt
    propagates). A cycle that cannot run is logged and the next one tried on time; a cycle under
    way when ``stop`` is set ends first (its report is already in the spool). The interval is the
    centre's when this PC's configuration does not set it, and follows it when it changes."""
    stop = stop or threading.Event()

    def job() -> None:
        try:
            on_cycle(run_cycle(config, clock))
        except (StateError, OfflineRoleError, OSError) as exc:
            log.error("cycle skipped: %s", exc)

    interval = _interval(config)
    scheduler = make_scheduler(interval, job)
    job()
    while not stop.is_set():
        scheduler.run_pending()
        if _interval(config) != interval:
            interval = _interval(config)
            log.info("interval now %.1f minutes (the centre's settings)", interval)
            scheduler = make_scheduler(interval, job)
        stop.wait(min(max(scheduler.idle_seconds or 1.0, 0.2), 60.0))


def _interval(config: AgentConfig) -> float:
    try:
        return with_central(config, load_state(config.state_dir)).interval_minutes
    except StateError:
        return config.interval_minutes
