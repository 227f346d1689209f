"""PCs the agent cannot run on (Windows 7, 8.1): a LAN device declared a machine of its unit is in
the readiness figures with what is known (on the LAN; everything else unknown, never a silent
pass), marked "no agent", raises the end-of-support rule from its OS, and counts as an official's
computer; on SQLite and PostgreSQL."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from canhgac.cli import main
from collector.judging.scan import scan_all
from collector.models.alerts import Alert
from collector.models.audit import AuditEntry
from collector.network.arp import Seen
from collector.store.lan import record_seen
from collector.store.machines import list_machines
from collector.store.officials import add_official, assign_machine
from collector.store.readiness_report import explain, readiness_table
from collector.store.scope import EVERYTHING
from collector.store.units import get_unit
from tests.api_world import World
from tests.factories import T0

MAC = "00:1e:c9:aa:bb:07"


def _seen_on_lan(world: World) -> None:
    with world.db.session() as session:
        record_seen(session, [Seen(ip="10.1.0.57", mac=MAC)], T0, get_unit(session, "XB").id)


def _declare(world: World, db_url: str, *extra: str) -> CliRunner:
    runner = CliRunner()
    result = runner.invoke(main, ["machines", "declare", "--mac", MAC.upper().replace(":", "-"), "--hostname",
                                  "xb-ketoan", "--os", "Windows 7 Professional", "--db", db_url, *extra])
    assert result.exit_code == 0, result.output
    assert "chưa cài phần mềm giám sát / no agent" in result.output
    return runner


def test_a_declared_windows_7_pc_is_counted_with_what_is_known(world: World, db_url: str) -> None:
    _seen_on_lan(world)
    runner = _declare(world, db_url)
    with world.db.session() as session:
        [machine], _ = list_machines(session, EVERYTHING, "XB")
        official = add_official(session, "XB", "Phạm Thị Dung", "Kế toán", "", T0, "cntt")
        assign_machine(session, EVERYTHING, official.id, machine.id, T0, "cntt")
        actions = set(session.scalars(select(AuditEntry.action)))
    assert machine.agentless and machine.os_name == "Windows 7 Professional" and "agentless_declared" in actions
    scan_all(world.db, T0, world.rules, network=False)
    with world.db.session() as session:
        figures = readiness_table(session, EVERYTHING, "XB", T0).unit.figures
        alerts = {a.rule_id: a for a in session.scalars(select(Alert).where(Alert.machine_id == machine.id))}
        av = explain(session, EVERYTHING, "XB", "av_installed", T0)
    seen = {key: (figures[key].n, figures[key].d) for key in ("machines_lan", "av_installed", "av_licensed",
                                                              "os_activated", "backup_within_policy",
                                                              "computers_per_official")}
    assert seen == {"machines_lan": (1, 1), "av_installed": (0, 1), "av_licensed": (0, 1), "os_activated": (0, 1),
                    "backup_within_policy": (0, 1), "computers_per_official": (1, 1)}
    assert [(i.name, i.reason_en) for i in av.missing] == [
        ("xb-ketoan", "unknown: no agent on this machine (declared)")]
    assert set(alerts) == {"os.end_of_support"}  # the only rule its known facts can judge
    assert alerts["os.end_of_support"].detail.startswith("hệ điều hành Windows 7 Professional /")
    listed = runner.invoke(main, ["machines", "list", "--unit", "XB", "--db", db_url])
    assert "xb-ketoan" in listed.output and "chưa cài phần mềm giám sát / no agent" in listed.output


def test_a_declared_machine_stays_linked_to_its_mac_through_the_next_sweep(world: World, db_url: str) -> None:
    _seen_on_lan(world)
    _declare(world, db_url)
    _seen_on_lan(world)  # the sweep sees it again: still the declared machine, not an unknown device
    with world.db.session() as session:
        [machine], _ = list_machines(session, EVERYTHING, "XB")
    response = world.client.get("/api/v1/devices", headers=world.as_person("admin"))
    lan = [d for d in response.json()["lan"] if d["mac"] == MAC]
    assert lan and lan[0]["machine_id"] == machine.id


def test_declaring_refuses_an_unseen_mac_a_second_declaration_and_a_mac_outside_the_scope(world: World,
                                                                                          db_url: str) -> None:
    runner = CliRunner()
    unseen = runner.invoke(main, ["machines", "declare", "--mac", MAC, "--hostname", "x", "--db", db_url])
    assert unseen.exit_code == 1 and "sweep the LAN first" in unseen.output
    _seen_on_lan(world)
    _declare(world, db_url)
    again = runner.invoke(main, ["machines", "declare", "--mac", MAC, "--hostname", "x", "--db", db_url])
    assert again.exit_code == 1 and "already machine" in again.output
    from collector.errors import NotFound
    from collector.store.machines import declare_agentless
    from collector.store.scope import Scope

    with world.db.session() as session:
        record_seen(session, [Seen(ip="10.1.0.58", mac="00:1e:c9:aa:bb:08")], T0, get_unit(session, "XB").id)
        xa = Scope(get_unit(session, "XA").path)
        try:
            declare_agentless(session, xa, "00:1e:c9:aa:bb:08", "x", "", T0, "viewer_a")
        except NotFound:
            pass
        else:
            raise AssertionError("a device outside the person's subtree was declared")
