"""POST /api/v1/enroll: tokens scoped to a unit, expiring, revocable; no duplicate machines."""

from __future__ import annotations

from datetime import timedelta

from collector.store.enrollment import list_enrollment_tokens, revoke_enrollment_token
from tests.api_world import World


def test_enrolling_returns_an_agent_id_and_a_key_in_the_tokens_unit(world: World) -> None:
    agent = world.enroll("XA-VP")
    assert agent["unit_code"] == "XA-VP"
    assert len(agent["agent_id"]) == 32 and len(bytes.fromhex(agent["key"])) == 32


def test_re_enrolling_the_same_machine_keeps_one_machine(world: World) -> None:
    ids = {world.enroll(machine_uid="uid-same")["machine_id"] for _ in range(3)}
    assert len(ids) == 1
    assert world.count("machines") == 1 and world.count("agents") == 3


def test_an_unknown_token_is_refused(world: World) -> None:
    response = world.client.post("/api/v1/enroll", json={"token": "cge_nope", "machine_uid": "u", "hostname": "h"})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
    assert world.count("machines") == 0


def test_an_expired_token_is_refused(world: World) -> None:
    world.clock.advance(days=8)
    response = world.client.post("/api/v1/enroll", json={"token": world.tokens["XA"], "machine_uid": "u",
                                                         "hostname": "h"})
    assert (response.status_code, response.json()["error"]) == (401, "token_expired")
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_refused(world: World) -> None:
    with world.db.session() as session:
        token_id = next(t.id for t in list_enrollment_tokens(session) if t.unit_code == "XB")
        revoke_enrollment_token(session, token_id, world.clock() - timedelta(seconds=1))
    response = world.client.post("/api/v1/enroll", json={"token": world.tokens["XB"], "machine_uid": "u",
                                                         "hostname": "h"})
    assert (response.status_code, response.json()["error"]) == (401, "token_revoked")
    assert world.count("machines") == 0


def test_a_malformed_enrollment_is_a_400_with_a_json_error(world: World) -> None:
    response = world.client.post("/api/v1/enroll", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
