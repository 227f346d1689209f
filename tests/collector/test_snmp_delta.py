"""Pure SNMP functions: utilisation and changes from two polls, interface rows, addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector.network.snmp import (
    V3,
    PollResult,
    SnmpErrorKind,
    SnmpInterface,
    V2c,
    check_credentials,
    classify,
    find_interface,
    parse_interfaces,
    split_host_port,
)
from collector.network.snmp_delta import (
    UPTIME_WRAP,
    ChangeKind,
    counter_delta,
    interface_usage,
    interval_seconds,
    poll_changes,
    rebooted,
)

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def wan(**overrides: Any) -> SnmpInterface:
    fields: dict[str, Any] = {"index": 2, "name": "ge-0/0/1", "admin_status": 1, "oper_status": 1,
                              "speed_bps": 100_000_000, "in_octets": 0, "out_octets": 0, "counter_bits": 64}
    return SnmpInterface(**{**fields, **overrides})


def polled(seconds: float = 0, uptime: int | None = 100_000, interfaces: list[SnmpInterface] | None = None,
           error: SnmpErrorKind | None = None) -> PollResult:
    return PollResult(host="10.0.0.1", port=161, polled_at=T0 + timedelta(seconds=seconds), elapsed_ms=5,
                      uptime_ticks=uptime, interfaces=[wan()] if interfaces is None else interfaces,
                      error_kind=error, error="no answer" if error else "")


def kinds(previous: PollResult, current: PollResult) -> list[ChangeKind]:
    return [change.kind for change in poll_changes(previous, current)]


def test_it_computes_rates_and_utilisation_from_the_device_clock() -> None:
    # 60 s by sysUpTime (the collector's clock says 61 s: the device's own clock wins)
    before = polled(0, 100_000, [wan(in_octets=1_000, out_octets=0)])
    after = polled(61, 106_000, [wan(in_octets=1_000 + 375_000_000, out_octets=75_000_000)])
    [usage] = interface_usage(before, after)
    assert usage.seconds == 60
    assert usage.in_bps == pytest.approx(50_000_000)
    assert usage.out_bps == pytest.approx(10_000_000)
    assert usage.utilisation == pytest.approx(0.5)


@pytest.mark.parametrize(("before", "after", "bits", "expected"), [
    (100, 250, 32, 150),
    (2**32 - 100, 50, 32, 150),  # a 32-bit counter wrapped once
    (2**40, 5, 64, None),  # a 64-bit counter that went back was reset, not wrapped
    (None, 5, 64, None),
])
def test_counter_deltas(before: int | None, after: int, bits: int, expected: int | None) -> None:
    assert counter_delta(before, after, bits) == expected


def test_unknown_speed_gives_rates_without_utilisation() -> None:
    before = polled(0, 100_000, [wan(speed_bps=None)])
    after = polled(10, 101_000, [wan(speed_bps=None, in_octets=1_250)])
    [usage] = interface_usage(before, after)
    assert usage.in_bps == pytest.approx(1_000) and usage.utilisation is None


@pytest.mark.parametrize(("before", "after", "wall_s", "expected"), [
    (100_000, 5_000, 60, True),  # uptime went back: the device restarted
    (100_000, 106_000, 60, False),
    (UPTIME_WRAP - 1_000, 5_000, 60, False),  # 32-bit TimeTicks wrapped after ~497 days
    (None, 5_000, 60, False),
])
def test_reboot_is_sysuptime_going_back(before: int | None, after: int, wall_s: float, expected: bool) -> None:
    assert rebooted(polled(0, before), polled(wall_s, after)) is expected


def test_no_usage_across_a_reboot_or_a_failed_poll() -> None:
    assert interface_usage(polled(0, 100_000), polled(60, 10)) == []
    assert interface_usage(polled(0), polled(60, error=SnmpErrorKind.NO_ANSWER)) == []
    assert interval_seconds(polled(0, None), polled(30, None)) == 30


@pytest.mark.parametrize(("before", "after", "expected"), [
    ([wan()], [wan(oper_status=2)], [ChangeKind.INTERFACE_DOWN]),
    ([wan(oper_status=7)], [wan()], [ChangeKind.INTERFACE_UP]),
    ([wan()], [wan(), wan(index=3, name="ge-0/0/2")], [ChangeKind.INTERFACE_ADDED]),
    ([wan(), wan(index=3, name="ge-0/0/2")], [wan()], [ChangeKind.INTERFACE_REMOVED]),
    ([wan(oper_status=2)], [wan(oper_status=2)], []),
])
def test_interface_changes(before: list[SnmpInterface], after: list[SnmpInterface], expected: list[ChangeKind]) -> None:
    assert kinds(polled(0, 100_000, before), polled(60, 106_000, after)) == expected


def test_a_reboot_and_a_down_interface_are_both_reported() -> None:
    changes = poll_changes(polled(0, 100_000), polled(60, 500, [wan(oper_status=2)]))
    assert [(c.kind, c.interface) for c in changes] == [(ChangeKind.REBOOTED, ""),
                                                          (ChangeKind.INTERFACE_DOWN, "ge-0/0/1")]


def test_reachability_changes() -> None:
    assert kinds(polled(0), polled(60, error=SnmpErrorKind.NO_ANSWER)) == [ChangeKind.UNREACHABLE]
    assert kinds(polled(0, error=SnmpErrorKind.NO_ANSWER), polled(60)) == [ChangeKind.REACHABLE]
    assert kinds(polled(0, error=SnmpErrorKind.NO_ANSWER), polled(60, error=SnmpErrorKind.NO_ANSWER)) == []


def test_interface_rows_prefer_64_bit_counters_and_high_speed() -> None:
    columns = {"descr": {1: "lo", 2: "eth0"}, "name": {1: "lo", 2: "wan0"}, "speed": {1: 10_000_000, 2: 2**32 - 1},
               "high_speed": {1: 10, 2: 10_000}, "in_octets32": {1: 5, 2: 7}, "out_octets32": {1: 5, 2: 8},
               "in_octets64": {2: 2**40}, "out_octets64": {2: 2**41}, "oper_status": {1: 1, 2: 2}}
    lo, eth = parse_interfaces(columns)
    assert (lo.name, lo.counter_bits, lo.in_octets, lo.speed_bps) == ("lo", 32, 5, 10_000_000)
    assert (eth.name, eth.counter_bits, eth.in_octets, eth.speed_bps) == ("wan0", 64, 2**40, 10_000_000_000)
    assert find_interface([lo, eth], "eth0") is eth and find_interface([lo, eth], "2") is eth
    assert find_interface([lo, eth], "nope") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("10.0.0.1", ("10.0.0.1", 161)), ("10.0.0.1:1161", ("10.0.0.1", 1161)),
    ("[::1]:1161", ("::1", 1161)), ("::1", ("::1", 161)), ("sw1.local", ("sw1.local", 161)),
])
def test_host_and_port(text: str, expected: tuple[str, int]) -> None:
    assert split_host_port(text) == expected


@pytest.mark.parametrize("text", ["", "10.0.0.1:0", "10.0.0.1:x", "10.0.0.1:70000"])
def test_bad_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        split_host_port(text)


@pytest.mark.parametrize(("credentials", "message"), [
    (V2c(""), "community"), (V3("u", "short", "longenough"), "auth key"),
    (V3("u", "longenough", "longenough", auth_protocol="XX"), "auth protocol"),
    (V3("u", "longenough", "longenough", priv_protocol="XX"), "privacy protocol"),
])
def test_bad_credentials_are_refused_with_the_reason(credentials: V2c | V3, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_credentials(credentials)


@pytest.mark.parametrize(("name", "kind"), [
    ("RequestTimedOut", SnmpErrorKind.NO_ANSWER), ("WrongDigest", SnmpErrorKind.AUTHENTICATION),
    ("UnknownUserName", SnmpErrorKind.AUTHENTICATION), ("authorizationError", SnmpErrorKind.AUTHENTICATION),
    ("tooBig", SnmpErrorKind.ERROR),
])
def test_errors_are_classified(name: str, kind: SnmpErrorKind) -> None:
    assert classify(name) is kind
