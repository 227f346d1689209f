"""The machine's state (the whole last report, rewritten by every report) is compressed with lz4
on PostgreSQL (revision 0022): cheaper to write and to read back than the default pglz."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from agent.wire.schema import Program, Software, encode_report
from tests.api_world import World
from tests.factories import make_report, signed


def test_a_machine_state_is_stored_with_lz4_on_postgresql(world: World) -> None:
    if world.db.engine.dialect.name != "postgresql":
        pytest.skip("column compression is PostgreSQL's")
    agent = world.enroll()
    report = make_report(agent["agent_id"], 1)
    report.software = Software(programs=[Program(name=f"Chương trình {i:03d} (x64)", version=f"{i}.0")
                                         for i in range(150)])  # a state past the 2 KB PostgreSQL compresses from
    body = encode_report(report)
    assert world.client.post("/api/v1/reports", content=body,
                             headers=signed(agent["agent_id"], agent["key"], body)).status_code == 201
    with world.db.engine.connect() as connection:
        methods = connection.execute(text("SELECT enumvals FROM pg_settings "
                                          "WHERE name = 'default_toast_compression'")).scalar() or []
        if "lz4" not in methods:
            pytest.skip("this PostgreSQL is built without lz4: the state keeps pglz")
        state = connection.execute(text("SELECT pg_column_compression(state_json), state_json FROM machines "
                                        "WHERE state_sequence = 1")).one()
    assert state[0] == "lz4" and state[1] == body.decode()
