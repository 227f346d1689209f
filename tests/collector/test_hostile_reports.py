"""Issue 14 item 3: hostile bodies on the signed report path and on /enroll answer a readable 4xx
and store nothing, on both backends; reports that are stored render on the machine page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api_world import World
from tests.factories import T0, report_body, signed, with_field


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _hostile(aid: str) -> list[tuple[str, bytes, int, str]]:
    good = report_body(aid, 1)
    deep = good[:-1] + b',"x":' + nested(5_000) + b"}"
    naive = (T0 - timedelta(seconds=5)).replace(tzinfo=None).isoformat()
    return [
        ("JSON nested 5,000 deep", deep, 400, "malformed_json"),
        ("an array nested 30,000 deep, no report", nested(30_000), 422, "invalid_report"),
        ("sequence 2**31", with_field(good, ["identity", "sequence"], 2**31), 422, "invalid_report"),
        ("sequence 2**63", with_field(good, ["identity", "sequence"], 2**63), 422, "invalid_report"),
        ("sequence 2**70", with_field(good, ["identity", "sequence"], 2**70), 422, "invalid_report"),
        ("collected_at without a time zone", with_field(good, ["identity", "collected_at"], naive), 422,
         "invalid_report"),
        ("NUL in the hostname", with_field(good, ["identity", "hostname"], "pc\x0001"), 422, "invalid_report"),
        ("NUL in a program name", with_field(good, ["software"], {"programs": [{"name": "Zalo\x00"}]}), 422,
         "invalid_report"),
        ("NUL in a program's publisher (checked on the body, not per string)",
         with_field(good, ["software"], {"programs": [{"name": "Zalo", "publisher": "VNG\x00"}]}), 422,
         "invalid_report"),
        ("NUL in a dict key", with_field(good, ["hardening"], {"firewall_enabled": {"pub\x00lic": True}}), 422,
         "invalid_report"),
        ("hostname of 256 characters", with_field(good, ["identity", "hostname"], "h" * 256), 422,
         "invalid_report"),
        ("OS name of 256 characters", with_field(good, ["identity", "os_name"], "W" * 256), 422, "invalid_report"),
        ("machine_uid of 129 characters", with_field(good, ["identity", "machine_uid"], "u" * 129), 422,
         "invalid_report"),
        ("program name of 256 characters", with_field(good, ["software"], {"programs": [{"name": "p" * 256}]}),
         422, "invalid_report"),
        ("ram_bytes 10**40", with_field(good, ["hardware", "ram_bytes"], 10**40), 422, "invalid_report"),
        ("settings_version 2**63", with_field(good, ["settings_version"], 2**63), 422, "invalid_report"),
    ]


@pytest.mark.parametrize("case", range(16))
def test_a_hostile_report_gets_a_readable_4xx_and_stores_nothing(world: World, case: int) -> None:
    agent = world.enroll()
    name, body, status, error = _hostile(agent["agent_id"])[case]
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    assert (response.status_code, response.json()["error"]) == (status, error), name
    assert response.json()["detail"], name
    assert world.count("reports") == 0, name


HOSTILE_ENROLLMENTS = [
    ("JSON nested 1,000 deep", b'{"token": ' + nested(1_000) + b"}", 400),
    ("JSON nested 30,000 deep", nested(30_000), 400),
    ("NUL in the hostname", {"hostname": "pc\x00"}, 400),
    ("NUL in the machine_uid", {"machine_uid": "uid\x00"}, 400),
    ("hostname of 256 characters", {"hostname": "h" * 256}, 400),
    ("machine_uid of 129 characters", {"machine_uid": "u" * 129}, 400),
    ("OS name of 256 characters", {"os_name": "o" * 256}, 400),
    ("schema_version 2**64", {"schema_version": 2**64}, 400),
]


@pytest.mark.parametrize("name, body, status", HOSTILE_ENROLLMENTS, ids=[case[0] for case in HOSTILE_ENROLLMENTS])
def test_a_hostile_enrollment_gets_a_readable_4xx_and_stores_nothing(world: World, name: str, body: object,
                                                                      status: int) -> None:
    before = world.count("machines")
    if isinstance(body, bytes):
        response = world.client.post("/api/v1/enroll", content=body, headers={"Content-Type": "application/json"})
    else:
        fields = {"token": world.tokens["XA"], "machine_uid": "uid-9", "hostname": "pc-09"} | dict(body)  # type: ignore[arg-type]
        response = world.client.post("/api/v1/enroll", json=fields)
    assert response.status_code == status, (name, response.text)
    assert response.json().get("detail"), name
    assert world.count("machines") == before, name

