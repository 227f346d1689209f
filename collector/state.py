"""What every path of a running collector shares, built once from its configuration: the
database, the loaded rule set and the limits that ingest, import, the scan and the scheduler
use, and the clock they read. The server keeps it in its app's state; a command builds its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agent.wire import clock as wall_clock
from collector.config import CollectorConfig
from collector.db import Database
from collector.intake.enroll_limits import EnrollLimits
from collector.intake.ingest import IngestLimits
from collector.judging.rules import LoadedRules, load_rules
from collector.metrics import Metrics


def _now() -> datetime:
    return wall_clock.utcnow()  # read at each call, so that a frozen clock reaches every reader


@dataclass(frozen=True)
class CollectorState:
    config: CollectorConfig
    db: Database
    rules: LoadedRules
    clock: Callable[[], datetime] = field(default=_now)
    metrics: Metrics = field(default_factory=Metrics)
    """What this process counts about itself (``GET /metrics``)."""

    @property
    def limits(self) -> IngestLimits:
        return IngestLimits(max_body_bytes=self.config.max_body_bytes,
                            signature_window_s=self.config.signature_window_s)

    @property
    def enroll_limits(self) -> EnrollLimits:
        return EnrollLimits(per_address=self.config.enroll_per_address, per_token=self.config.enroll_per_token,
                            window=timedelta(seconds=self.config.enroll_window_s))


def build_state(config: CollectorConfig, db: Database, clock: Callable[[], datetime] | None = None) -> CollectorState:
    """The state of a collector run with ``config`` on ``db``: its rules loaded from
    ``config.rules_dir`` (with the built-in packs) once, here."""
    return CollectorState(config=config, db=db, rules=load_rules(config.rules_dir), clock=clock or _now)
