"""The users probe on Linux against wtmp and utmp files written by util-linux's own
``utmpdump --reverse`` (the records ``last`` and ``who`` read), and the probe registered."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.probes import PROBES, ProbeContext, hardening_linux, users
from agent.wire.schema import InteractiveUser, Users
from tests.agent.conftest import T0
from tests.agent.test_hardening_linux import WTMP_TEXT, need, sh

# who(1)'s utmp: binh is signed in on tty2, canbo's pts/1 session has ended (DEAD_PROCESS, user blank)
UTMP_TEXT = (
    "[7] [00977] [tty2] [binh    ] [tty2        ] [tty2                ] [0.0.0.0        ] "
    "[2026-11-21T07:30:05,000000+00:00]\n"
    "[8] [04242] [ts/1] [        ] [pts/1       ] [                    ] [0.0.0.0        ] "
    "[2026-11-20T09:00:00,000000+00:00]\n"
)


def written_by_utmpdump(path: Path, text: str) -> Path:
    path.write_bytes(subprocess.run(["utmpdump", "--reverse"], input=text.encode(), capture_output=True,
                                    check=True).stdout)
    return path


def test_it_lists_wtmps_accounts_and_who_is_signed_in_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("utmpdump", "who")
    wtmp = written_by_utmpdump(tmp_path / "wtmp", WTMP_TEXT)
    utmp = written_by_utmpdump(tmp_path / "utmp", UTMP_TEXT)
    assert sh("who", str(utmp)).split()[:2] == ["binh", "tty2"]  # who reads the same file the same way
    monkeypatch.setattr(hardening_linux, "WTMP", wtmp)
    monkeypatch.setattr(users, "UTMP", utmp)
    found = users.collect(ProbeContext(now=T0, system="Linux"))
    assert found == Users(users=[
        InteractiveUser(name="binh", signed_in=True, last_use=datetime(2026, 11, 21, 7, 30, 5, tzinfo=UTC),
                        source=users.WTMP_SOURCE),
        InteractiveUser(name="canbo", last_use=datetime(2026, 11, 20, 8, 15, tzinfo=UTC), source=users.WTMP_SOURCE)])


def test_no_login_records_is_no_users_and_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardening_linux, "WTMP", tmp_path / "absent-wtmp")
    monkeypatch.setattr(users, "UTMP", tmp_path / "absent-utmp")
    assert users.collect(ProbeContext(now=T0, system="Linux")) == Users()


def test_an_unreadable_wtmp_is_recorded_and_utmp_still_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("utmpdump")
    monkeypatch.setattr(hardening_linux, "WTMP", tmp_path)  # a folder: reading it fails (IsADirectoryError)
    monkeypatch.setattr(users, "UTMP", written_by_utmpdump(tmp_path / "utmp", UTMP_TEXT))
    found = users.collect(ProbeContext(now=T0, system="Linux"))
    assert [e.what for e in found.errors] == ["wtmp"]
    assert found.users == [InteractiveUser(name="binh", signed_in=True, source=users.UTMP_SOURCE)]


def test_the_users_probe_is_registered_and_quiet_elsewhere() -> None:
    assert PROBES["users"] is users.collect
    assert users.collect(ProbeContext(now=T0, system="Darwin")) == Users()
