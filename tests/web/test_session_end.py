"""Issue 14.2: sessions are ended on the server. A cookie copied before signing out no longer
opens anything afterwards; nor after a password change, an admin ending the person's sessions,
or the person being disabled."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from agent.wire import clock
from canhgac.cli import main
from collector.store.audit import list_audit
from collector.store.scope import EVERYTHING
from server.web.session import COOKIE
from tests.api_world import World
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def machine_of(world: World, unit: str = "XA") -> int:
    return int(world.enroll(unit, machine_uid=f"uid-{unit}", hostname=f"pc-{unit}")["machine_id"])


def test_a_cookie_copied_before_sign_out_no_longer_opens_a_machine(web: World) -> None:
    machine_id = machine_of(web)
    csrf = sign_in(web.client, "admin")
    copied = web.client.cookies[COOKIE]
    assert web.client.get(f"/machines/{machine_id}", follow_redirects=False).status_code == 200
    assert web.client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, copied)
    response = web.client.get(f"/machines/{machine_id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.fixture(autouse=True)
def frozen_cli_clock(web: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands read the one clock the app's frozen clock stands for."""
    monkeypatch.setattr(clock, "utcnow", web.clock)


def opens(web: World, cookie: str, path: str = "/units") -> bool:
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, cookie)
    return web.client.get(path, follow_redirects=False).status_code == 200


def cli(db_url: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, [*args, "--db", db_url], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("end", ["password", "end-sessions", "disable"])
def test_a_password_change_an_admin_or_disabling_ends_every_session_of_the_person(
        web: World, db_url: str, end: str) -> None:
    sign_in(web.client, "viewer_a")
    first = web.client.cookies[COOKIE]
    web.client.cookies.clear()
    sign_in(web.client, "viewer_a")  # a second browser
    second = web.client.cookies[COOKIE]
    web.client.cookies.clear()
    sign_in(web.client, "admin")
    bystander = web.client.cookies[COOKIE]
    assert opens(web, first) and opens(web, second)
    output = cli(db_url, "users", end, "viewer_a", stdin="một mật khẩu mới\n" if end == "password" else None)
    assert "2 session(s) ended" in output or "sessions ended: viewer_a: 2" in output
    assert not opens(web, first) and not opens(web, second)
    assert opens(web, bystander)  # another person's session goes on


def test_an_admin_ends_a_persons_sessions_through_the_api(web: World) -> None:
    sign_in(web.client, "officer_b")
    cookie = web.client.cookies[COOKIE]
    for person, status in (("viewer_a", 403), ("officer_b", 403), ("province", 403)):
        response = web.client.post("/api/v1/users/officer_b/end-sessions", headers=web.as_person(person))
        assert response.status_code == status, person
    assert opens(web, cookie)
    response = web.client.post("/api/v1/users/officer_b/end-sessions", headers=web.as_person("admin"))
    assert response.status_code == 200 and response.json() == {"user": "officer_b", "ended": 1}
    assert not opens(web, cookie)
    missing = web.client.post("/api/v1/users/nobody/end-sessions", headers=web.as_person("admin"))
    assert (missing.status_code, missing.json()["error"]) == (404, "user_not_found")


def test_a_disabled_person_is_out_at_the_next_request_and_cannot_sign_in(web: World, db_url: str) -> None:
    sign_in(web.client, "viewer_a")
    cookie = web.client.cookies[COOKIE]
    api = web.as_person("viewer_a")
    assert web.client.get("/api/v1/machines", headers=api).status_code == 200
    cli(db_url, "users", "disable", "viewer_a")
    assert not opens(web, cookie)
    assert web.client.get("/api/v1/machines", headers=api).status_code == 401
    web.client.cookies.clear()
    token = csrf_of(web.client.get("/login").text)
    refused = web.client.post("/login", data={"csrf": token, "name": "viewer_a", "password": PASSWORD})
    assert refused.status_code == 401
    cli(db_url, "users", "enable", "viewer_a")
    assert web.client.get("/api/v1/machines", headers=api).status_code == 200
    sign_in(web.client, "viewer_a")


def test_a_session_ends_after_twelve_hours(web: World) -> None:
    sign_in(web.client, "admin")
    cookie = web.client.cookies[COOKIE]
    web.clock.advance(hours=11, minutes=59)
    assert opens(web, cookie)
    web.clock.advance(minutes=2)
    assert not opens(web, cookie)


def test_api_tokens_are_listed_and_revoked_by_id_or_by_value(web: World, db_url: str) -> None:
    spare = cli(db_url, "users", "token", "officer_b").strip()
    listed = json.loads(cli(db_url, "users", "tokens", "officer_b", "--json"))
    assert [t["revoked_at"] for t in listed] == [None, None] and all("token" not in t for t in listed)
    assert "cgt_" not in cli(db_url, "users", "tokens", "officer_b")
    cli(db_url, "users", "revoke-token", str(listed[0]["id"]))
    assert web.client.get("/api/v1/alerts", headers=web.as_person("officer_b")).status_code == 401
    spare_headers = {"Authorization": f"Bearer {spare}"}
    assert web.client.get("/api/v1/alerts", headers=spare_headers).status_code == 200
    assert "of officer_b" in cli(db_url, "users", "revoke-token", spare)
    assert web.client.get("/api/v1/alerts", headers=spare_headers).status_code == 401
    states = [t["revoked_at"] is not None for t in json.loads(cli(db_url, "users", "tokens", "officer_b", "--json"))]
    assert states == [True, True]
    missing = CliRunner().invoke(main, ["users", "revoke-token", "cgt_unknown", "--db", db_url])
    assert missing.exit_code == 1 and "no such API token" in missing.output


def test_sign_ins_failed_sign_ins_and_sign_outs_are_in_the_audit_log(web: World) -> None:
    token = csrf_of(web.client.get("/login").text)
    web.client.post("/login", data={"csrf": token, "name": "viewer_a", "password": "sai"})
    csrf = sign_in(web.client, "viewer_a")
    web.client.post("/logout", data={"csrf": csrf})
    with web.db.session() as session:
        entries = [(e.actor, e.action, e.unit_code) for e in list_audit(session, EVERYTHING)
                   if e.subject == "user:viewer_a" and e.action != "user_added" and e.action != "api_token_issued"]
    assert entries == [("viewer_a", "signed_out", "XA"), ("viewer_a", "sign_in", "XA"),
                       ("viewer_a", "sign_in_failed", "XA")]
