"""The dashboard through the real app: sign-in, sessions, CSRF, and the person's subtree on every
page and form (another commune's machine or alert is 404, exactly like a missing one; a viewer
may not acknowledge: 403)."""

from __future__ import annotations

import pytest

from server.web.session import COOKIE
from tests.api_world import World
from tests.server.test_alerts_api import open_alert_in
from tests.web.conftest import csrf_of, sign_in


def machine_id_of(world: World, unit: str) -> int:
    items = world.client.get("/api/v1/machines", headers=world.as_person("admin"), params={"unit": unit}).json()
    return int(items["items"][0]["id"])


def test_pages_need_a_session(web: World) -> None:
    for path in ("/", "/machines", "/alerts", "/units", "/network", "/licences", "/readiness.csv", "/machines/1"):
        response = web.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path


def test_the_session_cookie_is_httponly_and_samesite(web: World) -> None:
    token = csrf_of(web.client.get("/login").text)
    response = web.client.post("/login", data={"csrf": token, "name": "admin", "password": "mật khẩu đủ dài"},
                               follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert response.headers["location"] == "/"


def test_a_wrong_password_or_unknown_user_is_refused(web: World) -> None:
    token = csrf_of(web.client.get("/login").text)
    for name, password in (("admin", "sai"), ("nobody", "mật khẩu đủ dài")):
        response = web.client.post("/login", data={"csrf": token, "name": name, "password": password})
        assert response.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in response.text
    assert web.client.get("/", follow_redirects=False).status_code == 303


def test_forms_without_the_csrf_token_are_refused(web: World) -> None:
    assert web.client.post("/login", data={"name": "admin", "password": "mật khẩu đủ dài"}).status_code == 403
    sign_in(web.client, "officer_b")
    alert_id = open_alert_in(web, "XB")
    for sent in ({}, {"csrf": "forged"}):
        response = web.client.post(f"/alerts/{alert_id}/ack", data={"comment": "x", **sent})
        assert response.status_code == 403, sent
    assert web.client.get(f"/alerts/{alert_id}").text.count("Đã tiếp nhận") == 0


def test_a_tampered_cookie_is_a_signed_out_visitor(web: World) -> None:
    sign_in(web.client, "admin")
    value = web.client.cookies[COOKIE]
    web.client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert web.client.get("/", follow_redirects=False).status_code == 303


def test_an_officer_acknowledges_an_alert_of_their_commune(web: World) -> None:
    alert_id = open_alert_in(web, "XB")
    csrf = sign_in(web.client, "officer_b")
    response = web.client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf, "comment": "đang cài Defender"})
    assert response.status_code == 200 and "đang cài Defender" in response.text and "officer_b" in response.text
    body = web.client.get("/api/v1/alerts", headers=web.as_person("admin"), params={"unit": "XB"}).json()
    assert {(a["id"], a["status"]) for a in body["items"]} >= {(alert_id, "acknowledged")}


def test_another_communes_machine_and_alert_look_missing(web: World) -> None:
    alert_b = open_alert_in(web, "XB")
    machine_b = machine_id_of(web, "XB")
    csrf = sign_in(web.client, "viewer_a")
    missing = web.client.get("/machines/999999")
    assert missing.status_code == 404
    for path in (f"/machines/{machine_b}", f"/alerts/{alert_b}", "/units/XB", "/readiness.csv?unit=XB",
                 "/readiness/print?unit=XB", "/machines?unit=XB", "/alerts?unit=XB"):
        response = web.client.get(path)
        assert response.status_code == 404, path
    assert web.client.get(f"/machines/{machine_b}").text.replace(f"no machine {machine_b}", "no machine N") == \
        missing.text.replace("no machine 999999", "no machine N")
    assert f'href="/machines/{machine_b}"' not in web.client.get("/machines").text
    # Changing the id in a form's URL: outside the subtree is 404 before any role check.
    assert web.client.post(f"/alerts/{alert_b}/ack", data={"csrf": csrf, "comment": "x"}).status_code == 404


def test_an_officer_cannot_acknowledge_another_communes_alert(web: World) -> None:
    alert_a = open_alert_in(web, "XA")
    csrf = sign_in(web.client, "officer_b")
    assert web.client.post(f"/alerts/{alert_a}/ack", data={"csrf": csrf, "comment": "x"}).status_code == 404
    state = web.client.get("/api/v1/alerts", headers=web.as_person("admin"), params={"unit": "XA"}).json()
    assert all(a["status"] == "open" for a in state["items"])


def test_a_viewer_may_not_acknowledge(web: World) -> None:
    alert_id = open_alert_in(web, "XA")
    csrf = sign_in(web.client, "viewer_a")
    page = web.client.get(f"/alerts/{alert_id}")
    assert page.status_code == 200 and f'action="/alerts/{alert_id}/ack"' not in page.text
    assert web.client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf, "comment": "x"}).status_code == 403


def test_logout_ends_the_session(web: World) -> None:
    csrf = sign_in(web.client, "admin")
    assert web.client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert web.client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/", "/units", "/units/XA", "/machines", "/alerts", "/alerts?status=all",
                                  "/network", "/licences", "/readiness/print"])
def test_every_page_renders_for_the_province(web: World, path: str) -> None:
    open_alert_in(web, "XA-VP")
    sign_in(web.client, "province")
    response = web.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")


