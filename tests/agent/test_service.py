"""The agent as a service: start() runs the same loop as ``canhgac agent run`` until stop(), from
another thread (a service host's stop) or a signal (systemd's SIGTERM, a wrapper's Ctrl+C),
against a real collector on 127.0.0.1; every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from agent.config import default_state_dir
from agent.runner import CycleResult
from agent.service import STOP_SIGNALS, AgentService
from tests.agent.conftest import FakeCollector, config_for, enrolled

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_stop_from_another_thread_ends_the_loop_after_its_cycle(state_dir: Path, collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    cycles: list[CycleResult] = []
    service = AgentService(config_for(state_dir, interval_minutes=60.0), cycles.append)
    runner = threading.Thread(target=service.start, daemon=True)
    runner.start()
    assert wait_for(lambda: len(cycles) == 1)
    service.stop()
    runner.join(timeout=10)
    assert not runner.is_alive() and service.stopped
    assert [c.delivered for c in cycles] == [[(1, "stored")]] and len(collector.stored) == 1


def test_a_service_stopped_before_it_starts_runs_its_first_cycle_and_returns(state_dir: Path,
                                                                            collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    cycles: list[CycleResult] = []
    service = AgentService(config_for(state_dir, interval_minutes=60.0), cycles.append)
    service.stop()
    service.start()  # returns: no thread needed
    assert len(cycles) == 1


def test_sigterm_stops_agent_run_cleanly(state_dir: Path, collector: FakeCollector) -> None:
    enrolled(state_dir, collector)
    env = {**os.environ, "CANHGAC_PROBE_GATEWAY": "false", "CANHGAC_INTERNET_TARGETS": "",
           "CANHGAC_DEDICATED_LINE_TARGETS": ""}
    process = subprocess.Popen([sys.executable, "-m", "canhgac", "agent", "run", "--interval", "60", "--state-dir",
                                str(state_dir)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert wait_for(lambda: len(collector.stored) == 1, 60.0)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped / đã dừng" in err and "Traceback" not in err
    assert not list((state_dir / "spool").glob("*.json"))  # acknowledged, nothing torn


def test_the_stop_signals_are_those_of_this_platform() -> None:
    assert signal.SIGTERM in STOP_SIGNALS and signal.SIGINT in STOP_SIGNALS
    assert (getattr(signal, "SIGBREAK", None) in STOP_SIGNALS) == hasattr(signal, "SIGBREAK")


def test_the_windows_state_directory_is_under_programdata(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CANHGAC_AGENT_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", "D:\\ProgramData")
    assert default_state_dir() == Path("D:\\ProgramData") / "canhgac" / "agent"
    monkeypatch.delenv("PROGRAMDATA")
    assert default_state_dir() == Path("C:\\ProgramData") / "canhgac" / "agent"
