"""The load that bench/ingest.py and bench/ingest_memory.py put on a server: client *processes*
(so that the client is not one GIL), each with threads that each keep one HTTP/1.1 connection and
send one request after another until a deadline. Traffic goes to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import multiprocessing
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec
import requests

from agent.wire.schema import EnrollRequest, Program, Software, encode_report
from agent.wire.sections import compact, section_digest, shared_sections
from agent.wire.signing import signed_headers
from server.demo_fleet import DemoMachine, demo_report

VOCABULARY = 2_000  # distinct program names across the bench's agents


@dataclass
class Tally:
    """What the clients saw: latency of every answered request, the (agent, sequence) of every
    report acknowledged as newly stored (201), other answers by status (0: no answer)."""

    latencies_ms: list[float] = field(default_factory=list)
    acknowledged: int = 0
    stored: list[tuple[str, int]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def merge(self, other: Tally) -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.acknowledged += other.acknowledged
        self.stored.extend(other.stored)
        for status, count in other.errors.items():
            self.errors[status] = self.errors.get(status, 0) + count


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


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


def programs_of(rng: random.Random, count: int) -> list[Program]:
    picks = rng.sample(range(VOCABULARY), min(count, VOCABULARY))
    return [Program(name=f"Bench Program {i:04d} (x64)", version=f"{i % 17}.{i % 5}", publisher="Bench")
            for i in picks]


Request = tuple[str, bytes, dict[str, str], tuple[str, int] | None]
"""(path, body, headers, the report's (agent, sequence) or None)."""


def agent_requests(machine: DemoMachine, creds: dict[str, str], programs: int,
                   compact_sections: bool = False) -> Iterator[Request]:
    """An agent's reports, sequence 1, 2, ...: one program in 20 updated to a new version.
    ``compact_sections``: as the agent sends them (agent.delivery), each shared section that the
    previous report held too sent as its hash only (the previous report taken as acknowledged)."""
    rng = random.Random(machine.machine_uid)
    report = demo_report(machine, creds["agent_id"], 1, datetime.now(UTC), rng)
    installed = programs_of(rng, programs)
    sequence, known = 0, {}
    while True:
        sequence += 1
        if installed and sequence % 20 == 0:
            index = rng.randrange(len(installed))
            installed[index] = Program(name=f"{installed[index].name.split(' (')[0]} (x64) v{sequence}")
        software = Software(programs=list(installed)) if installed else None
        identity = msgspec.structs.replace(report.identity, sequence=sequence, collected_at=datetime.now(UTC))
        body = encode_report(msgspec.structs.replace(report, identity=identity, software=software))
        if compact_sections:
            left_out = compact(body, known) if known else None
            known = {name: section_digest(raw) for name, raw in shared_sections(body).items()}
            body = left_out[0] if left_out else body
        headers = signed_headers(creds["agent_id"], creds["key"], int(time.time()), body)
        headers["Content-Type"] = "application/json"
        yield "/api/v1/reports", body, headers, (creds["agent_id"], sequence)


def bare_requests(body_bytes: int) -> Iterator[Request]:
    body = b'{"pad":"' + b"x" * max(0, body_bytes - 10) + b'"}'
    while True:
        yield "/bare", body, {"Content-Type": "application/json"}, None


def _send_until(port: int, requests_of: Iterator[Request], stop_at: float, tally: Tally, lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for path, body, headers, key in requests_of:
        if time.monotonic() >= stop_at:
            break
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            status = 0
        latency = (time.perf_counter() - started) * 1000
        with lock:
            tally.latencies_ms.append(latency)
            if status == 201:
                tally.acknowledged += 1
                if key is not None:
                    tally.stored.append(key)
            else:
                tally.errors[str(status)] = tally.errors.get(str(status), 0) + 1
    connection.close()


def _client_process(port: int, streams: list[Callable[[], Iterator[Request]]], stop_at: float,
                    out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    tally, lock = Tally(), threading.Lock()
    threads = [threading.Thread(target=_send_until, args=(port, make(), stop_at, tally, lock)) for make in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(tally)


def run_load(port: int, streams: list[Callable[[], Iterator[Request]]], seconds: float, processes: int,
             while_running: Callable[[float], None] | None = None) -> tuple[Tally, float]:
    """Every stream sent by its own thread, the threads spread over ``processes`` client processes,
    for ``seconds``; (the merged tally, the elapsed seconds). ``while_running(stop_at)`` runs in
    this process meanwhile (the memory bench samples the server there)."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    workers = [context.Process(target=_client_process, args=(port, streams[i::processes], stop_at, out))
               for i in range(processes) if streams[i::processes]]
    for worker in workers:
        worker.start()
    if while_running is not None:
        while_running(stop_at)
    tally = Tally()
    for _ in workers:
        tally.merge(out.get(timeout=seconds + 120))
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join(timeout=30)
    return tally, elapsed
