"""`canhgac serve --workers 2` on PostgreSQL: two worker processes on one port, agents that send
each report twice at once and two reports of one machine at once (so they reach both workers
together), its antivirus switched off and on between reports so that alerts open and resolve.
Every acknowledged (agent, sequence) is stored exactly once, and each alert's history moves
one step at a time (never opened twice, never resolved twice in a row). The scheduled scan runs
meanwhile in both workers, once per interval by its lease. Loopback only, bounded loops."""

from __future__ import annotations

import dataclasses
import os
import random
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import psutil
import pytest
import requests
from sqlalchemy import create_engine, text

from agent.wire.schema import EnrollRequest, encode_report
from agent.wire.signing import signed_headers
from collector.db import open_database
from collector.store.enrollment import create_enrollment_token
from collector.store.units import add_unit
from server.demo_fleet import DemoMachine, demo_report
from tests.conftest import PG_ENV, _pg_schema_url
from tests.system.conftest import canhgac, free_port, start_serve, stop_process

pytestmark = pytest.mark.system

AGENTS = 6
ROUNDS = 8  # per agent: a pair of sequences sent together, each body twice


@pytest.fixture
def pg_url() -> object:
    base_url = os.environ.get(PG_ENV)
    if not base_url:
        pytest.skip(f"{PG_ENV} is not set: --workers needs PostgreSQL (.ci/run sets it)")
    yield from _pg_schema_url(base_url)


def _token(db_url: str) -> str:
    db = open_database(db_url)
    now = datetime.now(UTC)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", now, staff_count=0)
        token, _ = create_enrollment_token(session, "XA", timedelta(hours=1), now, max_machines=None)
    db.dispose()
    return token


def _enroll(base_url: str, token: str, index: int) -> tuple[DemoMachine, dict[str, str]]:
    machine = DemoMachine(unit="XA", hostname=f"pc-{index:02d}", machine_uid=f"uid-{uuid.uuid4().hex}",
                          mac=f"02:aa:00:00:00:{index:02x}", ip=f"10.8.0.{index + 1}")
    request = EnrollRequest(token=token, machine_uid=machine.machine_uid, hostname=machine.hostname)
    response = requests.post(f"{base_url}/api/v1/enroll", data=msgspec.json.encode(request),
                             headers={"Content-Type": "application/json"}, timeout=30)
    response.raise_for_status()
    return machine, response.json()


def _body(machine: DemoMachine, agent_id: str, sequence: int, rng: random.Random) -> bytes:
    gaps = frozenset({"av_off"}) if sequence % 4 in (1, 2) else frozenset()  # off, off, on, on, off...
    report = demo_report(dataclasses.replace(machine, gaps=gaps), agent_id, sequence, datetime.now(UTC), rng)
    return encode_report(report)


def _send_together(base_url: str, creds: dict[str, str], bodies: list[bytes]) -> list[tuple[int, str]]:
    """POST every body at the same moment, each on its own connection; (status, ack status)."""
    results: list[tuple[int, str]] = [(0, "")] * len(bodies)
    barrier = threading.Barrier(len(bodies), timeout=30)

    def post(index: int) -> None:
        headers = signed_headers(creds["agent_id"], creds["key"], int(time.time()), bodies[index])
        headers["Content-Type"] = "application/json"
        barrier.wait()
        try:
            response = requests.post(f"{base_url}/api/v1/reports", data=bodies[index], headers=headers, timeout=60)
            results[index] = (response.status_code, response.json().get("status", "") if response.ok else "")
        except requests.RequestException as exc:
            results[index] = (0, str(exc))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return results


