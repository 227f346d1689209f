"""Delivery against a real `canhgac serve`: the collector down then up, the agent killed in the
middle of a send, a full disk. Every agent and collector is a real process; traffic stays on
127.0.0.1; every wait is bounded; processes are ended by their own PID.

The kill lands mid-send through a loopback proxy that this test starts (no test hook in the
product): it receives the whole request, optionally forwards it to the collector (so the report
is stored but the acknowledgement never reaches the agent, the hardest case), then holds the
connection open. The agent is then blocked waiting for an answer, and SIGKILL hits it there.
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.system.conftest import Server, canhgac, free_port, start_serve
from tests.system.conftest import stop_process as stop

pytestmark = pytest.mark.system

FAST_RETRIES = ["--send-retries", "1", "--retry-base-s", "0.05", "--timeout", "5"]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def seed_unit(db_url: str) -> str:
    """A commune in the database; its enrollment token."""
    db = {"CANHGAC_DB": db_url}
    ok(canhgac("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", env=db))
    return ok(canhgac("tokens", "create", "--unit", "XA", env=db)).strip()


def stored(db_url: str) -> list[tuple[int, int]]:
    """(sequence, how many times stored) for every report in the database."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT sequence, count(*) FROM reports GROUP BY sequence ORDER BY 1"))
            return [(int(row[0]), int(row[1])) for row in rows]
    finally:
        engine.dispose()


def spooled(state_dir: Path) -> list[str]:
    folder = state_dir / "spool"
    return sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []


def wait_until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")


# --- the collector down for the first cycles -------------------------------------------------


def test_a_collector_down_for_three_cycles_then_up_gets_every_report_once(db_url: str, tmp_path: Path) -> None:
    token = seed_unit(db_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    state_dir = str(tmp_path / "agent")
    serve = start_serve(db_url, port, tmp_path / "serve.log")
    try:
        ok(canhgac("agent", "enroll", "--server", url, "--token", token, "--state-dir", state_dir))
    finally:
        stop(serve)

    for cycle in range(1, 4):
        down = canhgac("agent", "run", "--once", "--state-dir", state_dir, *FAST_RETRIES)
        assert down.returncode == 3, down.stderr
        assert "will retry next cycle" in down.stderr and f"{cycle} report(s) waiting" in down.stderr
    assert len(spooled(Path(state_dir))) == 3 and stored(db_url) == []

    serve = start_serve(db_url, port, tmp_path / "serve.log")
    try:
        up = ok(canhgac("agent", "run", "--once", "--state-dir", state_dir, *FAST_RETRIES))
        assert [f"report #{n} (stored)" in up for n in range(1, 5)] == [True] * 4
        ok(canhgac("agent", "run", "--once", "--state-dir", state_dir, *FAST_RETRIES))
    finally:
        stop(serve)
    assert stored(db_url) == [(n, 1) for n in range(1, 6)]
    assert spooled(Path(state_dir)) == []


def test_the_scheduled_agent_rides_out_an_outage(db_url: str, tmp_path: Path) -> None:
    """`agent run` on its schedule (a cycle a second here) while the collector is down, then up."""
    token = seed_unit(db_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    state_dir = tmp_path / "agent"
    serve = start_serve(db_url, port, tmp_path / "serve.log")
    try:
        ok(canhgac("agent", "enroll", "--server", url, "--token", token, "--state-dir", str(state_dir)))
    finally:
        stop(serve)
    log = (tmp_path / "agent.log").open("w")
    agent = subprocess.Popen([sys.executable, "-m", "canhgac", "agent", "run", "--interval", "0.01",
                              "--state-dir", str(state_dir), *FAST_RETRIES], stdout=log, stderr=subprocess.STDOUT)
    serve = None
    try:
        wait_until(lambda: len(spooled(state_dir)) >= 3, 60, "three reports spooled while the collector is down")
        serve = start_serve(db_url, port, tmp_path / "serve.log")
        wait_until(lambda: len(stored(db_url)) >= 4, 60, "the backlog to reach the collector")
    finally:
        stop(agent, signal.SIGINT)
        log.close()
        if serve is not None:  # flush what the interrupted agent left, then stop the collector
            ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir), *FAST_RETRIES))
            stop(serve)
    counts = stored(db_url)
    assert counts == [(n, 1) for n in range(1, len(counts) + 1)], counts
    assert spooled(state_dir) == []


# --- SIGKILL in the middle of a send ---------------------------------------------------------


@dataclass
class HoldingProxy:
    """A loopback HTTP proxy that takes one report POST whole, forwards it or not, then holds
    the connection without answering until released (bounded)."""

    target: str
    forward: bool
    url: str = ""
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    forwarded_status: int | None = None


