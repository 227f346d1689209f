"""What a machine is found by in the machine list besides its host name (``machines.search_text``,
revision 0017a), taken from a report as it becomes the machine's current state. Pure."""

from __future__ import annotations

from agent.wire.schema import Report
from collector.models.machines import SEARCH_TEXT_MAX


def search_text(report: Report) -> str:
    """The words a machine is found by besides its host name: serial number, each interface's MAC and
    addresses (without a /prefix), the accounts of its users; lower case, at most SEARCH_TEXT_MAX
    characters ("" when the report has none of them)."""
    words = [report.hardware.serial] if report.hardware else []
    for interface in report.network.interfaces if report.network else []:
        words += [interface.mac, *(address.split("/")[0] for address in interface.addresses)]
    words += [user.name for user in report.users.users] if report.users else []
    seen = dict.fromkeys(w.strip().lower() for w in words if w and w.strip())
    return " ".join(seen)[:SEARCH_TEXT_MAX]