def _agent(base_url: str, machine: DemoMachine, creds: dict[str, str], acked: Counter[tuple[str, int]],
           statuses: Counter[str], lock: threading.Lock) -> None:
    rng = random.Random(machine.machine_uid)
    for round_ in range(ROUNDS):
        sequences = (2 * round_ + 1, 2 * round_ + 2)
        bodies = {s: _body(machine, creds["agent_id"], s, rng) for s in sequences}
        sent = [s for s in sequences for _ in range(2)]  # each body twice: the resend races the first
        for sequence, (status, ack) in zip(sent, _send_together(base_url, creds, [bodies[s] for s in sent]),
                                           strict=True):
            with lock:
                statuses[f"{status} {ack}"] += 1
                if status in (200, 201) and ack in ("stored", "duplicate"):
                    acked[(creds["agent_id"], sequence)] += 1


def _worker_pids(process: psutil.Process) -> list[int]:
    return [child.pid for child in process.children(recursive=True) if "python" in child.name().lower()]


def test_two_workers_store_each_report_once_and_move_alerts_one_step_at_a_time(pg_url: str, tmp_path: Path) -> None:
    token = _token(pg_url)
    port = free_port()
    log_path = tmp_path / "serve.log"
    process = start_serve(pg_url, port, log_path, "--workers", "2", "--scan-interval-minutes", "0.05",
                          "--enroll-per-address", "100", "--enroll-per-token", "100")
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        workers = _worker_pids(psutil.Process(process.pid))
        assert len(workers) >= 2, (workers, log_path.read_text())
        enrolled = [_enroll(base_url, token, i) for i in range(AGENTS)]
        acked: Counter[tuple[str, int]] = Counter()
        statuses: Counter[str] = Counter()
        lock = threading.Lock()
        threads = [threading.Thread(target=_agent, args=(base_url, m, c, acked, statuses, lock)) for m, c in enrolled]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not any(thread.is_alive() for thread in threads)
        time.sleep(4)  # a scan or two more, after the reports
    finally:
        elapsed = time.monotonic() - started
        stop_process(process)
    log = log_path.read_text()
    assert "Traceback" not in log and "rules failed" not in log, log
    assert set(statuses) <= {"201 stored", "200 duplicate", "201 duplicate"}, statuses
    assert len(acked) == AGENTS * ROUNDS * 2  # every (agent, sequence) acknowledged, resends too
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT agent_id, sequence, count(*) FROM reports "
                                         "GROUP BY agent_id, sequence")).all()
        events = connection.execute(text(
            "SELECT a.id, a.rule_id, e.transition FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
            "ORDER BY a.id, e.id")).all()
    engine.dispose()
    assert {(agent, sequence) for agent, sequence, _ in stored} == set(acked)
    assert all(count == 1 for _, _, count in stored)
    ran = [line for line in log.splitlines() if "scheduled scan done" in line and line[:4].isdigit()]
    skipped = [line for line in ran if "skipped" in line]
    assert skipped, log  # the other worker found the interval's run taken
    assert len(ran) - len(skipped) <= elapsed / (0.05 * 60 * 0.9) + 1, (len(ran), len(skipped), elapsed)
    history: dict[int, list[str]] = {}
    for alert_id, _rule, transition in events:
        history.setdefault(alert_id, []).append(transition)
    flips = [t for steps in history.values() for t in steps if t in ("opened", "resolved", "reopened")]
    assert "resolved" in flips  # the antivirus went off and on: alerts did move
    for alert_id, steps in history.items():
        moves = [t for t in steps if t in ("opened", "resolved", "reopened")]
        assert moves.count("opened") <= 1, (alert_id, steps)
        assert moves[:1] in ([], ["opened"]), (alert_id, steps)
        assert all(a != b for a, b in zip(moves, moves[1:], strict=False)), (alert_id, steps)
        assert all(not (a in ("opened", "reopened") and b in ("opened", "reopened"))
                   for a, b in zip(moves, moves[1:], strict=False)), (alert_id, steps)


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    done = canhgac("serve", "--db", f"sqlite:///{tmp_path / 'one.db'}", "--workers", "2", "--port", str(free_port()))
    assert done.returncode == 2
    assert "workers = 2" in done.stderr and "PostgreSQL" in done.stderr
