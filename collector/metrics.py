"""What a running collector counts about itself, and its rendering in the Prometheus text format
(version 0.0.4) for ``GET /metrics``.

The counters live in the ``serve`` process (a restart starts them at zero, as Prometheus expects of
a counter); what the database knows (alerts open, machines silent, its size) is read at each scrape
by the caller and handed to :func:`render` as :class:`Gauges`. Pure: no I/O here.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: ingest of a report is a few milliseconds; past a second the collector is struggling."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class JobRun:
    seconds: float = math.nan
    finished_at: float = math.nan
    """Unix time of the end of the last run (NaN: never ran in this process)."""


class Metrics:
    """The counters of one collector process (thread-safe: ingest runs in worker threads). A plain
    class, not a dataclass: the web framework reads the type hints of what its dependencies hold,
    and a lock has none it knows."""

    def __init__(self) -> None:
        self.stored = 0
        self.duplicates = 0
        self.refused: dict[str, int] = {}
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.jobs = {"scan": JobRun(), "prune": JobRun()}
        self._lock = threading.Lock()

    def report_stored(self, seconds: float, duplicate: bool) -> None:
        with self._lock:
            if duplicate:
                self.duplicates += 1
            else:
                self.stored += 1
            self._observe(seconds)

    def report_refused(self, reason: str, seconds: float) -> None:
        with self._lock:
            self.refused[reason] = self.refused.get(reason, 0) + 1
            self._observe(seconds)

    def _observe(self, seconds: float) -> None:
        self.latency_sum += seconds
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.latency_counts[i] += 1
                return
        self.latency_counts[-1] += 1

    def job_ran(self, name: str, seconds: float, finished_at: float) -> None:
        with self._lock:
            self.jobs[name] = JobRun(seconds, finished_at)


@dataclass(frozen=True)
class Gauges:
    """What the database says at the moment of the scrape."""

    alerts_open: Mapping[str, int]
    """Open or acknowledged alerts by severity (every severity present, 0 included)."""
    machines_silent: int
    silent_hours: int
    database_bytes: int
    machines: int


def render(metrics: Metrics, gauges: Gauges) -> str:
    with metrics._lock:
        refused = dict(metrics.refused)
        counts, total_sum = list(metrics.latency_counts), metrics.latency_sum
        stored, duplicates, jobs = metrics.stored, metrics.duplicates, dict(metrics.jobs)
    lines: list[str] = []
    _family(lines, "canhgac_reports_stored_total", "counter", "Reports stored (each agent and sequence once).",
            [("", stored)])
    _family(lines, "canhgac_reports_duplicate_total", "counter",
            "Reports received again and acknowledged without storing (a retry).", [("", duplicates)])
    _family(lines, "canhgac_reports_refused_total", "counter", "Reports refused, by the error code answered.",
            [(_labels(reason=reason), n) for reason, n in sorted(refused.items())])
    _histogram(lines, "canhgac_ingest_duration_seconds", "Time to verify, decode, store and judge one report.",
               counts, total_sum)
    for name, what in (("scan", "the scheduled compliance scan"), ("prune", "the pruning of old reports")):
        run = jobs.get(name, JobRun())
        _family(lines, f"canhgac_{name}_duration_seconds", "gauge", f"Duration of the last run of {what}.",
                [("", run.seconds)])
        _family(lines, f"canhgac_{name}_last_run_timestamp_seconds", "gauge",
                f"Unix time the last run of {what} ended (NaN: not since this process started).",
                [("", run.finished_at)])
    _family(lines, "canhgac_alerts_open", "gauge", "Alerts open or acknowledged, by severity.",
            [(_labels(severity=s), n) for s, n in gauges.alerts_open.items()])
    _family(lines, "canhgac_machines", "gauge", "Machines known to the collector.", [("", gauges.machines)])
    _family(lines, "canhgac_machines_silent", "gauge",
            f"Machines of the normal role with no report for more than {gauges.silent_hours} hours.",
            [("", gauges.machines_silent)])
    _family(lines, "canhgac_database_size_bytes", "gauge", "Size of the collector's database.",
            [("", gauges.database_bytes)])
    return "\n".join(lines) + "\n"


def _family(lines: list[str], name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {_number(value)}" for labels, value in samples]


def _histogram(lines: list[str], name: str, help_text: str, counts: list[int], total: float) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    running = 0
    for bound, count in zip((*LATENCY_BUCKETS, math.inf), counts, strict=True):
        running += count
        lines.append(f'{name}_bucket{{le="{"+Inf" if math.isinf(bound) else bound}"}} {running}')
    lines += [f"{name}_sum {_number(total)}", f"{name}_count {running}"]


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return f"{{{inner}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))
