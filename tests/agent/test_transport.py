"""The transport against a real HTTP collector on 127.0.0.1 that verifies signatures."""

from __future__ import annotations

import pytest

from agent.transport import TransportError, enroll, send_report
from agent.wire.schema import EnrollRequest, Role, encode_report
from agent.wire.signing import AGENT_HEADER, TIMESTAMP_HEADER, sign
from tests.agent.conftest import GOOD_TOKEN, FakeCollector
from tests.factories import make_report

NOW = 1_795_300_000.7


def request(token: str = GOOD_TOKEN) -> EnrollRequest:
    return EnrollRequest(token=token, machine_uid="uid-1", hostname="pc-01", role=Role.NORMAL,
                         macs=["00:11:22:33:44:55"])


def test_enroll_posts_json_and_returns_the_id_and_key(collector: FakeCollector) -> None:
    answer = enroll(collector.url, request(), timeout=5)
    assert answer.agent_id == "ag-1" and answer.key == collector.keys["ag-1"] and answer.unit_code == "XA"
    sent = collector.received[0]
    assert sent.path == "/api/v1/enroll" and sent.headers["Content-Type"] == "application/json"


def test_a_refused_enrollment_is_permanent_and_carries_the_servers_detail(collector: FakeCollector) -> None:
    with pytest.raises(TransportError) as caught:
        enroll(collector.url, request("cge_wrong"), timeout=5)
    assert not caught.value.transient and caught.value.status == 401 and caught.value.code == "bad_token"
    assert "the enrollment token is unknown or expired" in str(caught.value)


def test_a_report_goes_out_as_the_exact_bytes_signed_at_now(collector: FakeCollector) -> None:
    answer = enroll(collector.url, request(), timeout=5)
    body = encode_report(make_report(answer.agent_id, 1))
    ack = send_report(collector.url, answer.agent_id, answer.key, body, timeout=5, now=NOW)
    assert (ack.agent_id, ack.sequence, ack.status) == (answer.agent_id, 1, "stored")
    sent = collector.received[-1]
    assert sent.path == "/api/v1/reports" and sent.body == body  # gunzipped by the collector
    assert sent.headers["Content-Type"] == "application/json" and sent.headers["Content-Encoding"] == "gzip"
    assert sent.headers[AGENT_HEADER] == answer.agent_id
    assert sent.headers[TIMESTAMP_HEADER] == str(int(NOW))
    assert sent.headers["X-Canhgac-Signature"] == sign(answer.key, int(NOW), body)


def test_sending_the_same_report_again_is_acknowledged_as_a_duplicate(collector: FakeCollector) -> None:
    answer = enroll(collector.url, request(), timeout=5)
    body = encode_report(make_report(answer.agent_id, 1))
    send_report(collector.url, answer.agent_id, answer.key, body, timeout=5, now=NOW)
    ack = send_report(collector.url, answer.agent_id, answer.key, body, timeout=5, now=NOW + 60)
    assert ack.status == "duplicate"


def test_a_wrong_key_is_a_permanent_401(collector: FakeCollector) -> None:
    answer = enroll(collector.url, request(), timeout=5)
    body = encode_report(make_report(answer.agent_id, 1))
    with pytest.raises(TransportError) as caught:
        send_report(collector.url, answer.agent_id, "00" * 32, body, timeout=5, now=NOW)
    assert (caught.value.transient, caught.value.status, caught.value.code) == (False, 401, "bad_signature")
    assert "HTTP 401 bad_signature: the signature does not match the body" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "transient"),
    [(500, True), (502, True), (503, True), (429, True), (400, False), (403, False), (409, False), (413, False),
     (422, False)],
)
def test_server_errors_and_throttling_are_transient_other_refusals_permanent(
    collector: FakeCollector, status: int, transient: bool
) -> None:
    collector.forced.append((status, "some_code"))
    with pytest.raises(TransportError) as caught:
        send_report(collector.url, "ag-1", "00" * 32, b"{}", timeout=5, now=NOW)
    assert (caught.value.transient, caught.value.status) == (transient, status)
    assert "forced some_code" in str(caught.value)


def test_nothing_listening_is_transient(closed_port_url: str) -> None:
    with pytest.raises(TransportError) as caught:
        send_report(closed_port_url, "ag-1", "00" * 32, b"{}", timeout=2, now=NOW)
    assert caught.value.transient and caught.value.status is None
    assert "cannot connect" in str(caught.value) and "127.0.0.1" in str(caught.value)
