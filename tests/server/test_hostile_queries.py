"""Issue 14 item 3: ids, offsets and limits beyond 64 bits and NUL characters in ?unit= answer a
readable 400 (never a 500) on every list and detail endpoint, both backends; licences too large."""

from __future__ import annotations

import pytest

from tests.api_world import World

HUGE = "3909872161064275808326588039168"
QUERIES = [
    ("GET", f"/api/v1/alerts?offset={HUGE}"),
    ("GET", f"/api/v1/alerts?limit={HUGE}"),
    ("GET", f"/api/v1/machines?offset={HUGE}"),
    ("GET", f"/api/v1/audit?offset={HUGE}"),
    ("GET", "/api/v1/machines/8948838057"),
    ("GET", f"/api/v1/machines/{HUGE}"),
    ("POST", "/api/v1/alerts/144115188075855873/ack"),
    ("POST", "/api/v1/machines/8948838057/move"),
    ("GET", "/api/v1/alerts?unit=X%00A"),
    ("GET", "/api/v1/machines?unit=X%00A"),
    ("GET", "/api/v1/readiness?unit=X%00A"),
    ("GET", "/api/v1/readiness/explain?indicator=av%00&unit=X%00A"),
    ("GET", "/api/v1/officials?unit=X%00A"),
    ("GET", "/api/v1/incidents?unit=X%00A"),
    ("GET", f"/api/v1/incidents?period={HUGE}"),
    ("GET", "/api/v1/audit?since=X%00"),
    ("POST", "/api/v1/users/a%00b/end-sessions"),
]


@pytest.mark.parametrize("method, path", QUERIES, ids=[f"{m} {p}" for m, p in QUERIES])
def test_out_of_range_ids_and_nul_in_queries_are_400(world: World, method: str, path: str) -> None:
    body = {"comment": "x"} if path.endswith("/ack") else {"unit": "XA"} if path.endswith("/move") else None
    response = world.client.request(method, path, headers=world.as_person("admin"), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("seats", [2**31, 2**63, 10**30])
def test_licence_seats_past_the_column_are_refused(world: World, seats: int) -> None:
    response = world.client.post("/api/v1/licences", headers=world.as_person("admin"), json={
        "product": "Kaspersky", "match": "Kaspersky*", "seats": seats, "expires": "2027-12-31", "unit": "XA"})
    assert response.status_code == 400, response.text
    assert world.count("licences") == 0


@pytest.mark.parametrize("field, value", [("product", "P" * 300), ("product", "Kas\x00persky"), ("unit", "X\x00A")])
def test_licence_texts_past_the_column_or_with_nul_are_refused(world: World, field: str, value: str) -> None:
    entry = {"product": "Kaspersky", "match": "Kaspersky*", "seats": 5, "expires": "2027-12-31", "unit": "XA"}
    response = world.client.post("/api/v1/licences", headers=world.as_person("admin"), json=entry | {field: value})
    assert response.status_code == 400, response.text
    assert world.count("licences") == 0


def test_the_openapi_document_publishes_the_limits(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    hostname = schemas["Identity"]["properties"]["hostname"]
    assert (hostname["maxLength"], hostname["pattern"]) == (255, r"^[^\x00]*$")
    assert schemas["Identity"]["properties"]["sequence"]["maximum"] == 2**31 - 1
    assert schemas["Software"]["properties"]["programs"]["maxItems"] == 4096
    program = schemas["Program"]["properties"]["name"]  # its NUL rule is checked on the body: still published
    assert (program["maxLength"], program["pattern"]) == (255, r"^[^\x00]*$")
    assert schemas["EnrollRequest"]["properties"]["machine_uid"]["maxLength"] == 128
    detail = document["paths"]["/api/v1/machines/{machine_id}"]["get"]["parameters"][0]["schema"]
    assert (detail["minimum"], detail["maximum"]) == (1, 2**31 - 1)
