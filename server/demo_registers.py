"""The demo's registers, as an officer keeps them: Tân Hòa's officials list, the one-stop desk's
PC marked shared, Tân Long's Kaspersky licence (two seats, ending 25 days after the demo's end),
Tân Hòa's Office licence (12 seats, installed on 15 PCs: over its seats), and a Windows 7 PC of
Tân Phú heard on its LAN and declared without an agent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from collector.models.machines import MachineUsage
from collector.network.arp import Seen
from collector.officials_file import OfficialInput
from collector.store.lan import record_seen
from collector.store.licences import add_licence
from collector.store.machines import declare_agentless, list_machines, set_machine_usage
from collector.store.officials import import_officials
from collector.store.scope import EVERYTHING
from collector.store.units import get_unit
from server.demo_fleet import OFFICIALS, ONE_STOP_DESK

ACTOR = "tanhoa-cntt"
AGENTLESS_MAC = "00:1e:c9:2b:7a:41"
AGENTLESS = ("tanphu-ketoan", "Windows 7 Professional")
LICENCE_DAYS_LEFT = 25
OFFICE_SEATS = 12


def seed_licences(session: Session, now: datetime, end: datetime) -> None:
    """The licence register as it stands before the first reports (``end``: the demo's end)."""
    add_licence(session, "Kaspersky Endpoint Security", "kaspersky*", 2, (end + timedelta(days=LICENCE_DAYS_LEFT))
                .date(), "DT-TANLONG", now)
    add_licence(session, "Microsoft Office Standard 2019", "microsoft office*", OFFICE_SEATS,
                (end + timedelta(days=3 * 365)).date(), "DT-TANHOA-VP", now, (end - timedelta(days=400)).date())


def seed_registers(session: Session, now: datetime) -> None:
    """At ``now``, after the first reports: the officials, the shared desk, the Windows 7 PC."""
    import_officials(session, "DT-TANHOA-VP", [OfficialInput(*row) for row in OFFICIALS], now, ACTOR)
    rows, _ = list_machines(session, EVERYTHING, "DT-TANHOA-VP", limit=100)
    desk = next(row for row in rows if row.hostname == ONE_STOP_DESK)
    set_machine_usage(session, EVERYTHING, desk.id, MachineUsage.SHARED, now, ACTOR)
    hear_agentless(session, now)
    declare_agentless(session, EVERYTHING, AGENTLESS_MAC, *AGENTLESS, now, "tanphu-cntt")


def hear_agentless(session: Session, now: datetime) -> None:
    """The passive listener hears the Windows 7 PC on Tân Phú's LAN."""
    record_seen(session, [Seen(ip="10.13.0.57", mac=AGENTLESS_MAC)], now, get_unit(session, "DT-TANPHU").id,
                seen_by="passive")