def test_machine_detail_shows_every_section_and_history(web: World) -> None:
    open_alert_in(web, "XA")
    sign_in(web.client, "admin")
    page = web.client.get(f"/machines/{machine_id_of(web, 'XA')}")
    assert page.status_code == 200
    assert 'id="antivirus"' in page.text and 'id="identity"' in page.text and "Lịch sử báo cáo" in page.text


def test_machines_are_filtered_and_paginated(web: World) -> None:
    for index in range(3):
        web.enroll("XA", machine_uid=f"uid-{index}", hostname=f"ketoan-{index}")
    web.enroll("XB", machine_uid="uid-x", hostname="vanthu-1")
    sign_in(web.client, "admin")
    page = web.client.get("/machines", params={"q": "ketoan"}).text
    assert "ketoan-0" in page and "ketoan-2" in page and "vanthu-1" not in page
    assert "vanthu-1" in web.client.get("/machines", params={"unit": "XB"}).text
    web.enroll("XA", machine_uid="uid-u", hostname="a_b")
    web.enroll("XA", machine_uid="uid-v", hostname="axb")
    underscore = web.client.get("/machines", params={"q": "a_b"}).text
    assert ">a_b<" in underscore and ">axb<" not in underscore  # "_" is a letter here, not a wildcard
    assert web.client.get("/machines", params={"p": 0}).status_code == 400


def test_licences_are_registered_by_an_officer_within_their_subtree(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    form = {"csrf": csrf, "product": "Kaspersky Endpoint", "match": "Kaspersky*", "seats": "10",
            "expires": "2027-12-31", "unit": "XB"}
    assert web.client.post("/licences", data=form).status_code == 200
    page = web.client.get("/licences").text
    assert "Kaspersky Endpoint" in page and "31/12/2027" in page and "0/10" in page
    assert web.client.post("/licences", data={**form, "unit": "XA"}).status_code == 404
    assert web.client.post("/licences", data={**form, "seats": "mười"}).status_code == 400


def test_english_on_request_and_remembered(web: World) -> None:
    sign_in(web.client, "admin")
    english = web.client.get("/units", params={"lang": "en"})
    assert "Units" in english.text and 'lang="en"' in english.text
    assert 'lang="en"' in web.client.get("/alerts").text
    assert 'lang="vi"' in web.client.get("/alerts", params={"lang": "vi"}).text


def test_login_redirects_only_within_the_site(web: World) -> None:
    token = csrf_of(web.client.get("/login").text)
    response = web.client.post("/login", data={"csrf": token, "name": "admin", "password": "mật khẩu đủ dài",
                                               "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_network_and_licence_lists_are_paged_in_sql(web: World) -> None:
    from datetime import UTC, date, datetime

    from sqlalchemy import insert, select

    from collector.models.lan import LanDevice
    from collector.models.units import Unit
    from collector.store.licences import add_licence

    now = datetime(2026, 11, 20, tzinfo=UTC)
    with web.db.session() as session:
        unit_b = session.scalar(select(Unit.id).where(Unit.code == "XB"))
        session.execute(insert(LanDevice), [
            {"mac": f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", "ip": f"10.0.{i // 200}.{i % 200 + 1}",
             "vendor": "", "unit_id": unit_b, "machine_id": None, "first_seen_at": now, "last_seen_at": now,
             "seen_by": "sweep"} for i in range(120)])
        for i in range(55):
            add_licence(session, f"Sản phẩm {i:03d}", f"Product{i:03d}*", 5, date(2027, 12, 31), "XB", now)
    sign_in(web.client, "officer_b")
    first = web.client.get("/network").text
    assert first.count("10.0.") == 2 * 50  # devices without an agent, and LAN devices: 50 of each
    assert "(120)" in first and "lp=2" in first and "up=2" in first
    last = web.client.get("/network", params={"lp": 3}).text
    assert last.count("10.0.") == 50 + 20
    assert web.client.get("/network", params={"sp": 0}).status_code == 400
    licences = web.client.get("/licences").text
    assert "Sản phẩm 049" in licences and "Sản phẩm 050" not in licences and "p=2" in licences
    second = web.client.get("/licences", params={"p": 2}).text
    assert "Sản phẩm 054" in second and "Sản phẩm 000" not in second and "0/5" in second


def test_pages_name_their_charset_once(web: World) -> None:
    sign_in(web.client, "admin")
    for path, kind in (("/units", "text/html"), ("/readiness/print", "text/html"), ("/readiness.csv", "text/csv"),
                       ("/no-such-page", "text/html")):
        assert web.client.get(path).headers["content-type"] == f"{kind}; charset=utf-8", path  # Litestar adds it


def test_a_serving_app_computes_the_overview_figures_as_it_starts_and_stops_keeping_them(web: World,
                                                                                    db_url: str) -> None:
    import threading
    import time

    from litestar.testing import TestClient

    from collector.config import CollectorConfig
    from server.app import create_app

    app = create_app(CollectorConfig(db_url=db_url), web.db, web.clock, keep_dashboard_fresh=True)
    with TestClient(app) as client:
        deadline = time.monotonic() + 20
        cache = app.state.dashboard_readiness
        while cache.kept("*") is None and time.monotonic() < deadline:  # bounded: 20 s
            time.sleep(0.02)
        kept = cache.kept("*")
        assert [code for code, _name in kept.labels.values()] == ["PV", "XA", "XA-VP", "XB"]
        sign_in(client, "admin")
        assert client.get("/units/XA").status_code == 200
        assert cache.kept("*") is kept  # the page read the kept figures
    assert not [t for t in threading.enumerate() if t.name == "readiness-keeper"]
