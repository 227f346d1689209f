"""GET /readiness and /readiness/explain on the demo province: figures, scope (404 outside the
caller's subtree, 401 without a token), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient

from collector.config import CollectorConfig
from collector.db import open_database
from server.app import create_app
from server.demo import DemoAccess
from tests.readiness_fleet import seed_demo_fleet

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # a fixed day: the demo's incidents 20 days back stay in its year


@pytest.fixture
def api(db_url: str, db_at_head: None) -> Iterator[tuple[TestClient, DemoAccess]]:
    db = open_database(db_url)
    access = seed_demo_fleet(db, NOW)
    with TestClient(create_app(CollectorConfig(db_url=db_url), db, lambda: NOW)) as client:
        yield client, access
    db.dispose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_readiness_per_child_unit_with_the_total(api: tuple[TestClient, DemoAccess]) -> None:
    client, access = api
    body = client.get("/api/v1/readiness", params={"unit": "DT"}, headers=_bearer(access.admin_token)).json()
    assert body["unit"]["code"] == "DT" and [c["code"] for c in body["children"]] == [
        "DT-TANHOA", "DT-TANLONG", "DT-TANPHU"]
    assert body["children"][0]["figures"]["av_installed"]["text"] == "16/16 — 100%"
    total = body["unit"]["figures"]["av_installed"]
    assert (total["n"], total["d"], total["below_target"]) == (35, 38, True)
    assert {i["id"] for i in body["indicators"]} >= {"computers_per_official", "certs_valid"}


def test_officer_sees_only_the_own_subtree(api: tuple[TestClient, DemoAccess]) -> None:
    client, access = api
    officer = _bearer(access.officer_token)  # Tân Hòa's IT officer
    mine = client.get("/api/v1/readiness", headers=officer).json()
    assert mine["unit"]["code"] == "DT-TANHOA" and mine["unit"]["figures"]["units_scanner"]["text"] == "1/1 — 100%"
    for unit in ("DT", "DT-TANLONG", "NO-SUCH"):
        assert client.get("/api/v1/readiness", params={"unit": unit}, headers=officer).status_code == 404
        assert client.get("/api/v1/readiness/explain", params={"unit": unit, "indicator": "av_installed"},
                          headers=officer).status_code == 404
    assert client.get("/api/v1/readiness").status_code == 401
    assert client.get("/api/v1/readiness/explain", params={"indicator": "av_installed"}).status_code == 401


def test_explain_endpoint(api: tuple[TestClient, DemoAccess]) -> None:
    client, access = api
    admin = _bearer(access.admin_token)
    body = client.get("/api/v1/readiness/explain", params={"unit": "DT-TANPHU", "indicator": "hardware_ok"},
                      headers=admin).json()
    assert body["figure"]["text"] == "9/12 — 75%"
    assert [m["name"] for m in body["missing"]] == ["tanphu-ketoan", "tanphu-pc02", "tanphu-pc03"]
    assert body["missing"][0]["reason_en"] == "unknown: no agent on this machine (declared)"  # the Windows 7 PC
    assert all(m["reason_en"].endswith(" years old (at most 7); RAM 2048 MiB (at least 4096)")
               for m in body["missing"][1:])  # BIOS of 2013, 2 GiB
    bad = client.get("/api/v1/readiness/explain", params={"indicator": "nope"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"] == "unknown_indicator"


def test_officials_and_incidents_endpoints_are_scoped(api: tuple[TestClient, DemoAccess]) -> None:
    client, access = api
    admin, officer = _bearer(access.admin_token), _bearer(access.officer_token)
    officials = client.get("/api/v1/officials", params={"unit": "DT-TANHOA-VP"}, headers=officer).json()
    assert len(officials) == 15 and {o["unit_code"] for o in officials} == {"DT-TANHOA-VP"}
    assert client.get("/api/v1/officials", params={"unit": "DT-TANLONG"}, headers=officer).status_code == 404
    imported = client.post("/api/v1/officials", headers=officer, json={
        "unit": "DT-TANHOA-VP", "officials": [{"name": "Nguyễn Văn An", "position": "Chủ tịch UBND xã",
                                               "account": "an.nv"}]})
    assert imported.status_code == 200 and imported.json()["unchanged"] == 1 and len(imported.json()["missing"]) == 14
    everything = client.get("/api/v1/incidents", params={"period": NOW.year}, headers=admin).json()
    assert {(i["hostname"], i["severity"]) for i in everything} == {("tanlong-pc04", "critical"),
                                                                     ("tanphu-pc07", "medium")}
    assert client.get("/api/v1/incidents", params={"period": NOW.year}, headers=officer).json() == []
    assert client.get("/api/v1/incidents", params={"period": 1900}, headers=admin).status_code == 422
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/officials" in schema["paths"] and "/api/v1/incidents" in schema["paths"]
