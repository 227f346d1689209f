"""The dedicated data line / Internet link state (pure) and the collector's target checks (loopback)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from collector.network.links import AgentsReach, InterfaceSample, LinkParams, LinkStatus, check_targets, link_state
from collector.network.snmp import SnmpInterface

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def sample(minutes_ago: float, oper: int | None = 1, use: float | None = None) -> InterfaceSample:
    interface = None if oper is None else SnmpInterface(index=2, name="wan-tsl", oper_status=oper)
    return InterfaceSample(at=NOW - timedelta(minutes=minutes_ago), interface=interface, utilisation=use)


@pytest.mark.parametrize(("samples", "collector", "agents", "status"), [
    ([sample(5)], [], [], LinkStatus.UP),
    ([sample(5, oper=2)], [], [True], LinkStatus.DOWN),  # the router says down: down
    ([], [False, False], [False], LinkStatus.DOWN),
    ([], [True, False], [], LinkStatus.UP),
    ([], [], [False, True], LinkStatus.UP),
    ([], [], [], LinkStatus.UNKNOWN),
    ([sample(5, oper=None)], [], [], LinkStatus.UNKNOWN),  # the poll failed: no evidence
    ([sample(5)], [False], [], LinkStatus.DEGRADED),  # interface up, targets silent
    ([sample(90, oper=2)], [], [], LinkStatus.UNKNOWN),  # older than the window
])
def test_link_status(samples: list[InterfaceSample], collector: list[bool], agents: list[bool],
                     status: LinkStatus) -> None:
    reach = AgentsReach(reaching=sum(agents), reporting=len(agents))
    assert link_state("dedicated_line", samples, collector, reach, NOW).status is status


def test_it_flags_flapping() -> None:
    flaps = [sample(50, 1), sample(40, 2), sample(30, 1), sample(20, 2), sample(10, 1)]
    state = link_state("dedicated_line", flaps, [], AgentsReach(), NOW, LinkParams(flap_changes=3))
    assert state.changes_in_window == 4 and state.flapping and state.status is LinkStatus.DEGRADED
    calm = link_state("dedicated_line", flaps[-2:], [], AgentsReach(), NOW, LinkParams(flap_changes=3))
    assert calm.changes_in_window == 1 and not calm.flapping


@pytest.mark.parametrize(("uses", "saturated"), [
    ([(15, 0.95), (10, 0.97), (5, 0.99), (0, 0.92)], True),
    ([(15, 0.95), (10, 0.5), (5, 0.99), (0, 0.92)], False),  # one quiet sample in the span
    ([(5, 0.99), (0, 0.99)], False),  # not yet for 10 minutes
])
def test_it_flags_saturation_held_for_the_whole_span(uses: list[tuple[int, float]], saturated: bool) -> None:
    samples = [sample(minutes, use=use) for minutes, use in uses]
    state = link_state("internet", samples, [], AgentsReach(), NOW, LinkParams(saturation=0.9,
                                                                    saturation_for=timedelta(minutes=10)))
    assert state.saturated is saturated
    assert state.reachable  # saturated is still reachable (degraded or up)


def test_targets_are_checked_by_tcp_connect_on_loopback() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        open_port = listener.getsockname()[1]
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            closed_port = closed.getsockname()[1]  # bound, not listening: refused
            assert check_targets([f"127.0.0.1:{open_port}", f"127.0.0.1:{closed_port}", "127.0.0.1:0"],
                                 timeout_s=1) == [True, False, False]
    assert check_targets([]) == []
