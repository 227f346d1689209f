"""Memory of ``canhgac serve`` under sustained load: bench/ingest.py's agents send signed reports
as fast as the server answers for ``--minutes``; the server's RSS is sampled every 10 s and
printed after 1 minute and at the end (the goal: bounded, the last figure near the first).

    python bench/ingest_memory.py [--minutes 10] [--agents 50] [--programs 150] [--postgresql] [--short]

``--short``: 2 minutes. Traffic goes to 127.0.0.1 only; on PostgreSQL in a fresh schema dropped after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import DEFAULT_PG, free_port, prepare_database, start_server, stop, stored_keys
from load import agent_requests, enroll_agents, run_load
from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

SAMPLE_EVERY_S = 10


def sample_rss(pid: int, samples: list[tuple[float, float]], started: float, stop_at: float) -> None:
    process = psutil.Process(pid)
    while time.monotonic() < stop_at:
        samples.append((time.monotonic() - started, process.memory_info().rss / 2**20))
        time.sleep(min(SAMPLE_EVERY_S, max(0.0, stop_at - time.monotonic())))
    samples.append((time.monotonic() - started, process.memory_info().rss / 2**20))


def rss_at(samples: list[tuple[float, float]], second: float) -> float:
    return min(samples, key=lambda s: abs(s[0] - second))[1]


def measure(db_url: str, minutes: float, agents: int, programs: int, clients: int) -> str:
    token = prepare_database(db_url)
    port = free_port()
    server = start_server(db_url, port, agents)
    samples: list[tuple[float, float]] = []
    try:
        enrolled = enroll_agents(f"http://127.0.0.1:{port}", token, agents)
        streams = [partial(agent_requests, machine, creds, programs) for machine, creds in enrolled]
        started = time.monotonic()
        tally, elapsed = run_load(port, streams, minutes * 60, clients,
                                  while_running=partial(sample_rss, server.pid, samples, started))
    finally:
        stop(server)
    in_db = stored_keys(db_url)
    exactly_once = len(in_db) == len(set(in_db)) and set(tally.stored) <= set(in_db)
    backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    peak = max(rss for _, rss in samples)
    return (f"{backend}: serve RSS {rss_at(samples, 60):.1f} MB after 1 min, {samples[-1][1]:.1f} MB after "
            f"{minutes:g} min (peak {peak:.1f} MB, first sample {samples[0][1]:.1f} MB); {tally.acknowledged} "
            f"reports acknowledged at {tally.acknowledged / elapsed:.1f}/s, {len(in_db)} in the database, exactly "
            f"once: {'yes' if exactly_once else 'NO'}; errors {tally.errors or 'none'}; load average "
            f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n"
            f"samples (s, MB): {', '.join(f'{t:.0f}:{r:.0f}' for t, r in samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--programs", type=int, default=150)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--short", action="store_true", help="2 minutes")
    args = parser.parse_args()
    minutes = 2 if args.short else args.minutes

    def run(url: str) -> str:
        return measure(url, minutes, args.agents, args.programs, args.clients)

    if args.postgresql:
        print(with_fresh_pg_schema(os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG), run))
    else:
        print(run(f"sqlite:///{Path(tempfile.mkdtemp(prefix='canhgac-bench-')) / 'bench.db'}"))


if __name__ == "__main__":
    main()
