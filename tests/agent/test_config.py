"""AgentConfig: defaults, the platform's state directory, and failing fast on bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ConfigError, default_state_dir, make_config
from agent.wire.schema import Role


def test_defaults_are_fifteen_minutes_ten_seconds_normal_role(tmp_path: Path) -> None:
    config = make_config(state_dir=tmp_path)
    assert (config.interval_minutes, config.timeout_s, config.role, config.server) == (15.0, 10.0, Role.NORMAL, None)


def test_values_from_toml_or_environment_are_converted(tmp_path: Path) -> None:
    config = make_config(state_dir=str(tmp_path), server="https://collector.xa.local:8470/", role="OFFLINE",
                         interval_minutes="5", timeout_s=2)
    assert config.server == "https://collector.xa.local:8470"
    assert (config.role, config.interval_minutes, config.timeout_s) == (Role.OFFLINE, 5.0, 2.0)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("server", "collector.xa.local"),  # no scheme
        ("server", "ftp://collector"),
        ("server", "http://"),
        ("role", "secret"),
        ("interval_minutes", "0"),
        ("interval_minutes", "soon"),
        ("interval_minutes", True),
        ("timeout_s", -1),
        ("timeout_s", float("nan")),
    ],
)
def test_a_bad_value_fails_naming_key_and_value(tmp_path: Path, key: str, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(state_dir=tmp_path, **{key: value})  # type: ignore[arg-type]
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key} = {value!r}")


def test_the_state_dir_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANHGAC_AGENT_DIR", str(tmp_path / "x"))
    assert default_state_dir() == tmp_path / "x"
    assert make_config().state_dir == tmp_path / "x"


def test_the_state_dir_follows_the_platform_convention(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CANHGAC_AGENT_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    expected = Path("/var/lib/canhgac/agent") if _is_root() else tmp_path / "canhgac" / "agent"
    assert default_state_dir() == expected


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
