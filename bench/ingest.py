"""Ingest benchmark: N simulated agents, enrolled once, send signed reports concurrently to a
real ``canhgac serve`` process for T seconds; then the same clients send a 2.5 KB body to a bare
Litestar + msgspec endpoint (bench/bare_endpoint.py) for T seconds. Prints canhgac's reports/s,
p50/p99 latency, its rate as a fraction of the bare endpoint's (goal ≥ 0.35), and whether every
acknowledged report is stored exactly once (stored == acknowledged).

    python bench/ingest.py [--agents 50] [--seconds 10] [--programs 150] [--db URL | --postgresql | --both]
                           [--clients 2] [--workers 1] [--compact-sections] [--short] [--json]

Each report carries ``--programs`` installed programs (an office PC lists 100-200; 0 leaves the
software section out, as the figures before revision 0007 were measured), drawn from a shared
vocabulary so that agents share most names; one report in 20 has one program updated (a new
version), so the collector's per-machine product names are rewritten now and then.
``--compact-sections``: each shared section the agent's previous report held too is sent as its
hash only, as the agent sends once the collector acknowledged it (agent.delivery); the collector
then fills it in from what it stored. ``--short``:
5 s each, for a first look. The machine's load average is printed with the figures: on a shared
machine compare the ratio, not the rates.

Traffic goes to 127.0.0.1 only. On PostgreSQL it works in a fresh schema that it drops after.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import psutil
import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load import VOCABULARY, agent_requests, bare_requests, enroll_agents, percentile, programs_of, run_load
from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

from collector.db import open_database
from collector.store.enrollment import create_enrollment_token
from collector.store.units import add_unit

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BARE_BODY_BYTES = 2_500
__all__ = ["DEFAULT_PG", "VOCABULARY", "programs_of", "start_server", "prepare_database"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(process: subprocess.Popen[bytes], port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health" if what == "canhgac" else
                            f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {process.stderr.read().decode() if process.stderr else ''}")
    process.kill()
    raise RuntimeError(f"{what} did not answer its health check within 30 s")


def start_server(db_url: str, port: int, agents: int, workers: int = 1) -> subprocess.Popen[bytes]:
    # Every bench agent enrolls from 127.0.0.1 with one token within seconds: the enrollment limits
    # (per address, per token) are raised to let them through; reports are not rate-limited.
    limits = ["--enroll-per-address", str(agents + 1), "--enroll-per-token", str(agents + 1)]
    command = [sys.executable, "-m", "canhgac", "serve", "--db", db_url, "--port", str(port), "--log-level", "warning",
               *limits, *(["--workers", str(workers)] if workers > 1 else [])]
    # From this checkout's root: ``-m`` puts the working directory first on sys.path, so the server
    # runs the code of the checkout this script belongs to (another checkout's, when comparing).
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=Path(__file__).resolve().parents[1])
    wait_for_health(process, port, "canhgac")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def prepare_database(db_url: str) -> str:
    db = open_database(db_url)
    now = datetime.now(UTC)
    with db.session() as session:
        add_unit(session, "BENCH", "Đơn vị đo tải", "commune", now, staff_count=0)
        token, _ = create_enrollment_token(session, "BENCH", timedelta(hours=1), now, max_machines=None)
    db.dispose()
    return token


def stored_keys(db_url: str) -> list[tuple[str, int]]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = [(r[0], int(r[1])) for r in connection.execute(text("SELECT agent_id, sequence FROM reports"))]
    engine.dispose()
    return rows


def bare_rate(agents: int, seconds: float, clients: int) -> dict[str, float]:
    """The bare endpoint under the same clients: requests/s and p50/p99."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_endpoint.py")), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_health(server, port, "bare endpoint")
        tally, elapsed = run_load(port, [partial(bare_requests, BARE_BODY_BYTES)] * agents, seconds, clients)
    finally:
        stop(server)
    return {"requests_per_s": round(tally.acknowledged / elapsed, 1),
            "p50_ms": round(percentile(tally.latencies_ms, 50), 2),
            "p99_ms": round(percentile(tally.latencies_ms, 99), 2), "errors": sum(tally.errors.values())}


