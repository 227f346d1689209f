"""The centre's agent settings on this PC: accepted only when signed with this agent's key and newer
than the ones it has, kept in the agent's state, and laid under its own configuration (the PC's
TOML file and environment win, key by key). A setting the probes would refuse is left out with a
warning: a bad value sent from the centre never stops the agent."""

from __future__ import annotations

import logging

import msgspec

from agent.config import PROBE_KEYS, AgentConfig, ConfigError, make_probe_settings
from agent.state import AgentState
from agent.wire.settings import SignedSettings, settings_signed_by

log = logging.getLogger(__name__)


def accepted(state: AgentState, settings: SignedSettings | None) -> AgentState:
    """``state`` with ``settings`` when they are signed with its key and newer; ``state`` otherwise."""
    if settings is None:
        return state
    if not settings_signed_by(state.key, settings):
        log.warning("settings version %d refused: not signed with this agent's key", settings.version)
        return state
    if state.settings is not None and settings.version <= state.settings.version:
        return state
    log.info("centre's settings version %d accepted", settings.version)
    return msgspec.structs.replace(state, settings=settings)


def with_central(config: AgentConfig, state: AgentState | None) -> AgentConfig:
    """``config`` with the centre's settings of ``state`` under the keys it was not given locally."""
    if state is None or state.settings is None:
        return config
    central = state.settings.values
    local = config.local_values
    values = {key: central[key] for key in PROBE_KEYS if key in central and key not in local}
    probes = config.probes
    if values:
        try:
            probes = make_probe_settings({**values, **{k: v for k, v in local.items() if k in PROBE_KEYS}})
        except ConfigError as exc:
            log.warning("centre's settings version %d left out: %s", state.settings.version, exc)
            probes = config.probes
    interval = config.interval_minutes
    if "interval_minutes" not in local and isinstance(central.get("interval_minutes"), int | float):
        interval = float(central["interval_minutes"])
    return msgspec.structs.replace(config, probes=probes, interval_minutes=interval)
