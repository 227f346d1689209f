"""Moving a machine to another unit (issue 14.1): only a person whose scope covers both units,
in the API (officers and admins) and with `canhgac machines move`; its alerts and figures go with
it, and the audit log records the move in both units."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from canhgac.cli import main
from collector.store.audit import list_audit
from collector.store.scope import EVERYTHING
from tests.api_world import World
from tests.server.test_alerts_api import open_alert_in


def move(world: World, person: str, machine_id: int, unit: str) -> tuple[int, dict[str, object]]:
    response = world.client.post(f"/api/v1/machines/{machine_id}/move", json={"unit": unit},
                                 headers=world.as_person(person))
    return response.status_code, response.json()


def machine_of_alert(world: World, alert_id: int) -> int:
    items = world.client.get("/api/v1/alerts", headers=world.as_person("admin")).json()["items"]
    return int(next(a["machine_id"] for a in items if a["id"] == alert_id))


@pytest.mark.parametrize(("person", "target", "status", "error"), [
    ("officer_b", "XA", 404, "unit_not_found"),     # XA is outside the officer's subtree
    ("viewer_a", "XB", 404, "machine_not_found"),   # the machine is outside the viewer's subtree
    ("province", "XA", 403, "role_forbidden"),      # both in scope, but a viewer may not act
])
def test_only_an_officer_or_admin_of_both_units_may_move(world: World, person: str, target: str, status: int,
                                                         error: str) -> None:
    machine_id = machine_of_alert(world, open_alert_in(world, "XB"))
    code, body = move(world, person, machine_id, target)
    assert (code, body["error"]) == (status, error)
    assert move(world, "admin", machine_id, "XB")[1]["unit_code"] == "XB"  # unchanged


def test_a_moved_machine_takes_its_alerts_and_leaves_the_old_units_view(world: World) -> None:
    alert_id = open_alert_in(world, "XB")
    machine_id = machine_of_alert(world, alert_id)
    code, body = move(world, "admin", machine_id, "XA-VP")
    assert (code, body["unit_code"], body["id"]) == (200, "XA-VP", machine_id)
    assert world.client.get(f"/api/v1/machines/{machine_id}", headers=world.as_person("officer_b")).status_code == 404
    seen = world.client.get(f"/api/v1/machines/{machine_id}", headers=world.as_person("viewer_a"))
    assert seen.status_code == 200
    alerts = world.client.get("/api/v1/alerts", headers=world.as_person("viewer_a")).json()["items"]
    assert alert_id in {a["id"] for a in alerts}
    assert alert_id not in {a["id"] for a in world.client.get(
        "/api/v1/alerts", headers=world.as_person("officer_b")).json()["items"]}
    with world.db.session() as session:
        moves = [(e.actor, e.unit_code, e.detail) for e in list_audit(session, EVERYTHING)
                 if e.action == "machine_moved"]
    assert sorted(moves) == [("admin", "XA-VP", "pc-01 moved from XB to XA-VP"),
                             ("admin", "XB", "pc-01 moved from XB to XA-VP")]


def test_the_cli_moves_a_machine_and_names_the_operator(world: World, db_url: str) -> None:
    machine_id = machine_of_alert(world, open_alert_in(world, "XB"))
    result = CliRunner().invoke(main, ["machines", "move", str(machine_id), "--unit", "XA", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert f"machine {machine_id} (pc-01) is now in XA" in result.output
    with world.db.session() as session:
        actors = {e.actor for e in list_audit(session, EVERYTHING) if e.action == "machine_moved"}
    assert len(actors) == 1 and actors.pop().startswith("cli")
    missing = CliRunner().invoke(main, ["machines", "move", str(machine_id), "--unit", "NOPE", "--db", db_url])
    assert missing.exit_code == 1 and "no unit 'NOPE'" in missing.output
