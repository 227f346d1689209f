"""SNMP polling against a real Net-SNMP agent (Debian snmpd) started on a loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.network.snmp import V3, PollResult, SnmpErrorKind, V2c, poll, target_of
from collector.network.snmp_delta import ChangeKind, interface_usage, poll_changes
from tests.fixtures.snmp.agent import (
    COMMUNITY,
    SYS_NAME,
    V3_AUTH_KEY,
    V3_PRIV_KEY,
    V3_USER,
    SnmpdAgent,
    free_udp_port,
    running_snmpd,
    snmpd_binary,
)

pytestmark = [pytest.mark.system,
              pytest.mark.skipif(snmpd_binary() is None, reason="snmpd not installed (Debian package snmpd)")]

GOOD_V3 = V3(V3_USER, V3_AUTH_KEY, V3_PRIV_KEY, auth_protocol="SHA", priv_protocol="AES")


@pytest.fixture
def snmpd(tmp_path: Path) -> Iterator[SnmpdAgent]:
    with running_snmpd(tmp_path / "snmpd") as agent:
        yield agent


def poll_one(address: str, credentials: V2c | V3, **options: float) -> PollResult:
    return poll([target_of(address, credentials, **options)])[0]


def assert_full_poll(result: PollResult) -> None:
    assert result.ok, result.error
    assert result.sys_name == SYS_NAME
    assert result.sys_descr == "canhgac test agent"
    assert result.sys_location == "Phong may, UBND xa Tan Hoa"
    assert result.uptime_ticks is not None and result.uptime_ticks >= 0
    names = {interface.name for interface in result.interfaces}
    assert "lo" in names  # the agent shows the host's interfaces: assert structure, not values
    loopback = next(interface for interface in result.interfaces if interface.name == "lo")
    assert loopback.oper_status == 1 and loopback.admin_status == 1
    assert loopback.counter_bits == 64 and loopback.in_octets is not None


def test_v2c_poll_reads_the_system_group_and_the_interface_table(snmpd: SnmpdAgent) -> None:
    assert_full_poll(poll_one(snmpd.address, V2c(COMMUNITY)))


def test_v3_authpriv_poll_reads_the_same(snmpd: SnmpdAgent) -> None:
    assert_full_poll(poll_one(snmpd.address, GOOD_V3))


@pytest.mark.parametrize(("credentials", "kind"), [
    (V2c("wrong-community"), SnmpErrorKind.NO_ANSWER),  # agents drop bad communities silently
    (V3(V3_USER, "wrong-auth-key", V3_PRIV_KEY), SnmpErrorKind.AUTHENTICATION),
    (V3("nobody-here", V3_AUTH_KEY, V3_PRIV_KEY), SnmpErrorKind.AUTHENTICATION),
    (V3(V3_USER, V3_AUTH_KEY, "wrong-priv-key"), SnmpErrorKind.NO_ANSWER),  # undecryptable: dropped
])
def test_wrong_credentials_give_a_clear_result_quickly(snmpd: SnmpdAgent, credentials: V2c | V3,
                                                       kind: SnmpErrorKind) -> None:
    started = time.monotonic()
    result = poll_one(snmpd.address, credentials, timeout_s=0.5, retries=1)
    assert time.monotonic() - started < 3
    assert result.error_kind is kind
    assert ("no answer" if kind is SnmpErrorKind.NO_ANSWER else "authentication") in result.error


def test_one_dead_device_does_not_delay_the_others(snmpd: SnmpdAgent) -> None:
    dead = f"127.0.0.1:{free_udp_port()}"  # nothing listens there
    targets = [target_of(dead, V2c(COMMUNITY), timeout_s=1.0, retries=1)]
    targets += [target_of(snmpd.address, V2c(COMMUNITY)) for _ in range(10)]
    targets += [target_of(snmpd.address, GOOD_V3) for _ in range(10)]
    started = time.monotonic()
    results = poll(targets, concurrency=8)
    wall_ms = (time.monotonic() - started) * 1000
    assert results[0].error_kind is SnmpErrorKind.NO_ANSWER
    assert results[0].elapsed_ms >= 2 * 1000 * 0.9  # it waited its two tries out
    assert all(result.ok for result in results[1:]), [r.error for r in results if not r.ok]
    # Polled one after another, the run would last the dead device's wait plus every live poll;
    # the live polls ran beside the wait instead. Relative figures, not a wall-clock bound, so
    # that a loaded machine (which slows both sides alike) does not fail it.
    assert wall_ms - results[0].elapsed_ms < sum(result.elapsed_ms for result in results[1:])
    assert max(result.elapsed_ms for result in results[1:]) < results[0].elapsed_ms


def test_the_deadline_bounds_a_poll_whatever_the_retries(snmpd: SnmpdAgent) -> None:
    started = time.monotonic()
    result = poll_one(f"127.0.0.1:{free_udp_port()}", V2c(COMMUNITY), timeout_s=1.0, retries=10, deadline_s=1.5)
    assert time.monotonic() - started < 6  # eleven tries would take 11 s; the deadline cut them at 1.5 s
    assert result.error_kind is SnmpErrorKind.NO_ANSWER


def test_a_restarted_agent_is_seen_as_a_reboot_and_counters_give_rates(snmpd: SnmpdAgent) -> None:
    first = poll_one(snmpd.address, V2c(COMMUNITY))
    time.sleep(1.1)
    second = poll_one(snmpd.address, V2c(COMMUNITY))
    usage = {item.name: item for item in interface_usage(first, second)}
    assert usage["lo"].in_bps is not None and usage["lo"].in_bps >= 0
    assert 0.5 < usage["lo"].seconds < 5
    assert ChangeKind.REBOOTED not in {change.kind for change in poll_changes(first, second)}

    snmpd.restart()
    third = poll_one(snmpd.address, V2c(COMMUNITY))
    assert third.ok, third.error
    assert ChangeKind.REBOOTED in {change.kind for change in poll_changes(second, third)}
    assert interface_usage(second, third) == []  # counters restarted: no rate across a reboot


def test_a_device_that_stops_answering_is_a_change(snmpd: SnmpdAgent) -> None:
    before = poll_one(snmpd.address, V2c(COMMUNITY))
    snmpd.stop()
    after = poll_one(snmpd.address, V2c(COMMUNITY), timeout_s=0.3, retries=0)
    assert [change.kind for change in poll_changes(before, after)] == [ChangeKind.UNREACHABLE]
