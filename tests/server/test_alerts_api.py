"""The alerts and licences API: scoped to the caller's subtree (404 outside, like missing),
401 without a token, 403 for a viewer who tries to act."""

from __future__ import annotations

from agent.wire.schema import Antivirus, encode_report
from tests.api_world import World
from tests.factories import make_report, signed


def open_alert_in(world: World, unit: str) -> int:
    creds = world.enroll(unit=unit, machine_uid=f"uid-{unit}", hostname=f"pc-{unit}")
    report = make_report(creds["agent_id"], 1, machine_uid=f"uid-{unit}")
    report.antivirus = Antivirus()
    body = encode_report(report)
    assert world.client.post("/api/v1/reports", content=body,
                             headers=signed(creds["agent_id"], creds["key"], body)).status_code == 201
    items = world.client.get("/api/v1/alerts", headers=world.as_person("admin"), params={"unit": unit}).json()["items"]
    return next(a["id"] for a in items if a["rule_id"] == "av.absent")


def test_people_see_only_their_subtree(world: World) -> None:
    in_a = open_alert_in(world, "XA-VP")
    open_alert_in(world, "XB")
    seen_a = world.client.get("/api/v1/alerts", headers=world.as_person("viewer_a")).json()
    assert seen_a["total"] >= 1 and {a["unit_code"] for a in seen_a["items"]} == {"XA-VP"}
    assert in_a in {a["id"] for a in seen_a["items"]}
    province = world.client.get("/api/v1/alerts", headers=world.as_person("province")).json()
    assert {a["unit_code"] for a in province["items"]} == {"XA-VP", "XB"}
    assert world.client.get("/api/v1/alerts", headers=world.as_person("officer_b"),
                            params={"unit": "XA"}).status_code == 404


def test_status_filter(world: World) -> None:
    open_alert_in(world, "XA")
    resolved = world.client.get("/api/v1/alerts", headers=world.as_person("admin"), params={"status": "resolved"})
    assert resolved.status_code == 200 and resolved.json()["total"] == 0
    assert world.client.get("/api/v1/alerts", headers=world.as_person("admin"),
                            params={"status": "nonsense"}).status_code == 400


def test_acknowledging(world: World) -> None:
    alert_id = open_alert_in(world, "XB")
    url = f"/api/v1/alerts/{alert_id}/ack"
    assert world.client.post(url, json={"comment": "x"}).status_code == 401
    assert world.client.post(url, json={"comment": "x"}, headers=world.as_person("viewer_a")).status_code == 404
    assert world.client.post("/api/v1/alerts/999999/ack", json={"comment": "x"},
                             headers=world.as_person("officer_b")).status_code == 404
    response = world.client.post(url, json={"comment": "đang cài Defender"}, headers=world.as_person("officer_b"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["acked_by"], body["ack_comment"]) == ("acknowledged", "officer_b", "đang cài Defender")


def test_a_viewer_may_not_acknowledge(world: World) -> None:
    alert_id = open_alert_in(world, "XA")
    response = world.client.post(f"/api/v1/alerts/{alert_id}/ack", json={"comment": "x"},
                                 headers=world.as_person("viewer_a"))
    assert response.status_code == 403
    state = world.client.get("/api/v1/alerts", headers=world.as_person("admin"), params={"unit": "XA"}).json()
    assert {a["status"] for a in state["items"] if a["id"] == alert_id} == {"open"}


def test_licences(world: World) -> None:
    new = {"product": "Kaspersky Endpoint Security", "match": "*kaspersky*", "seats": 10, "expires": "2027-12-31",
           "unit": "XB"}
    assert world.client.post("/api/v1/licences", json=new).status_code == 401
    assert world.client.post("/api/v1/licences", json=new, headers=world.as_person("province")).status_code == 403
    assert world.client.post("/api/v1/licences", json={**new, "unit": "XA"},
                             headers=world.as_person("officer_b")).status_code == 404
    created = world.client.post("/api/v1/licences", json=new, headers=world.as_person("officer_b"))
    assert created.status_code == 201, created.text
    assert [x["product"] for x in world.client.get("/api/v1/licences",
                                                   headers=world.as_person("officer_b")).json()] == [new["product"]]
    assert world.client.get("/api/v1/licences", headers=world.as_person("viewer_a")).json() == []
