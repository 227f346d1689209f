"""Agent settings from the centre and hash-only sections, every part a real process: a real
`canhgac serve`, the real agent commands. The dedicated-line target set at the province reaches the
agent with its enrollment, the agent probes it (a listener of this test on loopback), a change at
the centre comes back with the next acknowledgement, the PC's own TOML file still wins, and an
unchanged program list travels as its hash."""

from __future__ import annotations

import json
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.state import load_state
from collector.db import create_db_engine
from collector.models.machines import Machine
from collector.models.reports import StoredReport
from tests.system.conftest import Server, canhgac, free_port

pytestmark = pytest.mark.system


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections (the 'dedicated line' target)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def _machine(db_url: str) -> tuple[int | None, str]:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(select(Machine.settings_version, Machine.state_json)).one()
            return row[0], row[1]
    finally:
        engine.dispose()


def _stored_bodies(db_url: str) -> list[bytes]:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            return [zlib.decompress(b) for b in connection.execute(
                select(StoredReport.body_zlib).order_by(StoredReport.sequence)).scalars()]
    finally:
        engine.dispose()


def _reached(state_json: str) -> dict[str, bool]:
    return {r["target"]: r["reachable"] for r in json.loads(state_json)["network"]["reachability"]}


def test_settings_set_at_the_province_reach_and_steer_the_agent(server: Server, tmp_path: Path,
                                                               listener: int) -> None:
    db = {"CANHGAC_DB": server.db_url}
    ok(canhgac("units", "add", "PV", "--name", "Tỉnh Thử", "--kind", "province", env=db))
    ok(canhgac("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", "--parent", "PV", env=db))
    ok(canhgac("units", "config", "PV", "--set", f"dedicated_line_targets=127.0.0.1:{listener}", env=db))
    token = ok(canhgac("tokens", "create", "--unit", "XA", env=db)).strip()
    state_dir = tmp_path / "agent"
    ok(canhgac("agent", "enroll", "--server", server.url, "--token", token, "--state-dir", str(state_dir)))
    state = load_state(state_dir)
    assert state is not None and state.settings is not None and state.settings.version == 1

    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    version, state_json = _machine(server.db_url)
    assert version == 1 and _reached(state_json) == {f"127.0.0.1:{listener}": True}

    # A change at the centre: the next acknowledgement brings it; the report after runs with it.
    closed_port = free_port()
    ok(canhgac("units", "config", "XA", "--set", f"internet_targets=127.0.0.1:{closed_port}", env=db))
    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    state = load_state(state_dir)
    assert state is not None and state.settings is not None and state.settings.version == 2
    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    version, state_json = _machine(server.db_url)
    assert version == 2
    assert _reached(state_json) == {f"127.0.0.1:{listener}": True, f"127.0.0.1:{closed_port}": False}

    # The PC's own file wins over the centre for the key it sets.
    config = tmp_path / "canhgac.toml"
    config.write_text(f'[agent]\ninternet_targets = ["127.0.0.1:{listener}"]\n', encoding="utf-8")
    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir), "--config", str(config)))
    _version, state_json = _machine(server.db_url)
    assert _reached(state_json) == {f"127.0.0.1:{listener}": True}

    # Reports after the first sent the unchanged shared sections as their hash only.
    bodies = _stored_bodies(server.db_url)
    assert b'"unchanged":{}' in bodies[0]
    assert all(b'"unchanged":{"' in body for body in bodies[1:])
