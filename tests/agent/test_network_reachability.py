"""Reachability and the offline role. Every packet here goes to 127.0.0.1 only: a socket this
test opens, a port it just closed, and ICMP echo to loopback; gateway probing is off or the
"gateway" is 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from agent.config import ProbeSettings, Target, make_config, parse_target
from agent.probes import ProbeContext, network, reachability
from agent.probes.network_history import Lease, parse_dhclient_leases, parse_nm_timestamps, parse_nmconnection
from agent.wire.schema import Interface, Network, NetworkProfile, Role
from tests.agent.conftest import T0
from tests.ports import free_port

DHCLIENT_LEASE = """lease {
  interface "enp0s3";
  fixed-address 10.0.2.15;
  option subnet-mask 255.255.255.0;
  option dhcp-lease-time 86400;
  option routers 10.0.2.2;
  option dhcp-message-type 5;
  option dhcp-server-identifier 10.0.2.2;
  option domain-name-servers 192.168.31.1;
  renew 6 2021/12/18 12:18:52;
  rebind 6 2021/12/18 23:04:13;
  expire 0 2021/12/19 02:04:13;
}
"""  # shared/reference/endpoint-formats.md §9, real dhclient sample


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    return free_port()


def test_a_listening_loopback_port_is_reachable_with_its_latency(listening_port: int) -> None:
    result = reachability.probe("internet", Target("tcp", "127.0.0.1", listening_port))
    assert result.reachable and result.latency_ms is not None and result.latency_ms >= 0
    assert (result.target, result.method, result.error) == (f"127.0.0.1:{listening_port}", "tcp", "")


def test_a_closed_port_is_unreachable_with_the_reason(closed_port: int) -> None:
    result = reachability.probe("dedicated_line", Target("tcp", "127.0.0.1", closed_port))
    assert not result.reachable and result.latency_ms is None and "refused" in result.error.lower()


def test_icmp_echo_to_loopback_answers_or_says_it_is_not_permitted() -> None:
    result = reachability.probe("gateway", Target("icmp", "127.0.0.1"), timeout=2)
    assert result.reachable or "not permitted" in result.error


def test_the_network_probe_probes_exactly_the_configured_targets(listening_port: int, closed_port: int) -> None:
    settings = ProbeSettings(probe_gateway=False, internet_targets=(Target("tcp", "127.0.0.1", listening_port),),
                             dedicated_line_targets=(Target("tcp", "127.0.0.1", closed_port),))
    found = network.collect(ProbeContext(now=T0, settings=settings))
    assert [(r.kind, r.reachable) for r in found.reachability] == [("internet", True), ("dedicated_line", False)]
    assert found.reachability_status == {"gateway": "disabled", "internet": "probed", "dedicated_line": "probed"}
    assert found.evidence == []  # normal role: no evidence list


@pytest.mark.parametrize(
    ("settings", "role", "gateway", "kinds", "status"),
    [
        (ProbeSettings(), Role.NORMAL, None, [],
         {"gateway": "no gateway", "internet": "not configured", "dedicated_line": "not configured"}),
        (ProbeSettings(), Role.NORMAL, "127.0.0.1", ["gateway"],
         {"gateway": "probed", "internet": "not configured", "dedicated_line": "not configured"}),
        (ProbeSettings(probe_gateway=False, internet_targets=(Target("icmp", "127.0.0.1"),)), Role.NORMAL,
         "127.0.0.1", ["internet"], {"gateway": "disabled", "internet": "probed", "dedicated_line": "not configured"}),
        (ProbeSettings(internet_targets=(Target("icmp", "127.0.0.1"),),
                       dedicated_line_targets=(Target("tcp", "127.0.0.1", 1),)), Role.OFFLINE, "127.0.0.1", [],
         dict.fromkeys(("gateway", "internet", "dedicated_line"), "not probed (offline role)")),
    ],
    ids=["nothing-configured", "gateway-only", "gateway-disabled", "offline-role-sends-nothing"],
)
def test_it_plans_what_to_probe(settings: ProbeSettings, role: Role, gateway: str | None, kinds: list[str],
                                status: dict[str, str]) -> None:
    targets, found = network.plan_reachability(settings, role, gateway)
    assert [kind for kind, _ in targets] == kinds and found == status


def test_the_offline_role_sends_nothing_even_with_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the offline role must not send anything")

    monkeypatch.setattr(reachability, "probe", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    settings = ProbeSettings(probe_gateway=True, internet_targets=(Target("tcp", "127.0.0.1", 9),))
    found = network.collect(ProbeContext(now=T0, settings=settings, role=Role.OFFLINE))
    assert found.reachability == [] and set(found.reachability_status.values()) == {"not probed (offline role)"}


def test_the_offline_role_lists_every_sign_of_a_connection() -> None:
    seen = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    state = Network(
        interfaces=[Interface(name="eth0", addresses=["10.0.2.15"], is_up=True, carrier=True, dhcp=True),
                    Interface(name="wlan0", is_up=True, carrier=False),
                    Interface(name="eth1", is_up=False)],
        default_gateway="10.0.2.2",
        profiles=[NetworkProfile(name="Wifi-UBND", kind="wifi", last_connected=seen, source="NetworkManager")],
    )
    lease = Lease("enp0s3", "10.0.2.15", "10.0.2.2", seen, "/var/lib/dhcp/dhclient.leases")
    kinds = [(e.kind, e.seen_at) for e in network.gather_evidence(state, [lease])]
    assert kinds == [("interface_up", None), ("dhcp_address", None), ("default_route", None),
                     ("dhcp_lease", seen), ("wifi_profile", seen)]


def test_an_isolated_pc_has_no_evidence() -> None:
    assert network.gather_evidence(Network(interfaces=[Interface(name="eth0", is_up=False)]), []) == []


def test_it_reads_a_real_dhclient_lease_with_its_router_and_time() -> None:
    (lease,) = parse_dhclient_leases(DHCLIENT_LEASE, "dhclient.leases")
    assert (lease.interface, lease.address, lease.router) == ("enp0s3", "10.0.2.15", "10.0.2.2")
    assert lease.obtained == datetime(2021, 12, 18, 2, 4, 13, tzinfo=UTC)  # expire - lease time


def test_it_reads_networkmanager_profiles_and_their_last_activation() -> None:
    # nm-settings-keyfile(5) keys; the timestamps file is NM's [timestamps] uuid=epoch (reference §9)
    keyfile = "[connection]\nid=Wifi-UBND\nuuid=1b2c\ntype=wifi\n\n[wifi]\nssid=Wifi-UBND\n"
    stamps = parse_nm_timestamps("[timestamps]\n1b2c=1767600000\nother=0\n")
    profile = parse_nmconnection(keyfile, stamps)
    assert (profile.name, profile.kind, profile.last_connected) == (
        "Wifi-UBND", "wifi", datetime.fromtimestamp(1767600000, UTC))
    assert list(stamps) == ["1b2c"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("203.0.113.5:443", Target("tcp", "203.0.113.5", 443)), ("icmp:10.1.1.1", Target("icmp", "10.1.1.1")),
     ("[2001:db8::1]:53", Target("tcp", "2001:db8::1", 53)),
     ("truyenso.gov.vn:80", Target("tcp", "truyenso.gov.vn", 80))],
)
def test_targets_are_parsed_not_resolved(text: str, expected: Target) -> None:
    assert parse_target("internet_targets", text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["host", "host:0", "host:70000", "icmp:", "a b:80", "$(reboot):80"])
def test_a_bad_target_names_the_key_and_value(text: str) -> None:
    with pytest.raises(ValueError, match="internet_targets"):
        make_config(state_dir="/tmp/x", probes={"internet_targets": [text]})


def test_probe_settings_come_from_toml_values_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANHGAC_DEDICATED_LINE_TARGETS", "127.0.0.1:1, icmp:127.0.0.2")
    monkeypatch.setenv("CANHGAC_PROBE_GATEWAY", "off")
    config = make_config(state_dir="/tmp/x", probes={
        "internet_targets": ["127.0.0.1:80"], "restic_repos": [{"repository": "/srv/r", "password_file": "/p"}],
        "borg_repos": ["/srv/b"]})
    probes = config.probes
    assert probes.probe_gateway is False and [str(t) for t in probes.dedicated_line_targets] == [
        "127.0.0.1:1", "icmp:127.0.0.2"]
    assert [r.location for r in probes.restic_repos + probes.borg_repos] == ["/srv/r", "/srv/b"]