def server_processes(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """``serve`` and, with --workers, its worker processes."""
    process = psutil.Process(server.pid)
    return [process, *process.children(recursive=True)]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def benchmark(db_url: str, agents: int, seconds: float, programs: int, clients: int,
              workers: int = 1, compact_sections: bool = False) -> dict[str, object]:
    token = prepare_database(db_url)
    port = free_port()
    server = start_server(db_url, port, agents, workers)
    try:
        enrolled = enroll_agents(f"http://127.0.0.1:{port}", token, agents)
        processes = server_processes(server)
        cpu_before = cpu_seconds(processes)
        streams = [partial(agent_requests, machine, creds, programs, compact_sections) for machine, creds in enrolled]
        tally, elapsed = run_load(port, streams, seconds, clients)
        server_cpu_s = cpu_seconds(processes) - cpu_before
        rss_mb = sum(p.memory_info().rss for p in processes) / 2**20
    finally:
        stop(server)
    in_db = stored_keys(db_url)
    acked = set(tally.stored)
    return {
        "db": "postgresql" if db_url.startswith("postgresql") else "sqlite",
        "reports_per_s": round(tally.acknowledged / elapsed, 1),
        "p50_ms": round(percentile(tally.latencies_ms, 50), 2),
        "p99_ms": round(percentile(tally.latencies_ms, 99), 2),
        "agents": agents, "programs": programs, "clients": clients, "workers": workers, "seconds": round(elapsed, 2),
        "compact_sections": compact_sections,
        "acknowledged": tally.acknowledged,
        "stored_in_db": len(in_db),
        "exactly_once": len(in_db) == len(set(in_db)) and acked <= set(in_db) and len(acked) == tally.acknowledged,
        "stored_not_acknowledged": len(set(in_db) - acked),
        "errors": tally.errors,
        "server_cpu_s": round(server_cpu_s, 2),
        "server_cpu_ms_per_report": round(server_cpu_s * 1000 / max(1, tally.acknowledged), 2),
        "server_rss_mb": round(rss_mb, 1),
    }


def one_backend(url_of: str, args: argparse.Namespace) -> dict[str, object]:
    def run(url: str) -> dict[str, object]:
        return benchmark(url, args.agents, args.seconds, args.programs, args.clients, args.workers,
                         args.compact_sections)

    if url_of == "postgresql":
        return with_fresh_pg_schema(os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG), run)
    return run(args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='canhgac-bench-')) / 'bench.db'}")


def line_of(result: dict[str, object], bare: dict[str, float]) -> str:
    ratio = float(result["reports_per_s"]) / bare["requests_per_s"] if bare["requests_per_s"] else float("nan")  # type: ignore[arg-type]
    return (f"{result['db']}: {result['reports_per_s']} reports/s = {ratio:.3f} of the bare endpoint (goal ≥ 0.35); "
            f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; over {result['seconds']} s, {result['agents']} "
            f"agents, {result['programs']} programs per report"
            f"{' (unchanged sections as their hash)' if result['compact_sections'] else ''}, "
            f"{result['workers']} worker(s); "
            f"acknowledged {result['acknowledged']}, in the "
            f"database {result['stored_in_db']}, exactly once: {'yes' if result['exactly_once'] else 'NO'}; errors "
            f"{result['errors'] or 'none'}; server {result['server_cpu_ms_per_report']} CPU ms per report, "
            f"RSS {result['server_rss_mb']} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--programs", type=int, default=150, help="Installed programs per report (0: none)")
    parser.add_argument("--clients", type=int, default=2, help="Client processes the agents are spread over")
    parser.add_argument("--workers", type=int, default=1,
                        help="serve --workers N (processes behind the one port; RSS and CPU summed over them)")
    parser.add_argument("--db", default=None, help="Database URL (default: a new SQLite file)")
    parser.add_argument("--postgresql", action="store_true",
                        help=f"Use CANHGAC_TEST_PG_URL or {DEFAULT_PG}, in a fresh schema")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL")
    parser.add_argument("--compact-sections", action="store_true",
                        help="Send each unchanged shared section as its hash, as the agent does (agent.delivery)")
    parser.add_argument("--short", action="store_true", help="5 s each")
    parser.add_argument("--json", action="store_true", help="Print one JSON object")
    args = parser.parse_args()
    if args.short:
        args.seconds = 5
    backends = ["sqlite", "postgresql"] if args.both else ["postgresql" if args.postgresql else "sqlite"]
    load_before = os.getloadavg()
    results = [one_backend(backend, args) for backend in backends]
    bare = bare_rate(args.agents, args.seconds, args.clients)
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps({"results": results, "bare": bare, "load": [load_before, load_after]}))
        return
    for result in results:
        print(line_of(result, bare))
    print(f"bare endpoint ({BARE_BODY_BYTES} B body): {bare['requests_per_s']} requests/s, p50 {bare['p50_ms']} ms, "
          f"p99 {bare['p99_ms']} ms; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
