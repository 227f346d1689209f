"""POST /api/v1/reports: what is accepted, what is refused, and that refusals store nothing."""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from agent.wire.signing import sign
from tests.api_world import World
from tests.factories import T0, report_body, signed, with_field


def post(world: World, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return world.client.post("/api/v1/reports", content=body, headers=headers)


def test_a_signed_report_is_stored_and_becomes_the_machine_state(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1, hostname="pc-ke-toan")
    response = post(world, body, signed(agent["agent_id"], agent["key"], body))
    assert response.status_code == 201
    assert response.json() == {"agent_id": agent["agent_id"], "sequence": 1, "status": "stored"}
    detail = world.client.get(f"/api/v1/machines/{agent['machine_id']}", headers=world.as_person("viewer_a"))
    assert detail.status_code == 200
    assert detail.json()["hostname"] == "pc-ke-toan"
    assert detail.json()["state"]["identity"]["sequence"] == 1
    assert detail.json()["last_seen_at"].startswith("2026-11-22T08:00:00")


def test_the_same_report_sent_five_times_is_stored_once(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1)
    statuses = [post(world, body, signed(agent["agent_id"], agent["key"], body)).json()["status"]
                for _ in range(5)]
    assert statuses == ["stored", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert world.count("reports") == 1


def test_concurrent_resends_of_one_report_store_it_once(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 7)
    headers = signed(agent["agent_id"], agent["key"], body)
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda _: post(world, body, headers).status_code, range(8)))
    assert sorted(codes).count(201) == 1 and set(codes) <= {200, 201}
    assert world.count("reports") == 1


def test_the_same_sequence_with_other_content_is_a_conflict(world: World) -> None:
    agent = world.enroll()
    first = report_body(agent["agent_id"], 1, hostname="a")
    post(world, first, signed(agent["agent_id"], agent["key"], first))
    other = report_body(agent["agent_id"], 1, hostname="b")
    response = post(world, other, signed(agent["agent_id"], agent["key"], other))
    assert response.status_code == 409
    assert response.json()["error"] == "sequence_conflict"
    assert world.count("reports") == 1


def test_an_older_report_arriving_late_does_not_replace_the_current_state(world: World) -> None:
    agent = world.enroll()
    for sequence, hostname in ((2, "new"), (1, "old")):
        body = report_body(agent["agent_id"], sequence, hostname=hostname)
        assert post(world, body, signed(agent["agent_id"], agent["key"], body)).status_code == 201
    detail = world.client.get(f"/api/v1/machines/{agent['machine_id']}", headers=world.as_person("admin")).json()
    assert (detail["hostname"], detail["report_sequence"]) == ("new", 2)
    assert world.count("reports") == 2


def _refusals(agent: dict[str, str]) -> list[tuple[str, bytes, dict[str, str], int, str]]:
    aid, key = agent["agent_id"], agent["key"]
    good = report_body(aid, 1)
    tampered = report_body(aid, 1, hostname="someone-else")
    old = T0 - timedelta(seconds=301)
    v3 = with_field(good, ["schema_version"], 3)
    v1_with_v2_field = with_field(with_field(good, ["schema_version"], 1), ["settings_version"], 4)
    as_text = with_field(good, ["identity", "sequence"], "1")
    unknown_field = with_field(good, ["identity", "favourite_colour"], "red")
    other_agent = report_body("0" * 32, 1)
    signature_of_good = {"X-Canhgac-Signature": sign(key, int(T0.timestamp()), good)}
    return [
        ("unknown agent", good, signed("f" * 32, key, good), 401, "unknown_agent"),
        ("body changed after signing", tampered, signed(aid, key, tampered) | signature_of_good, 401,
         "bad_signature"),
        ("wrong key", good, signed(aid, "ab" * 32, good), 401, "bad_signature"),
        ("no signature", good, {"Content-Type": "application/json"}, 401, "missing_signature"),
        ("replayed after the window", good, signed(aid, key, good, at=old), 401, "timestamp_out_of_window"),
        ("from the future", good, signed(aid, key, good, at=T0 + timedelta(minutes=6)), 401,
         "timestamp_out_of_window"),
        ("malformed JSON", b'{"schema_version": 1, ', signed(aid, key, b'{"schema_version": 1, '), 400,
         "malformed_json"),
        ("schema version 3 (newer than the collector)", v3, signed(aid, key, v3), 422, "unsupported_schema_version"),
        ("a schema-2 field in a schema-1 report", v1_with_v2_field, signed(aid, key, v1_with_v2_field), 422,
         "invalid_report"),
        ("sequence as text (strict decoding)", as_text, signed(aid, key, as_text), 422, "invalid_report"),
        ("unknown field", unknown_field, signed(aid, key, unknown_field), 422, "invalid_report"),
        ("another agent's identity", other_agent, signed(aid, key, other_agent), 403, "agent_mismatch"),
    ]


