"""Issue 14 item 3 on the dashboard: stored reports of extreme but valid values render, and hostile
form fields and query parameters answer a readable 4xx or a form error (both backends)."""

from __future__ import annotations

import pytest

from tests.api_world import World
from tests.factories import report_body, signed, with_field
from tests.web.conftest import sign_in


def _far_future_report(aid: str) -> bytes:
    end = "9999-12-31T23:59:59Z"
    body = report_body(aid, 1)
    body = with_field(body, ["identity", "collected_at"], end)
    body = with_field(body, ["antivirus"], {"products": [{"name": "Kaspersky", "signatures_date": end,
                                                          "signatures_age_days": -1e9}]})
    body = with_field(body, ["hardening"], {"last_os_update": end, "screen_lock_timeout_s": 2**31 - 1})
    body = with_field(body, ["certificates"], {"certificates": [{"subject": "CN=Nguyễn Văn A", "not_after": end,
                                                                 "not_before": "0001-01-01T00:00:00Z"}]})
    body = with_field(body, ["hardware", "ram_bytes"], 2**63 - 1)
    return with_field(body, ["backup"], {"sources": [{"kind": "folder", "location": "D:\\", "last_success": end,
                                                      "size_bytes": 2**63 - 1}]})


def test_a_stored_report_of_extreme_but_valid_values_renders(web: World) -> None:
    """RFC 5280's 9999-12-31T23:59:59Z (no well-defined expiration), year-9999 times and the largest
    sizes the schema allows are stored, and the machine's page and API answer 200."""
    agent = web.enroll()
    body = _far_future_report(agent["agent_id"])
    stored = web.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    assert stored.status_code == 201, stored.text
    assert web.client.get(f"/api/v1/machines/{agent['machine_id']}", headers=web.as_person("admin")).status_code == 200
    sign_in(web.client, "admin")
    for path in (f"/machines/{agent['machine_id']}", "/machines", "/", "/alerts", "/agents", "/network",
                 "/readiness/print", "/readiness.csv", "/units"):
        assert web.client.get(path).status_code == 200, path


def _licence_form(web: World, **fields: str) -> object:
    csrf = sign_in(web.client, "admin")
    form = {"csrf": csrf, "product": "Kaspersky", "match": "Kaspersky*", "seats": "5", "expires": "2027-12-31",
            "unit": "XA"} | fields
    return web.client.post("/licences", data=form, follow_redirects=False)


@pytest.mark.parametrize("fields", [{"seats": str(2**63)}, {"seats": str(2**31)}, {"product": "P" * 300},
                                    {"product": "Kas\x00persky"}, {"unit": "X\x00A"}],
                         ids=["seats 2**63", "seats 2**31", "product of 300", "NUL in product", "NUL in unit"])
def test_a_hostile_licence_form_is_a_form_error(web: World, fields: dict[str, str]) -> None:
    response = _licence_form(web, **fields)
    assert response.status_code in (400, 404), response.text  # type: ignore[attr-defined]
    assert web.count("licences") == 0


def test_nul_in_a_page_query_is_400(web: World) -> None:
    sign_in(web.client, "admin")
    for path in ("/machines?unit=X%00A", "/alerts?unit=X%00A", "/readiness.csv?unit=X%00A", "/incidents?unit=X%00A",
                 "/machines/8948838057", "/units/X%00A", "/alerts/144115188075855873"):
        assert web.client.get(path).status_code == 400, path


def test_the_machine_page_shows_held_reports_and_the_rule_alerts(web: World) -> None:
    """Issue 14 item 4 at the collector: a report saying the agent holds reports opens
    agent.reports_held, and the machine page says so in Vietnamese."""
    agent = web.enroll()
    body = with_field(report_body(agent["agent_id"], 1), ["identity", "held_reports"], 2)
    stored = web.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    assert stored.status_code == 201, stored.text
    alerts = web.client.get("/api/v1/alerts", headers=web.as_person("admin")).json()["items"]
    assert "agent.reports_held" in {a["rule_id"] for a in alerts}
    sign_in(web.client, "admin")
    page = web.client.get(f"/machines/{agent['machine_id']}").text
    assert "đang giữ 2 báo cáo chưa gửi được" in page and "Báo cáo bị giữ lại trên máy" in page


@pytest.mark.parametrize("query", [{"q": "pc\x00"}, {"unit": "X\x00A"}, {"unit": "X" * 65}, {"q": "p" * 256}],
                         ids=["NUL in search", "NUL in unit", "unit of 65", "search of 256"])
def test_the_machine_list_and_its_exports_refuse_hostile_filters(web: World, query: dict[str, str]) -> None:
    """The list's own query parser (server/web/machine_filters.py) bounds its texts as server.params
    does for the other pages: PostgreSQL refuses a NUL in a LIKE pattern with a 500 otherwise."""
    sign_in(web.client, "admin")
    for path in ("/machines", "/machines.csv", "/machines.xlsx"):
        answer = web.client.get(path, params=query)
        assert answer.status_code == 400, (path, answer.status_code)
