"""The agent's probes, listed explicitly (never found by scanning folders).

Each probe is ``collect(ctx: ProbeContext) -> Section`` and never raises: what it could not
read is listed in the section's ``errors``. The registry key is the Report field it fills.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.probes import (
    antivirus,
    backup,
    certificates,
    hardening,
    hardware,
    identity,
    licence,
    network,
    software,
    users,
)
from agent.probes.context import ProbeContext
from agent.wire.schema import Section

Probe = Callable[[ProbeContext], Section]

PROBES: dict[str, Probe] = {
    "identity": identity.collect,
    "hardware": hardware.collect,
    "network": network.collect,
    "antivirus": antivirus.collect,
    "licence": licence.collect,
    "backup": backup.collect,
    "certificates": certificates.collect,
    "software": software.collect,
    "hardening": hardening.collect,
    "users": users.collect,
}

__all__ = ["PROBES", "Probe", "ProbeContext"]
