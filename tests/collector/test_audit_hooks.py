"""Every command and API call that changes something writes its audit entry (issue 14.6), with
who did it and under the unit it concerns; a refused change writes none."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from canhgac.cli import main
from collector.store.audit import AuditAction, list_audit
from collector.store.scope import EVERYTHING
from tests.api_world import World
from tests.server.test_alerts_api import open_alert_in

CLI_CHANGES = [
    (["units", "add", "XC", "--name", "UBND xã C", "--parent", "PV", "--kind", "commune"], AuditAction.UNIT_ADDED,
     "unit:XC", "XC"),
    (["tokens", "create", "--unit", "XB"], AuditAction.TOKEN_CREATED, "token:4", "XB"),
    (["tokens", "revoke", "1"], AuditAction.TOKEN_REVOKED, "token:1", "XA"),
    (["users", "add", "nam", "--role", "viewer", "--unit", "XB"], AuditAction.USER_ADDED, "user:nam", "XB"),
    (["users", "token", "officer_b"], AuditAction.API_TOKEN_ISSUED, "user:officer_b", "XB"),
    (["users", "revoke-token", "2"], AuditAction.API_TOKEN_REVOKED, "user:officer_b", "XB"),
    (["users", "disable", "viewer_a"], AuditAction.USER_DISABLED, "user:viewer_a", "XA"),
    (["users", "end-sessions", "province"], AuditAction.SESSIONS_ENDED, "user:province", "PV"),
    (["licences", "add", "--product", "Kaspersky", "--match", "kaspersky*", "--seats", "5", "--expires",
      "2027-12-31", "--unit", "XA"], AuditAction.LICENCE_ADDED, "licence:1", "XA"),
]


def newest(world: World) -> tuple[str, str, str, str | None]:
    with world.db.session() as session:
        entry = list_audit(session, EVERYTHING, limit=1)[0]
    return entry.actor, entry.action, entry.subject, entry.unit_code


@pytest.mark.parametrize(("args", "action", "subject", "unit"), CLI_CHANGES, ids=[str(c[1]) for c in CLI_CHANGES])
def test_each_command_that_changes_something_is_recorded(world: World, db_url: str, args: list[str],
                                                         action: AuditAction, subject: str, unit: str) -> None:
    result = CliRunner().invoke(main, [*args, "--db", db_url])
    assert result.exit_code == 0, result.output
    actor, recorded, about, unit_code = newest(world)
    assert (recorded, about, unit_code) == (str(action), subject, unit) and actor.startswith("cli")


def test_an_acknowledgement_and_a_licence_through_the_api_name_the_person(world: World) -> None:
    alert_id = open_alert_in(world, "XB")
    world.client.post(f"/api/v1/alerts/{alert_id}/ack", json={"comment": "đang cài lại"},
                      headers=world.as_person("officer_b"))
    assert newest(world) == ("officer_b", "alert_acknowledged", f"alert:{alert_id}", "XB")
    world.client.post("/api/v1/licences", json={"product": "BKAV Pro", "match": "bkav*", "seats": 3,
                                                "expires": "2027-06-30", "unit": "XB"},
                      headers=world.as_person("officer_b"))
    assert newest(world)[:2] == ("officer_b", "licence_added")


def test_a_refused_change_leaves_no_entry(world: World, db_url: str) -> None:
    before = newest(world)
    for args in (["units", "add", "XA", "--name", "again", "--kind", "commune"], ["tokens", "revoke", "99"],
                 ["users", "disable", "nobody"]):
        assert CliRunner().invoke(main, [*args, "--db", db_url]).exit_code == 1
    assert newest(world) == before
