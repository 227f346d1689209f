"""Operating the collector: the systemd units verify (and their hardening scores), and a real
`canhgac serve` answers /metrics to a loopback scraper in a format promtool accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.system.conftest import free_port, start_serve, stop_process

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
MAX_EXPOSURE = 3.0
"""systemd-analyze security's exposure (0 best, 10 worst); 2.1 and 2.6 when written."""


def _installable(unit: Path, folder: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's canhgac (verify checks the program exists)."""
    program = Path(sys.executable).with_name("canhgac")
    copy = folder / unit.name
    copy.write_text(unit.read_text(encoding="utf-8").replace("/opt/canhgac/bin/canhgac", str(program)),
                    encoding="utf-8")
    return copy


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("name", ["canhgac-serve.service", "canhgac-agent.service"])
def test_the_systemd_units_verify_and_are_hardened(name: str, tmp_path: Path) -> None:
    unit = _installable(UNITS / name, tmp_path)
    verified = _analyze("verify", str(unit))
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified.stderr
    text = unit.read_text(encoding="utf-8")
    for key in ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=canhgac", "StateDirectoryMode=0700"):
        assert key in text, key
    security = _analyze("security", "--offline=true", str(unit))
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security.stdout + security.stderr)
    assert exposure, security.stdout + security.stderr
    assert float(exposure.group(1)) <= MAX_EXPOSURE


def test_verify_does_see_a_mistake(tmp_path: Path) -> None:
    """The check above could not fail if the verifier were silent here: a misspelt key is reported."""
    unit = _installable(UNITS / "canhgac-serve.service", tmp_path)
    unit.write_text(unit.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSystem=stricct"),
                    encoding="utf-8")
    assert "protect system value" in _analyze("verify", str(unit)).stderr


@pytest.mark.system
def test_a_loopback_scraper_reads_metrics_that_promtool_accepts(tmp_path: Path) -> None:
    port = free_port()
    process = start_serve(f"sqlite:///{tmp_path / 'canhgac.db'}", port, tmp_path / "serve.log",
                          "--scan-interval-minutes", "0")
    try:
        scraped = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    finally:
        stop_process(process)
    assert scraped.status_code == 200 and "canhgac_reports_stored_total 0" in scraped.text
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus; .ci/run installs it)")
    checked = subprocess.run([promtool, "check", "metrics"], input=scraped.text, capture_output=True, text=True,
                             timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
