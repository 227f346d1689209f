"""The offline PC end to end, every part a real process: enroll by file, export reports to a
"USB stick" folder, `canhgac import` them on the collector once; no network connection is ever
opened by the offline agent (checked with strace), `agent run` refuses, a full stick is a clear
error with no partial file, a tampered or replayed file is refused with a non-zero exit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.conftest import canhgac

pytestmark = pytest.mark.system

# An IPv4/IPv6 destination in a traced connect/sendto/sendmsg: a network connection attempt.
# (Netlink messages psutil sends to list interfaces are local and are not matched.)
INET_CALL = re.compile(r"\b(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?\b")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def traced(trace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``canhgac ARGS`` under strace, recording every connect/sendto/sendmsg of every thread."""
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
               sys.executable, "-m", "canhgac", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def network_calls(trace: Path) -> list[str]:
    return [line for line in trace.read_text(errors="replace").splitlines() if INET_CALL.search(line)]


@pytest.fixture
def collector_db(db_url: str) -> str:
    env = {"CANHGAC_DB": db_url}
    ok(canhgac("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", "--staff", "16", env=env))
    return db_url


def token_for(db_url: str) -> str:
    return ok(canhgac("tokens", "create", "--unit", "XA", env={"CANHGAC_DB": db_url})).strip()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_the_offline_pc_enrolls_and_reports_by_file_without_touching_a_network(
        collector_db: str, tmp_path: Path) -> None:
    usb, state_dir = tmp_path / "usb", str(tmp_path / "agent")
    usb.mkdir()
    enrolled = traced(tmp_path / "enroll.trace", "agent", "enroll", "--offline", "--token", token_for(collector_db),
                      "--out", str(usb), "--state-dir", state_dir)
    assert "Enrollment request written" in ok(enrolled)
    for n in (1, 2):
        exported = traced(tmp_path / f"export{n}.trace", "agent", "export", "--out", str(usb), "--state-dir", state_dir)
        assert f"report #{n}" in ok(exported)
    for trace in sorted(tmp_path.glob("*.trace")):
        assert network_calls(trace) == [], trace.name

    run = traced(tmp_path / "run.trace", "agent", "run", "--once", "--state-dir", state_dir)
    assert run.returncode == 1 and "canhgac agent export" in run.stderr
    assert network_calls(tmp_path / "run.trace") == []

    files = sorted(str(p) for p in usb.iterdir())
    assert len(files) == 3 and not any(name.endswith(".tmp") for name in files)
    imported = canhgac("import", "--db", collector_db, *files)
    assert "3 file(s) imported" in ok(imported) and "đã đăng ký máy" in imported.stdout
    listed = ok(canhgac("machines", "list", "--json", env={"CANHGAC_DB": collector_db}))
    assert '"offline"' in listed

    again = canhgac("import", "--db", collector_db, *files)
    assert again.returncode == 1 and again.stderr.count("REFUSED (replayed)") == 3


def test_a_tampered_file_is_refused_with_a_non_zero_exit(collector_db: str, tmp_path: Path) -> None:
    usb, state_dir = tmp_path / "usb", str(tmp_path / "agent")
    usb.mkdir()
    enrollment = usb / "enroll.json"
    ok(canhgac("agent", "enroll", "--offline", "--token", token_for(collector_db), "--out", str(enrollment),
               "--state-dir", state_dir))
    report = usb / "report.json"
    ok(canhgac("agent", "export", "--out", str(report), "--state-dir", state_dir))
    ok(canhgac("import", "--db", collector_db, str(enrollment)))
    data = report.read_bytes()
    report.write_bytes(data.replace(b'"sequence":1', b'"sequence":7', 1))
    refused = canhgac("import", "--db", collector_db, str(report))
    assert refused.returncode == 1 and "REFUSED (tampered)" in refused.stderr and "signature" in refused.stderr
    report.write_bytes(data)
    assert "report #1" in ok(canhgac("import", "--db", collector_db, str(report)))


def test_offline_enrollment_usage_is_checked(tmp_path: Path) -> None:
    state_dir = str(tmp_path / "agent")
    no_out = canhgac("agent", "enroll", "--offline", "--token", "cge_x", "--state-dir", state_dir)
    assert no_out.returncode == 2 and "--out" in no_out.stderr
    normal = canhgac("agent", "enroll", "--offline", "--role", "normal", "--token", "cge_x", "--out",
                     str(tmp_path / "f.json"), "--state-dir", state_dir)
    assert normal.returncode == 2 and "offline" in normal.stderr
    no_server = canhgac("agent", "enroll", "--token", "cge_x", "--state-dir", state_dir)
    assert no_server.returncode == 2 and "--server" in no_server.stderr
    not_enrolled = canhgac("agent", "export", "--out", str(tmp_path / "r.json"), "--state-dir", state_dir)
    assert not_enrolled.returncode == 1 and "not enrolled" in not_enrolled.stderr
    assert not (tmp_path / "agent" / "state.json").exists() and not (tmp_path / "f.json").exists()


@pytest.fixture
def full_stick(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs standing in for a full USB stick (root only), unmounted afterwards."""
    stick = tmp_path / "stick"
    stick.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(stick)], capture_output=True,
                          text=True, check=False, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        with (stick / "photos.bin").open("wb", buffering=0) as handle:
            for _ in range(256):  # bounded; the stick is full long before
                try:
                    handle.write(b"\0" * 4096)
                except OSError:
                    break
        yield stick
    finally:
        subprocess.run(["umount", str(stick)], check=False, timeout=30)
        if os.path.ismount(stick):
            subprocess.run(["umount", "-l", str(stick)], check=False, timeout=30)


def test_exporting_to_a_full_stick_is_a_clear_error_and_leaves_no_partial_file(tmp_path: Path,
                                                                                full_stick: Path) -> None:
    state_dir = str(tmp_path / "agent")
    ok(canhgac("agent", "enroll", "--offline", "--token", "cge_any", "--out", str(tmp_path / "enroll.json"),
               "--state-dir", state_dir))
    full = canhgac("agent", "export", "--out", str(full_stick), "--state-dir", state_dir)
    assert full.returncode == 1 and "the disk is full" in full.stderr and "nothing was written" in full.stderr
    assert "Traceback" not in full.stderr
    assert sorted(p.name for p in full_stick.iterdir()) == ["photos.bin"]
    (full_stick / "photos.bin").unlink()
    assert "report #2" in ok(canhgac("agent", "export", "--out", str(full_stick), "--state-dir", state_dir))
