"""People from the browser: an officer adds, disables, re-enables, gives a new password to and ends
the sessions of people of their commune only (a forged post for another commune's person or unit is
refused and changes nothing), never an admin; each change in the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from collector.models.audit import AuditEntry
from collector.models.people import User
from tests.api_world import World
from tests.web.conftest import sign_in

_PASSWORD = re.compile(r"<code data-password>([^<]+)</code>")


def _post(web: World, path: str, csrf: str, **fields: str):  # type: ignore[no-untyped-def]
    return web.client.post(path, data={"csrf": csrf, **fields}, follow_redirects=False)


def _user(web: World, name: str) -> User | None:
    with web.db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is not None:
            session.expunge(user)
        return user


def test_an_officer_adds_a_person_who_signs_in_with_the_password_shown_once(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    listed = web.client.get("/admin/people").text
    assert "officer_b" in listed and "viewer_a" not in listed and ">admin<" not in listed
    added = _post(web, "/admin/people", csrf, name="can_bo_b2", role="officer", unit="XB")
    assert added.status_code == 201
    password = _PASSWORD.search(added.text).group(1)  # type: ignore[union-attr]
    assert password not in web.client.get("/admin/people").text
    web.client.cookies.clear()
    sign_in(web.client, "can_bo_b2", password)
    assert "UBND xã B" in web.client.get("/units").text


def test_forged_posts_for_another_commune_or_an_admin_are_refused(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    assert _post(web, "/admin/people", csrf, name="intruder", role="viewer", unit="XA").status_code == 404
    assert _post(web, "/admin/people", csrf, name="boss", role="admin", unit="XB").status_code == 403
    assert _post(web, "/admin/people", "forged", name="x", role="viewer", unit="XB").status_code == 403
    assert _user(web, "intruder") is None and _user(web, "boss") is None and _user(web, "x") is None
    for action in ("disable", "password", "end-sessions"):
        assert _post(web, f"/admin/people/viewer_a/{action}", csrf).status_code == 404, action
    assert _user(web, "viewer_a").disabled_at is None  # type: ignore[union-attr]


def test_an_admin_disables_resets_and_ends_sessions_audited(web: World) -> None:
    other = web.client.__class__(web.client.app)
    with other:
        sign_in(other, "viewer_a")
        assert other.get("/units").status_code == 200
        csrf = sign_in(web.client, "admin")
        assert _post(web, "/admin/people/viewer_a/end-sessions", csrf).status_code == 303
        assert other.get("/units", follow_redirects=False).status_code == 303
        sign_in(other, "viewer_a")
        assert _post(web, "/admin/people/viewer_a/disable", csrf).status_code == 303
        assert other.get("/units", follow_redirects=False).status_code == 303
        assert _post(web, "/admin/people/viewer_a/enable", csrf).status_code == 303
        reset = _post(web, "/admin/people/viewer_a/password", csrf)
        assert reset.status_code == 200
        sign_in(other, "viewer_a", _PASSWORD.search(reset.text).group(1))  # type: ignore[union-attr]
    assert _post(web, "/admin/people/admin/disable", csrf).status_code == 422
    with web.db.session() as session:
        actions = [a for (a,) in session.execute(select(AuditEntry.action).where(
            AuditEntry.actor == "admin", AuditEntry.subject == "user:viewer_a"))]
    assert actions == ["sessions_ended", "user_disabled", "user_enabled", "password_changed"]


def test_viewers_manage_nobody(web: World) -> None:
    csrf = sign_in(web.client, "viewer_a")
    assert web.client.get("/admin/people").status_code == 403
    assert _post(web, "/admin/people", csrf, name="x", role="viewer", unit="XA").status_code == 403
