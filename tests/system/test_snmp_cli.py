"""`canhgac scan snmp` as a real process against a real snmpd: ad hoc polls, saving a device,
polling the configured devices, and the clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.snmp.agent import (
    SYS_NAME,
    V3_AUTH_KEY,
    V3_PRIV_KEY,
    V3_USER,
    SnmpdAgent,
    running_snmpd,
    snmpd_binary,
)
from tests.system.conftest import canhgac

pytestmark = [pytest.mark.system,
              pytest.mark.skipif(snmpd_binary() is None, reason="snmpd not installed (Debian package snmpd)")]

V3_ARGS = ("--v3-user", V3_USER, "--auth-key", V3_AUTH_KEY, "--priv-key", V3_PRIV_KEY)


@pytest.fixture
def snmpd(tmp_path: Path) -> Iterator[SnmpdAgent]:
    with running_snmpd(tmp_path / "snmpd") as agent:
        yield agent


def test_ad_hoc_v2c_and_v3_polls(snmpd: SnmpdAgent, tmp_path: Path) -> None:
    db = ("--db", f"sqlite:///{tmp_path / 'c.db'}")
    text = canhgac("scan", "snmp", "--target", snmpd.address, "--community", "public", *db)
    assert text.returncode == 0, text.stderr
    assert f"sysName: {SYS_NAME}" in text.stdout and "Cổng / Interface" in text.stdout
    result = canhgac("scan", "snmp", "--target", snmpd.address, *V3_ARGS, "--json", *db)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["result"]["ok"] and body["result"]["sys_name"] == SYS_NAME and body["stored"] is False


def test_a_saved_device_is_polled_and_its_polls_are_stored(snmpd: SnmpdAgent, tmp_path: Path) -> None:
    db = ("--db", f"sqlite:///{tmp_path / 'c.db'}")
    assert canhgac("db", "init", *db).returncode == 0
    assert canhgac("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", *db).returncode == 0
    saved = canhgac("scan", "snmp", "--target", snmpd.address, *V3_ARGS, "--save", "--unit", "XA",
                    "--name", "router-xa", "--dedicated-line-if", "lo", *db)
    assert saved.returncode == 0, saved.stderr
    assert "Device saved" in saved.stderr
    again = canhgac("scan", "snmp", "--all", "--json", *db)
    assert again.returncode == 0, again.stderr
    [polled] = json.loads(again.stdout)
    assert polled["result"]["ok"] and polled["usage"]  # second poll: rates against the first
    duplicate = canhgac("scan", "snmp", "--target", snmpd.address, "--community", "public", "--save", "--unit", "XA",
                        *db)
    assert duplicate.returncode == 1 and "already configured" in duplicate.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--community", "wrong", "--timeout", "0.3", "--retries", "0"), "no answer"),
    ((*V3_ARGS[:2], "--auth-key", "wrong-auth-key", "--priv-key", V3_PRIV_KEY), "authentication refused"),
])
def test_wrong_credentials_exit_1_with_the_reason(snmpd: SnmpdAgent, tmp_path: Path, args: tuple[str, ...],
                                                  message: str) -> None:
    result = canhgac("scan", "snmp", "--target", snmpd.address, *args, "--db", f"sqlite:///{tmp_path / 'c.db'}",
                     timeout=30)
    assert result.returncode == 1
    assert message in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    ((), "give either --community"),
    (("--community", "a", "--v3-user", "u"), "give either --community"),
    (("--v3-user", "u", "--auth-key", "short", "--priv-key", "longenough"), "at least 8 characters"),
    (("--community", "public", "--save"), "--save needs --unit"),
])
def test_usage_errors_are_clear(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = canhgac("scan", "snmp", "--target", "127.0.0.1:1", *args, "--db", f"sqlite:///{tmp_path / 'c.db'}")
    assert result.returncode in (1, 2)
    assert message in result.stderr
