"""People see and act only within their unit's subtree; outside looks exactly like absent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api_world import World
from tests.factories import report_body, signed


@pytest.fixture
def fleet(world: World) -> dict[str, int]:
    """One reporting machine in each of XA, XA-VP and XB."""
    ids = {}
    for unit in ("XA", "XA-VP", "XB"):
        agent = world.enroll(unit, machine_uid=f"uid-{unit}", hostname=f"pc-{unit.lower()}")
        body = report_body(agent["agent_id"], 1, hostname=f"pc-{unit.lower()}")
        world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
        ids[unit] = agent["machine_id"]
    return ids


def hostnames(world: World, person: str, query: str = "") -> list[str]:
    response = world.client.get(f"/api/v1/machines{query}", headers=world.as_person(person))
    assert response.status_code == 200, response.text
    return sorted(item["hostname"] for item in response.json()["items"])


def test_a_commune_viewer_sees_only_the_communes_subtree(world: World, fleet: dict[str, int]) -> None:
    assert hostnames(world, "viewer_a") == ["pc-xa", "pc-xa-vp"]
    assert hostnames(world, "officer_b") == ["pc-xb"]


def test_province_staff_and_an_admin_without_unit_see_everything(world: World, fleet: dict[str, int]) -> None:
    assert hostnames(world, "province") == ["pc-xa", "pc-xa-vp", "pc-xb"]
    assert hostnames(world, "admin") == ["pc-xa", "pc-xa-vp", "pc-xb"]


def test_another_communes_machine_is_404_exactly_like_a_missing_one(world: World, fleet: dict[str, int]) -> None:
    foreign = world.client.get(f"/api/v1/machines/{fleet['XB']}", headers=world.as_person("viewer_a"))
    missing = world.client.get("/api/v1/machines/999999", headers=world.as_person("viewer_a"))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"] == missing.json()["error"] == "machine_not_found"


def test_filtering_by_a_unit_outside_the_scope_is_404(world: World, fleet: dict[str, int]) -> None:
    response = world.client.get("/api/v1/machines?unit=XB", headers=world.as_person("viewer_a"))
    assert response.status_code == 404
    assert hostnames(world, "province", "?unit=XA-VP") == ["pc-xa-vp"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer cgt_wrong"}, {"Authorization": "Basic abc"}])
def test_no_valid_token_is_401(world: World, fleet: dict[str, int], headers: dict[str, str]) -> None:
    for path in ("/api/v1/machines", f"/api/v1/machines/{fleet['XA']}"):
        response = world.client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] in {"missing_token", "invalid_token"}


def test_an_expired_api_token_is_401(world: World, fleet: dict[str, int]) -> None:
    world.clock.advance(days=31)
    response = world.client.get("/api/v1/machines", headers=world.as_person("viewer_a"))
    assert response.status_code == 401
    world.clock.advance(days=-31)
    assert world.client.get("/api/v1/machines", headers=world.as_person("viewer_a")).status_code == 200
    _ = timedelta


def test_api_tokens_are_stored_hashed(world: World) -> None:
    from sqlalchemy import text

    with world.db.session() as session:
        stored = set(session.execute(text("SELECT token_hash FROM api_tokens")).scalars())
    assert not stored & set(world.people.values())
    assert all(len(value) == 64 for value in stored)
