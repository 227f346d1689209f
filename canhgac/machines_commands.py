"""``canhgac machines``: the machines known to the collector (needs the server extra)."""

from __future__ import annotations

import click
import msgspec

from agent.wire import clock
from agent.wire.schema import Role
from canhgac.cli_support import cli_actor, cli_errors, db_session, echo_json, local_time
from canhgac.collector_options import db_option
from collector.models.machines import MachineUsage
from collector.store import machines as machine_store
from collector.store.machine_moves import move_machine
from collector.store.scope import EVERYTHING


@click.group("machines")
def machines() -> None:
    """Machines known to the collector."""


@machines.command("list")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Only this unit's subtree.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def machines_list(unit_code: str | None, as_json: bool, db_url: str | None) -> None:
    """List machines with their unit and when they last reported."""
    with db_session(db_url) as session:
        rows, total = machine_store.list_machines(session, EVERYTHING, unit_code, limit=1_000_000)
    if as_json:
        echo_json([msgspec.structs.asdict(row) for row in rows])
        return
    for row in rows:
        seen = local_time(row.last_seen_at, never="chưa / never")
        marks = " ".join(filter(None, ("chưa cài phần mềm giám sát / no agent" if row.agentless else "",
                                       "dùng chung / shared" if row.usage == MachineUsage.SHARED else "")))
        click.echo(f"{row.id:>6}  {row.hostname:<24} {row.unit_code:<14} {row.role:<8} {seen}  {marks}".rstrip())
    click.echo(f"{total} máy / machines", err=True)


@machines.command("move")
@click.argument("machine_id", type=int)
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit the machine belongs to now.")
@db_option
@cli_errors
def machines_move(machine_id: int, unit_code: str, db_url: str | None) -> None:
    """Move machine MACHINE_ID (from `machines list`) to unit CODE, with its alerts and figures.

    An enrollment token never moves a machine of another unit: this is the way (recorded in the
    audit log, in both units)."""
    with db_session(db_url) as session:
        moved = move_machine(session, EVERYTHING, machine_id, unit_code, cli_actor(), clock.utcnow())
    click.echo(f"Đã chuyển / moved: machine {moved.id} ({moved.hostname}) is now in {moved.unit_code}")


@machines.command("declare")
@click.option("--mac", required=True, help="The MAC address the LAN sweep saw (canhgac scan lan).")
@click.option("--hostname", required=True, help="The PC's name.")
@click.option("--os", "os_name", default="", help="Its operating system, e.g. 'Windows 7 Professional'.")
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Its unit (default: the LAN's unit).")
@click.option("--role", type=click.Choice([str(r) for r in Role]), default=str(Role.NORMAL), show_default=True)
@click.option("--usage", type=click.Choice([str(u) for u in MachineUsage]), default=str(MachineUsage.PERSONAL),
              show_default=True, help="shared: the one-stop desk, the scanner PC (nobody's own computer).")
@db_option
@cli_errors
def machines_declare(mac: str, hostname: str, os_name: str, unit_code: str | None, role: str, usage: str,
                     db_url: str | None) -> None:
    """Declare a LAN device a machine the agent cannot run on (Windows 7, 8.1...): counted in the
    readiness figures with what is known, marked "chưa cài phần mềm giám sát / no agent"."""
    with db_session(db_url) as session:
        row = machine_store.declare_agentless(session, EVERYTHING, mac, hostname, os_name, clock.utcnow(), "cli",
                                              unit_code, Role(role), MachineUsage(usage))
    click.echo(f"Đã khai báo / declared: #{row.id} {row.hostname} ({row.os_name or '?'}) {row.unit_code} — "
               "chưa cài phần mềm giám sát / no agent")


@machines.command("usage")
@click.argument("machine_id", type=int)
@click.argument("usage", type=click.Choice([str(u) for u in MachineUsage]))
@db_option
@cli_errors
def machines_usage(machine_id: int, usage: str, db_url: str | None) -> None:
    """Mark a machine personal or shared (a shared PC is nobody's own computer)."""
    with db_session(db_url) as session:
        row = machine_store.set_machine_usage(session, EVERYTHING, machine_id, MachineUsage(usage), clock.utcnow(),
                                              "cli")
    click.echo(f"#{row.id} {row.hostname}: {row.usage}")
