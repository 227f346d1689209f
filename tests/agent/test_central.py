"""The centre's settings on the agent: taken only signed with its key and newer, laid under the PC's
own configuration (which wins key by key), a bad value left out without stopping the agent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.central import accepted, with_central
from agent.config import Target, make_config
from agent.state import AgentState
from agent.wire.settings import SignedSettings, sign_settings

KEY = "ab" * 32
AT = datetime(2026, 12, 1, tzinfo=UTC)


def _state(version: int | None = None, **values: object) -> AgentState:
    settings = None if version is None else sign_settings(KEY, SignedSettings(version=version, issued_at=AT,
                                                                               values=dict(values)))
    return AgentState(agent_id="a" * 32, key=KEY, server="http://127.0.0.1:1", unit_code="XA", settings=settings)


def _signed(version: int, key: str = KEY) -> SignedSettings:
    return sign_settings(key, SignedSettings(version=version, issued_at=AT, values={"interval_minutes": 30}))


@pytest.mark.parametrize(("have", "offered", "kept"), [
    (None, _signed(1), 1),               # the first ones
    (1, _signed(2), 2),                  # newer
    (2, _signed(1), 2),                  # an older one (a replay) is refused
    (2, _signed(2), 2),
    (1, _signed(3, key="cd" * 32), 1),   # not signed with this agent's key
    (1, None, 1),
])
def test_settings_are_taken_only_signed_and_newer(have: int | None, offered: SignedSettings | None,
                                                  kept: int) -> None:
    state = accepted(_state(have), offered)
    assert state.settings is not None and state.settings.version == kept


def test_the_pcs_own_configuration_wins_key_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANHGAC_PROBE_GATEWAY", raising=False)
    config = make_config(state_dir=tmp_path, probes={"internet_targets": ["127.0.0.1:9"]})
    state = _state(4, internet_targets=["10.9.9.9:443"], dedicated_line_targets=["127.0.0.2:443"],
                   probe_gateway=False, interval_minutes=30)
    central = with_central(config, state)
    assert central.probes.internet_targets == (Target("tcp", "127.0.0.1", 9),)  # the PC's own
    assert central.probes.dedicated_line_targets == (Target("tcp", "127.0.0.2", 443),)  # the centre's
    assert central.probes.probe_gateway is False and central.interval_minutes == 30
    local_interval = make_config(state_dir=tmp_path, interval_minutes="5")
    assert with_central(local_interval, state).interval_minutes == 5
    assert with_central(config, _state(None)) == config


def test_a_bad_value_from_the_centre_is_left_out(tmp_path: Path) -> None:
    config = make_config(state_dir=tmp_path)
    bad = _state(2, dedicated_line_targets=["not a target"])
    assert with_central(config, bad).probes == config.probes