@pytest.mark.parametrize("case", range(11))
def test_a_refused_report_gets_a_clear_error_and_stores_nothing(world: World, case: int) -> None:
    agent = world.enroll()
    name, body, headers, status, error = _refusals(agent)[case]
    response = post(world, body, headers)
    assert (response.status_code, response.json()["error"]) == (status, error), name
    assert response.json()["detail"], name
    assert world.count("reports") == 0
    detail = world.client.get(f"/api/v1/machines/{agent['machine_id']}", headers=world.as_person("admin")).json()
    assert detail["state"] is None and detail["last_seen_at"] is None


def test_a_replay_inside_the_window_is_acknowledged_but_not_stored_again(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1)
    headers = signed(agent["agent_id"], agent["key"], body)
    post(world, body, headers)
    world.clock.advance(seconds=120)
    replay = post(world, body, headers)
    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert world.count("reports") == 1


def test_an_oversized_body_is_refused_with_413(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1, hostname="x" * (70 * 1024))
    response = post(world, body, signed(agent["agent_id"], agent["key"], body))
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert world.count("reports") == 0


def test_a_superseded_agent_can_no_longer_report(world: World) -> None:
    first = world.enroll()
    second = world.enroll()
    assert first["machine_id"] == second["machine_id"] and first["agent_id"] != second["agent_id"]
    body = report_body(first["agent_id"], 1)
    response = post(world, body, signed(first["agent_id"], first["key"], body))
    assert (response.status_code, response.json()["error"]) == (401, "agent_revoked")


def test_a_gzip_report_is_verified_on_its_json_and_stored(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1)
    headers = signed(agent["agent_id"], agent["key"], body) | {"Content-Encoding": "gzip"}
    response = post(world, gzip.compress(body), headers)
    assert response.status_code == 201, response.text
    detail = world.client.get(f"/api/v1/machines/{agent['machine_id']}", headers=world.as_person("admin")).json()
    assert detail["state"]["identity"]["sequence"] == 1


@pytest.mark.parametrize("payload, status, error", [
    (gzip.compress(b"{" + b" " * (200 * 1024) + b"}", mtime=0), 413, "body_too_large"),  # a small bomb: 200 KiB of JSON
    (gzip.compress(b'{"schema_version": 1}', mtime=0)[:-6], 400, "malformed_body"),
    (b"not gzip at all", 400, "malformed_body"),
], ids=["a-small-bomb", "cut-short", "not-gzip"])
def test_a_bad_or_oversized_gzip_body_is_refused(world: World, payload: bytes, status: int, error: str) -> None:
    agent = world.enroll()
    headers = signed(agent["agent_id"], agent["key"], payload) | {"Content-Encoding": "gzip"}
    response = post(world, payload, headers)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert world.count("reports") == 0


def test_an_unknown_content_encoding_is_refused(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1)
    response = post(world, body, signed(agent["agent_id"], agent["key"], body) | {"Content-Encoding": "br"})
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_encoding")
