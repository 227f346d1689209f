"""Helpers for whole-process tests: run `canhgac` as a real process, start a real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.ports import free_port


def canhgac(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m canhgac ARGS`` to completion (same interpreter as the tests)."""
    return subprocess.run([sys.executable, "-m", "canhgac", *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


@dataclass
class Server:
    url: str
    db_url: str
    process: subprocess.Popen[str]


def start_serve(db_url: str, port: int, log: Path, *extra: str) -> subprocess.Popen[str]:
    """A real `canhgac serve` on 127.0.0.1:``port``, output appended to ``log``, once healthy."""
    with log.open("a") as handle:
        process = subprocess.Popen([sys.executable, "-m", "canhgac", "serve", "--db", db_url, "--port", str(port),
                                    *extra], stdout=handle, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
    except BaseException:
        stop_process(process)
        raise
    return process


def stop_process(process: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a process this test started (by its PID): ``sig``, then SIGKILL after ``timeout``."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    """A real `canhgac serve` process on a free loopback port, stopped (by its PID) after the test."""
    port = free_port()
    process = start_serve(db_url, port, tmp_path / "serve.log")
    try:
        yield Server(f"http://127.0.0.1:{port}", db_url, process)
    finally:
        stop_process(process)


def wait_healthy(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"canhgac serve exited:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"canhgac serve did not become healthy:\n{log.read_text()}")
