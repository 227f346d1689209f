"""Agent test helpers: recorded Linux samples, state directories, and a real tiny collector.

The collector is a stdlib HTTP server on 127.0.0.1 (port 0) in a thread; it verifies report
signatures with agent.wire.signing exactly as the real collector must. Tests only ever talk to
127.0.0.0/8.
"""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from agent.config import QUIET, AgentConfig
from agent.state import AgentState, save_state
from agent.wire.schema import EnrollRequest, EnrollResponse, ReportAck, decode_report
from agent.wire.signing import AGENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, is_valid_signature, new_key
from tests.ports import free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "linux"
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
GOOD_TOKEN = "cge_good"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeCollector:
    """What the tiny collector knows and did. ``forced`` are (status, error code) answers given,
    in order, to the next report POSTs instead of the real verification."""

    url: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    stored: dict[tuple[str, int], bytes] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    forced: list[tuple[int, str]] = field(default_factory=list)
    failing: dict[int, tuple[int, str]] = field(default_factory=dict)
    """(status, error code) answered to every correctly signed report of these sequences."""

    def enroll(self, body: bytes) -> tuple[int, bytes]:
        request = msgspec.json.decode(body, type=EnrollRequest)
        if request.token != GOOD_TOKEN:
            return _error(401, "bad_token", "the enrollment token is unknown or expired")
        agent_id = f"ag-{len(self.keys) + 1}"
        self.keys[agent_id] = new_key()
        answer = EnrollResponse(agent_id=agent_id, key=self.keys[agent_id], unit_code="XA", machine_id=1)
        return 201, msgspec.json.encode(answer)

    def report(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self.forced:
            status, code = self.forced.pop(0)
            return _error(status, code, f"forced {code}")
        agent_id = headers.get(AGENT_HEADER, "")
        key = self.keys.get(agent_id)
        timestamp = int(headers.get(TIMESTAMP_HEADER, "0"))
        if key is None or not is_valid_signature(key, timestamp, body, headers.get(SIGNATURE_HEADER, "")):
            return _error(401, "bad_signature", "the signature does not match the body")
        sequence = decode_report(body).identity.sequence
        if sequence in self.failing:
            status, code = self.failing[sequence]
            return _error(status, code, f"failing {code} for #{sequence}")
        duplicate = (agent_id, sequence) in self.stored
        self.stored[(agent_id, sequence)] = body
        ack = ReportAck(agent_id=agent_id, sequence=sequence, status="duplicate" if duplicate else "stored")
        return (200 if duplicate else 201), msgspec.json.encode(ack)


def _error(status: int, code: str, detail: str) -> tuple[int, bytes]:
    return status, msgspec.json.encode({"error": code, "detail": detail})


def _handler_for(collector: FakeCollector) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            if headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)  # as collector/intake/ingest.py does, before verifying
            collector.received.append(Received(self.path, headers, body))
            if self.path == "/api/v1/enroll":
                status, answer = collector.enroll(body)
            elif self.path == "/api/v1/reports":
                status, answer = collector.report(headers, body)
            else:
                status, answer = _error(404, "not_found", self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
            pass

    return Handler


@pytest.fixture
def collector() -> Iterator[FakeCollector]:
    """A real HTTP collector on 127.0.0.1, on a free port, stopped after the test."""
    fake = FakeCollector()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (bound once, then released)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "agent"


def enrolled(state_dir: Path, collector: FakeCollector, **overrides: object) -> AgentState:
    """Save an enrolled state whose agent the collector knows."""
    agent_id = f"ag-{len(collector.keys) + 1}"
    collector.keys[agent_id] = new_key()
    fields: dict[str, object] = {"agent_id": agent_id, "key": collector.keys[agent_id], "server": collector.url,
                                 "unit_code": "XA", "machine_uid": "uid-1"}
    fields.update(overrides)
    state = AgentState(**fields)  # type: ignore[arg-type]
    save_state(state_dir, state)
    return state


def config_for(state_dir: Path, **overrides: object) -> AgentConfig:
    fields: dict[str, object] = {"state_dir": state_dir, "timeout_s": 5.0, "probes": QUIET}
    fields.update(overrides)
    return AgentConfig(**fields)  # type: ignore[arg-type]