@pytest.fixture
def holding_proxy() -> Iterator[callable]:  # type: ignore[valid-type]
    servers: list[tuple[http.server.ThreadingHTTPServer, HoldingProxy, threading.Thread]] = []

    def start(target: str, forward: bool) -> HoldingProxy:
        proxy = HoldingProxy(target, forward)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if proxy.forward:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                    answer = requests.post(proxy.target + self.path, data=body, headers=headers, timeout=10)
                    proxy.forwarded_status = answer.status_code
                proxy.holding.set()
                proxy.release.wait(timeout=60)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, proxy, thread))
        return proxy

    yield start
    for server, proxy, thread in servers:
        proxy.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("forwarded", [False, True], ids=["killed-before-the-collector-saw-it",
                                                          "killed-after-it-was-stored-before-the-ack"])
def test_an_agent_killed_mid_send_loses_nothing_and_stores_nothing_twice(
        server: Server, tmp_path: Path, holding_proxy, forwarded: bool) -> None:  # type: ignore[no-untyped-def]
    token = seed_unit(server.db_url)
    state_dir = tmp_path / "agent"
    ok(canhgac("agent", "enroll", "--server", server.url, "--token", token, "--state-dir", str(state_dir)))
    proxy = holding_proxy(server.url, forwarded)
    agent = subprocess.Popen([sys.executable, "-m", "canhgac", "agent", "run", "--once", "--server", proxy.url,
                              "--timeout", "60", "--state-dir", str(state_dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proxy.holding.wait(timeout=60), "the agent never sent"
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait(timeout=15)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait(timeout=15)
    assert agent.returncode == -signal.SIGKILL
    assert spooled(state_dir) == ["000000000001.json"]  # not acknowledged: still on disk
    assert stored(server.db_url) == ([(1, 1)] if forwarded else [])
    if forwarded:
        assert proxy.forwarded_status == 201

    restarted = ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    assert f"report #1 ({'duplicate' if forwarded else 'stored'})" in restarted
    assert "report #2 (stored)" in restarted
    assert stored(server.db_url) == [(1, 1), (2, 1)]
    assert spooled(state_dir) == []


# --- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test (root only), unmounted afterwards."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount_point)],
                          capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False, timeout=30)
        if os.path.ismount(mount_point):
            subprocess.run(["umount", "-l", str(mount_point)], check=False, timeout=30)


def fill(disk: Path) -> Path:
    """Fill ``disk`` until it refuses another byte; the filler file."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        for _ in range(1024):  # bounded: 1024 x 4 KiB is far more than the disk
            try:
                handle.write(b"\0" * 4096)
            except OSError:
                break
    return filler


def test_an_agent_on_a_full_disk_says_so_and_leaves_no_partial_file(server: Server, tiny_disk: Path) -> None:
    token = seed_unit(server.db_url)
    state_dir = tiny_disk / "agent"
    ok(canhgac("agent", "enroll", "--server", server.url, "--token", token, "--state-dir", str(state_dir)))
    before = (state_dir / "state.json").read_bytes()
    filler = fill(tiny_disk)

    full = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    assert full.returncode == 1 and "the disk is full" in full.stderr, full.stderr
    assert "Traceback" not in full.stderr
    assert (state_dir / "state.json").read_bytes() == before
    assert [p.name for p in state_dir.rglob("*") if p.name.endswith(".tmp")] == []
    assert spooled(state_dir) == []

    filler.unlink()
    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    assert stored(server.db_url) == [(1, 1)]


def test_a_report_too_big_for_the_disk_is_not_spooled_in_part(server: Server, tmp_path: Path) -> None:
    """The state fits but the report does not (RLIMIT_FSIZE in the agent process stands in for
    the last free bytes): a clear error, no torn spool entry, and the next cycle works."""
    import resource

    token = seed_unit(server.db_url)
    state_dir = tmp_path / "agent"
    ok(canhgac("agent", "enroll", "--server", server.url, "--token", token, "--state-dir", str(state_dir)))

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    limited = subprocess.run([sys.executable, "-m", "canhgac", "agent", "run", "--once", "--state-dir",
                              str(state_dir)], capture_output=True, text=True, timeout=120, check=False,
                             preexec_fn=small_files)
    assert limited.returncode == 1, limited.stderr
    assert "cannot write report #1 to" in limited.stderr and "spool" in limited.stderr
    assert "the disk is full" in limited.stderr
    assert list((state_dir / "spool").iterdir()) == []
    assert stored(server.db_url) == []

    after = ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    assert "report #1 (stored)" in after  # #1 was never written, so its number was not used up
    assert stored(server.db_url) == [(1, 1)]
