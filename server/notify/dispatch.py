"""Sending what waits in the outbox: pending alert events, grouped per unit, through every
channel; transient failures retried a few times with a pause; events marked sent once every
channel succeeded or gave up (logged). Runs off the ingest path (the serve scheduler or a
command), so a failing channel never blocks a report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from collector.db import Database
from collector.scheduler import Job, once_per_database
from collector.state import CollectorState
from collector.store.alerts import mark_notified, pending_notices
from server.notify import Channel, NotifyError, UnitMessage, group_by_unit

log = logging.getLogger("canhgac.notify")


def send_with_retries(channel: Channel, message: UnitMessage, attempts: int = 3, pause_s: float = 1.0,
                      sleep: Callable[[float], None] = time.sleep) -> bool:
    """True when sent; False after the last attempt or a permanent error (both logged)."""
    for attempt in range(1, attempts + 1):
        try:
            channel.notify(message)
            return True
        except NotifyError as exc:
            log.warning("notify %s for unit %s failed (attempt %d/%d): %s", channel.name, message.unit_code,
                        attempt, attempts, exc)
            if not exc.transient:
                break
            if attempt < attempts:
                sleep(pause_s * attempt)
    log.error("notify %s for unit %s gave up", channel.name, message.unit_code)
    return False


def dispatch(db: Database, channels: Sequence[Channel], now: datetime, attempts: int = 3,
             pause_s: float = 1.0) -> int:
    """Send every pending batch; returns the number of unit messages handed to the channels."""
    with db.session() as session:
        messages = group_by_unit(pending_notices(session))
    for message in messages:
        for channel in channels:
            send_with_retries(channel, message, attempts, pause_s)
        with db.session() as session:
            mark_notified(session, message.event_ids, now)
    return len(messages)


def notify_job(state: CollectorState, channels: Sequence[Channel]) -> Job:
    """The scheduler's notification job: what waits in the outbox, every notify_interval_s, once
    per database (its lease: two workers never send one event twice)."""
    every_s = state.config.notify_interval_s
    return Job("notify", every_s, once_per_database(
        state, "notify", every_s, lambda: f"{dispatch(state.db, channels, state.clock())} unit message(s)"))
