"""The audit log's page (/audit, admins only, scoped like every page) and `canhgac audit list`
(issue 14.6): every action that changes something is there, named in both languages."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from agent.wire import clock
from canhgac.cli import main
from collector.store.audit import AuditAction
from server.web.audit import ACTION_LABELS
from server.web.i18n import LANGUAGES, translations
from tests.api_world import World
from tests.server.test_alerts_api import open_alert_in
from tests.web.conftest import sign_in


def test_only_admins_read_the_audit_log_and_only_theirs_is_linked(web: World) -> None:
    sign_in(web.client, "officer_b")
    assert web.client.get("/audit").status_code == 403
    assert 'href="/audit"' not in web.client.get("/units").text
    web.client.cookies.clear()
    sign_in(web.client, "admin")
    page = web.client.get("/audit?since=all")
    assert page.status_code == 200 and 'href="/audit"' in page.text
    assert "Nhật ký thao tác" in page.text and "Tạo mã đăng ký máy" in page.text  # the seed's tokens
    assert web.client.get("/audit?since=forever").status_code == 400


def test_the_page_lists_what_was_done_newest_first(web: World) -> None:
    alert_id = open_alert_in(web, "XB")
    web.client.post(f"/api/v1/alerts/{alert_id}/ack", json={"comment": "đang xử lý"},
                    headers=web.as_person("officer_b"))
    sign_in(web.client, "admin")
    text = web.client.get("/audit?lang=en").text
    assert text.index("Alert acknowledged") < text.index("Computer enrolled") < text.index("Enrollment token created")
    assert "officer_b" in text and "đang xử lý" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_action_has_a_translated_name(lang: str) -> None:
    assert set(AuditAction) == ACTION_LABELS.keys()
    catalog = translations(lang)
    assert all(catalog.gettext(label) != label or lang == "en" for label in ACTION_LABELS.values())


def test_audit_list_filters_by_unit_and_time_and_prints_json(world: World, db_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", world.clock)
    world.clock.advance(days=2)
    world.enroll("XB", machine_uid="uid-b", hostname="pc-b")
    runner = CliRunner()
    recent = runner.invoke(main, ["audit", "list", "--since", "1d", "--json", "--db", db_url])
    assert recent.exit_code == 0, recent.output
    assert [(e["action"], e["unit_code"]) for e in json.loads(recent.output)] == [("machine_enrolled", "XB")]
    in_a = runner.invoke(main, ["audit", "list", "--unit", "XA", "--json", "--db", db_url])
    assert {e["unit_code"] for e in json.loads(in_a.output)} == {"XA", "XA-VP"}  # the seed's tokens
    table = runner.invoke(main, ["audit", "list", "--since", "2026-11-23", "--db", db_url])
    assert table.exit_code == 0 and "machine_enrolled" in table.output and "token_created" not in table.output
    assert "1 mục / entries" in table.output
    bad = runner.invoke(main, ["audit", "list", "--since", "yesterday", "--db", db_url])
    assert bad.exit_code == 2 and "give a duration" in bad.output


def test_the_api_gives_admins_the_audit_log_of_their_subtree(world: World) -> None:
    assert world.client.get("/api/v1/audit", headers=world.as_person("officer_b")).status_code == 403
    rows = world.client.get("/api/v1/audit", headers=world.as_person("admin"), params={"limit": 3}).json()
    assert len(rows) == 3 and {"at", "actor", "action", "subject", "unit_code", "detail"} <= rows[0].keys()
    since = world.client.get("/api/v1/audit", headers=world.as_person("admin"),
                             params={"since": "2030-01-01T00:00:00Z"}).json()
    assert since == []
