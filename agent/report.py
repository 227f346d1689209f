"""Build one report: run every registered probe, then stamp it with who, which and when."""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from agent.config import AgentConfig
from agent.probes import PROBES, Probe, ProbeContext
from agent.probes.context import describe
from agent.state import AgentState
from agent.wire.schema import (
    Antivirus,
    Backup,
    Certificates,
    Hardening,
    Hardware,
    Identity,
    Licence,
    Network,
    ProbeError,
    Report,
    Role,
    Section,
    Software,
    Transport,
    Users,
)

log = logging.getLogger(__name__)

# Report field -> its section type, to stand in (empty, with the error) for a probe that broke.
SECTION_TYPES: dict[str, type[Section]] = {
    "identity": Identity,
    "hardware": Hardware,
    "antivirus": Antivirus,
    "licence": Licence,
    "network": Network,
    "backup": Backup,
    "certificates": Certificates,
    "software": Software,
    "hardening": Hardening,
    "users": Users,
}


def effective_role(config: AgentConfig, state: AgentState | None) -> Role:
    """Offline when either the enrollment or the configuration says so: a PC meant to stay off
    the network is never treated as normal because one of the two was left at the default."""
    if config.role is Role.OFFLINE or (state is not None and state.role is Role.OFFLINE):
        return Role.OFFLINE
    return Role.NORMAL


def build_report(config: AgentConfig, state: AgentState | None, sequence: int, now: datetime) -> Report:
    """A report of every registered probe, stamped with the state's agent id and unit (None
    when not enrolled), ``sequence`` and ``now``. Never raises for a probe: one that raises
    anyway (a bug) leaves its section empty with the error recorded."""
    ctx = ProbeContext(now=now, settings=config.probes, role=effective_role(config, state))
    sections = {name: run_probe(name, probe, ctx) for name, probe in PROBES.items()}
    found = sections.pop("identity")
    identity = found if isinstance(found, Identity) else Identity(collected_at=now, errors=found.errors)
    identity = msgspec.structs.replace(
        identity,
        agent_id=state.agent_id if state else None,
        unit_code=state.unit_code if state else None,
        sequence=sequence,
        collected_at=now,
        transport=transport_of(config, state),
    )
    settings_version = state.settings.version if state is not None and state.settings is not None else None
    return Report(role=effective_role(config, state), identity=identity, settings_version=settings_version,
                  **sections)  # type: ignore[arg-type]


def transport_of(config: AgentConfig, state: AgentState | None) -> Transport | None:
    """How this agent sends: its collector URL's scheme; None for the offline PC or without a collector."""
    server = config.server or (state.server if state else "")
    if effective_role(config, state) is Role.OFFLINE or not server:
        return None
    scheme = server.partition("://")[0].lower()
    return Transport(scheme) if scheme in set(Transport) else None


def run_probe(name: str, probe: Probe, ctx: ProbeContext) -> Section:
    """``probe(ctx)``, or the empty section of that name with the exception as its error."""
    try:
        return probe(ctx)
    except Exception as exc:  # noqa: BLE001 - a broken probe must not stop the report
        log.exception("probe %s raised; its section goes out empty with the error", name)
        error = ProbeError(what=f"probe {name}", reason=describe(exc))
        if name == "identity":
            return Identity(errors=[error], collected_at=ctx.now)
        return SECTION_TYPES[name](errors=[error])
