"""Ingest benchmark: N simulated agents, enrolled once, send signed reports concurrently to a
real ``canhgac serve`` process for T seconds. Prints reports/s and p50/p99 latency.

    python bench/ingest.py [--agents 50] [--seconds 10] [--programs 150] [--db URL | --postgresql] [--json]

Each report carries ``--programs`` installed programs (an office PC lists 100-200; 0 leaves the
software section out, as the figures before revision 0007 were measured), drawn from a shared
vocabulary so that agents share most names; one report in 20 has one program updated (a new
version), so the collector's per-machine product names are rewritten now and then.

Traffic goes to 127.0.0.1 only. On PostgreSQL it works in a fresh schema that it drops after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import psutil
import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

from agent.wire.schema import EnrollRequest, Program, Software, encode_report
from agent.wire.signing import signed_headers
from collector.db import open_database
from collector.store.enrollment import create_enrollment_token
from collector.store.units import add_unit
from server.demo_fleet import DemoMachine, demo_report

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    stored: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, latency_ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(latency_ms)
            if status == 201:
                self.stored += 1
            else:
                self.errors[str(status)] = self.errors.get(str(status), 0) + 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db_url: str, port: int, agents: int) -> subprocess.Popen[bytes]:
    # Every bench agent enrolls from 127.0.0.1 with one token within seconds: the enrollment limits
    # (per address, per token) are raised to let them through; reports are not rate-limited.
    limits = ["--enroll-per-address", str(agents + 1), "--enroll-per-token", str(agents + 1)]
    command = [sys.executable, "-m", "canhgac", "serve", "--db", db_url, "--port", str(port), "--log-level", "warning",
               *limits]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
        if process.poll() is not None:
            raise RuntimeError(f"canhgac serve exited: {process.stderr.read().decode() if process.stderr else ''}")
    process.kill()
    raise RuntimeError("canhgac serve did not answer /health within 30 s")


def enroll_agents(base_url: str, token: str, count: int) -> list[tuple[DemoMachine, dict[str, str]]]:
    agents = []
    for index in range(count):
        machine = DemoMachine(unit="BENCH", hostname=f"bench-{index:04d}", machine_uid=f"bench-{uuid.uuid4().hex}",
                              mac=f"02:be:00:00:{index // 256:02x}:{index % 256:02x}",
                              ip=f"10.99.{index // 250}.{index % 250 + 1}")
        request = EnrollRequest(token=token, machine_uid=machine.machine_uid, hostname=machine.hostname)
        response = requests.post(f"{base_url}/api/v1/enroll", data=msgspec.json.encode(request),
                                 headers={"Content-Type": "application/json"}, timeout=10)
        response.raise_for_status()
        agents.append((machine, response.json()))
    return agents


VOCABULARY = 2_000  # distinct program names across the bench's agents


def programs_of(rng: random.Random, count: int) -> list[Program]:
    picks = rng.sample(range(VOCABULARY), min(count, VOCABULARY))
    return [Program(name=f"Bench Program {i:04d} (x64)", version=f"{i % 17}.{i % 5}", publisher="Bench")
            for i in picks]


def run_agent(base_url: str, machine: DemoMachine, creds: dict[str, str], stop_at: float, tally: Tally,
              programs: int) -> None:
    session = requests.Session()
    rng = random.Random(machine.machine_uid)
    report = demo_report(machine, creds["agent_id"], 1, datetime.now(UTC), rng)
    installed = programs_of(rng, programs)
    sequence = 0
    while time.monotonic() < stop_at:
        sequence += 1
        if installed and sequence % 20 == 0:  # one program updated to a new version (a new name)
            index = rng.randrange(len(installed))
            installed[index] = Program(name=f"{installed[index].name.split(' (')[0]} (x64) v{sequence}")
        software = Software(programs=list(installed)) if installed else None
        identity = msgspec.structs.replace(report.identity, sequence=sequence, collected_at=datetime.now(UTC))
        body = encode_report(msgspec.structs.replace(report, identity=identity, software=software))
        headers = signed_headers(creds["agent_id"], creds["key"], int(time.time()), body)
        headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            status = session.post(f"{base_url}/api/v1/reports", data=body, headers=headers, timeout=30).status_code
        except requests.RequestException:
            status = 0
        tally.record(status, (time.perf_counter() - started) * 1000)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def prepare_database(db_url: str) -> str:
    db = open_database(db_url)
    now = datetime.now(UTC)
    with db.session() as session:
        add_unit(session, "BENCH", "Đơn vị đo tải", "commune", now, staff_count=0)
        token, _ = create_enrollment_token(session, "BENCH", timedelta(hours=1), now, max_machines=None)
    db.dispose()
    return token


def count_reports(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT count(*) FROM reports")).scalar_one())
    engine.dispose()
    return count


def benchmark(db_url: str, agents: int, seconds: float, programs: int) -> dict[str, object]:
    token = prepare_database(db_url)
    port = free_port()
    server = start_server(db_url, port, agents)
    base_url = f"http://127.0.0.1:{port}"
    try:
        enrolled = enroll_agents(base_url, token, agents)
        tally = Tally()
        stop_at = time.monotonic() + seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=run_agent, args=(base_url, m, c, stop_at, tally, programs))
                   for m, c in enrolled]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        elapsed = time.perf_counter() - started
        server_cpu_s = sum(psutil.Process(server.pid).cpu_times()[:2])
    finally:
        server.terminate()
        server.wait(timeout=30)
    client_cpu_s = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    stored_in_db = count_reports(db_url)
    return {
        "reports_per_s": round(tally.stored / elapsed, 1),
        "p50_ms": round(percentile(tally.latencies_ms, 50), 2),
        "p99_ms": round(percentile(tally.latencies_ms, 99), 2),
        "db": "postgresql" if db_url.startswith("postgresql") else "sqlite",
        "agents": agents,
        "programs": programs,
        "seconds": round(elapsed, 2),
        "acknowledged": tally.stored,
        "stored_in_db": stored_in_db,
        "errors": tally.errors,
        "server_cpu_s": round(server_cpu_s, 2),
        "client_cpu_s": round(client_cpu_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--programs", type=int, default=150, help="Installed programs per report (0: none)")
    parser.add_argument("--db", default=None, help="Database URL (default: a new SQLite file)")
    parser.add_argument("--postgresql", action="store_true",
                        help=f"Use CANHGAC_TEST_PG_URL or {DEFAULT_PG}, in a fresh schema")
    parser.add_argument("--json", action="store_true", help="Print one JSON object")
    args = parser.parse_args()

    def run(url: str) -> dict[str, object]:
        return benchmark(url, args.agents, args.seconds, args.programs)

    if args.postgresql:
        result = with_fresh_pg_schema(os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG), run)
    else:
        result = run(args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='canhgac-bench-')) / 'bench.db'}")
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['db']}: {result['reports_per_s']} reports/s over {result['seconds']} s with {args.agents} agents "
          f"({args.programs} programs per report); "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; acknowledged {result['acknowledged']}, "
          f"in the database {result['stored_in_db']}, errors {result['errors'] or 'none'}; CPU s: server "
          f"{result['server_cpu_s']}, client {result['client_cpu_s']}")


if __name__ == "__main__":
    main()
