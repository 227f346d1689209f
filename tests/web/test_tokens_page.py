"""Enrollment tokens from the browser: made for a unit of the officer's subtree (a forged post for
another commune is refused and makes nothing), shown once, its agent file (which `agent enroll
--config` reads) and its printable instruction, revoked; each change in the audit log."""

from __future__ import annotations

import re
import tomllib

from sqlalchemy import func, select

from collector.models.audit import AuditEntry
from collector.models.enrollment import EnrollmentToken
from collector.store.settings import set_unit_settings
from tests.api_world import World
from tests.factories import T0
from tests.web.conftest import sign_in

_TOKEN = re.compile(r"<code data-token-value>(cge_[^<]+)</code>")


def _create(web: World, csrf: str, unit: str, **fields: str):  # type: ignore[no-untyped-def]
    return web.client.post("/admin/tokens", data={"csrf": csrf, "unit": unit, "days": "7",
                                                  "server": "http://10.0.0.5:8470", **fields})


def _tokens(web: World) -> int:
    with web.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(EnrollmentToken)) or 0)


def test_an_officer_makes_a_token_and_downloads_the_agent_file(web: World) -> None:
    with web.db.session() as session:
        set_unit_settings(session, "XB", {"internet_targets": ["127.0.0.1:9"]}, [], T0, "test")
    csrf = sign_in(web.client, "officer_b")
    page = web.client.get("/admin/tokens")
    assert page.status_code == 200 and "UBND xã B" in page.text and "UBND xã A" not in page.text
    made = _create(web, csrf, "XB")
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token = _TOKEN.search(made.text).group(1)  # type: ignore[union-attr]
    assert token not in web.client.get("/admin/tokens").text  # shown once

    agent_file = web.client.post("/admin/tokens/agent-file",
                                 data={"csrf": csrf, "token": token, "server": "http://10.0.0.5:8470"})
    assert agent_file.status_code == 200
    assert 'filename="canhgac-agent.toml"' in agent_file.headers["content-disposition"]
    table = tomllib.loads(agent_file.text)["agent"]
    assert table == {"server": "http://10.0.0.5:8470", "token": token}
    assert '# internet_targets = ["127.0.0.1:9"]' in agent_file.text and "UBND xã B" in agent_file.text
    assert "29/11/2026 15:00" in agent_file.text  # T0 + 7 days, in Vietnam's time

    sheet = web.client.post("/admin/tokens/instructions",
                            data={"csrf": csrf, "token": token, "server": "http://10.0.0.5:8470"})
    assert sheet.status_code == 200 and token in sheet.text and "UBND xã B" in sheet.text
    assert "canhgac agent enroll --config canhgac-agent.toml" in sheet.text

    enrolled = web.client.post("/api/v1/enroll", json={"token": token, "machine_uid": "u-9", "hostname": "pc-9"})
    assert enrolled.status_code == 201 and enrolled.json()["unit_code"] == "XB"


def test_a_forged_post_for_another_commune_is_refused(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    before = _tokens(web)
    assert _create(web, csrf, "XA").status_code == 404
    assert _create(web, "forged", "XB").status_code == 403
    assert _tokens(web) == before
    other = web.tokens["XA"]
    refused = web.client.post("/admin/tokens/agent-file", data={"csrf": csrf, "token": other,
                                                                "server": "http://10.0.0.5:8470"})
    assert refused.status_code == 404 and other not in refused.text
    with web.db.session() as session:
        xa_token = session.scalar(select(EnrollmentToken.id).join(EnrollmentToken.unit).where(
            EnrollmentToken.unit.has(code="XA")))
    assert web.client.post(f"/admin/tokens/{xa_token}/revoke", data={"csrf": csrf}).status_code == 404


def test_viewers_make_no_token(web: World) -> None:
    csrf = sign_in(web.client, "viewer_a")
    assert web.client.get("/admin/tokens").status_code == 403
    assert _create(web, csrf, "XA").status_code == 403
    assert "/admin/tokens" not in web.client.get("/units").text


def test_a_bad_server_address_or_lifetime_is_said_and_nothing_made(web: World) -> None:
    csrf = sign_in(web.client, "admin")
    before = _tokens(web)
    assert _create(web, csrf, "XA", server="ftp://x").status_code == 400
    assert _create(web, csrf, "XA", days="365").status_code == 400
    assert _tokens(web) == before


def test_revoking_and_making_are_audited(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    _create(web, csrf, "XB", server="http://10.0.0.5:8470/api/v1/")
    with web.db.session() as session:
        newest = session.scalar(select(func.max(EnrollmentToken.id)))
    assert web.client.post(f"/admin/tokens/{newest}/revoke", data={"csrf": csrf},
                           follow_redirects=False).status_code == 303
    assert "revoked" in web.client.get("/admin/tokens?lang=en").text
    with web.db.session() as session:
        actions = [tuple(r) for r in session.execute(select(AuditEntry.actor, AuditEntry.action).where(
            AuditEntry.action.like("token_%"), AuditEntry.actor != "cli"))]
    assert actions == [("officer_b", "token_created"), ("officer_b", "token_revoked")]
