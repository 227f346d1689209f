"""Agent keys at rest (issue 14.6): sealed in the database under a secret kept apart from it, so a
copied database cannot sign reports; a lost secret is a clear error; the plain keys of a database
from before revision 0010 are sealed as the collector starts (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, text

from canhgac.cli import main
from collector.agent_keys import SECRET_ENV, SECRET_FILE, AgentKeysUnavailable, AgentKeyVault, is_plain
from collector.db import Database, create_db_engine, open_database
from collector.migrate import alembic_config
from collector.models.enrollment import Agent
from collector.store.agent_keys import check_and_seal
from collector.store.reports import find_agent
from collector.store.units import add_unit
from tests.api_world import World
from tests.factories import T0, report_body, signed

KEY = "ab" * 32


def stored_key(world: World, agent_id: str) -> str:
    with world.db.session() as session:
        return str(session.scalar(select(Agent.key).where(Agent.id == agent_id)))


def post_report(world: World, agent: dict[str, str], sequence: int) -> tuple[int, str]:
    body = report_body(agent["agent_id"], sequence)
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body))
    return response.status_code, response.json().get("error", response.json().get("status", ""))


def test_the_database_holds_no_agent_key_in_clear(world: World, tmp_path: Path) -> None:
    agent = world.enroll()
    stored = stored_key(world, agent["agent_id"])
    assert stored.startswith("k1.") and agent["key"] not in stored and not is_plain(stored)
    assert post_report(world, agent, 1) == (201, "stored")  # and it still verifies reports
    secret = world.db.agent_keys.path
    assert secret.name == SECRET_FILE and stat.S_IMODE(secret.stat().st_mode) == 0o600
    if world.db.engine.url.get_backend_name() == "sqlite":
        assert secret.parent == Path(str(world.db.engine.url.database)).resolve().parent
        raw = Path(str(world.db.engine.url.database)).read_bytes()
        assert agent["key"].encode() not in raw and bytes.fromhex(agent["key"]) not in raw


def test_a_copied_sqlite_file_cannot_open_the_keys(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    db = open_database(f"sqlite:///{origin / 'canhgac.db'}")
    with db.session() as session:
        add_unit(session, "PV", "Tỉnh", "province", T0)
        session.execute(text("INSERT INTO machines (id, machine_uid, unit_id, hostname, role, os_name, created_at, "
                             "state_sequence) VALUES (1, 'u', 1, 'h', 'normal', '', :t, 0)"), {"t": T0.isoformat()})
        session.add(Agent(id="a" * 32, machine_id=1, key=db.agent_keys.seal("a" * 32, KEY, may_create=lambda: True),
                          created_at=T0))
    db.dispose()
    (tmp_path / "copy").mkdir()
    shutil.copy(origin / "canhgac.db", tmp_path / "copy" / "canhgac.db")
    copied = open_database(f"sqlite:///{tmp_path / 'copy' / 'canhgac.db'}")
    with pytest.raises(AgentKeysUnavailable) as lost, copied.session() as session:
        find_agent(session, "a" * 32)
    copied.dispose()
    assert lost.value.code == "agent_keys_lost" and lost.value.status == 503
    assert "restore that file from the collector's backup" in lost.value.detail
    assert not (tmp_path / "copy" / SECRET_FILE).exists()  # never made up: that would hide the loss


def test_a_sealed_key_copied_onto_another_agents_row_does_not_open(tmp_path: Path) -> None:
    vault = AgentKeyVault(tmp_path / SECRET_FILE)
    sealed = vault.seal("agent-1", KEY, may_create=lambda: True)
    assert vault.open("agent-1", sealed) == KEY
    with pytest.raises(AgentKeysUnavailable, match="does not open"):
        vault.open("agent-2", sealed)


def test_the_secret_may_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "cd" * 32)
    vault = AgentKeyVault(tmp_path / SECRET_FILE)
    sealed = vault.seal("agent-1", KEY)
    assert vault.open("agent-1", sealed) == KEY and not (tmp_path / SECRET_FILE).exists()
    monkeypatch.setenv(SECRET_ENV, "ef" * 32)
    with pytest.raises(AgentKeysUnavailable, match=f"but {SECRET_ENV} holds key"):
        AgentKeyVault(tmp_path / SECRET_FILE).open("agent-1", sealed)
    monkeypatch.setenv(SECRET_ENV, "not hex")
    with pytest.raises(AgentKeysUnavailable, match="64 hex characters"):
        AgentKeyVault(tmp_path / SECRET_FILE).seal("agent-1", KEY)


def test_reports_get_a_503_while_the_secret_is_lost_and_land_once_it_is_back(world: World) -> None:
    agent = world.enroll()
    secret = world.db.agent_keys.path
    kept = secret.read_bytes()
    secret.unlink()
    world.db.agent_keys._secret = None  # as a collector started without the file would be
    assert post_report(world, agent, 1) == (503, "agent_keys_lost")  # the agent keeps it in its spool
    with pytest.raises(AgentKeysUnavailable), world.db.session() as session:
        check_and_seal(session)  # what serve and import run first: they refuse to start
    assert not secret.exists()
    secret.write_bytes(kept)
    assert post_report(world, agent, 1) == (201, "stored")


def test_serve_and_import_refuse_to_start_without_the_secret(world: World, db_url: str, tmp_path: Path) -> None:
    world.enroll()
    world.db.agent_keys.path.unlink()
    for args in (["serve", "--port", "0"], ["import", str(tmp_path / "none.json")]):
        result = CliRunner().invoke(main, [*args, "--db", db_url, "--data-dir", str(tmp_path)])
        assert result.exit_code == 1, (args, result.output)
        assert "agent keys in the database are sealed under key" in result.output
        assert "khôi phục tệp khóa" in result.output


def test_plain_keys_of_an_older_database_are_sealed_as_the_collector_starts(db_url: str, tmp_path: Path) -> None:
    engine = create_db_engine(db_url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO units (id, code, name, kind, path, staff_count, created_at) "
                                "VALUES (1, 'XA', 'Xã A', 'commune', '/1/', 3, :t)"), {"t": T0})
        connection.execute(text("INSERT INTO machines (id, machine_uid, unit_id, hostname, role, os_name, created_at, "
                                "state_sequence) VALUES (1, 'uid-1', 1, 'pc-01', 'normal', '', :t, 0)"), {"t": T0})
        connection.execute(text("INSERT INTO agents (id, machine_id, key, created_at) VALUES (:a, 1, :k, :t)"),
                           {"a": "a" * 32, "k": KEY, "t": T0})
    engine.dispose()
    result = CliRunner().invoke(main, ["import", str(tmp_path / "none.json"), "--db", db_url,
                                       "--data-dir", str(tmp_path)])
    assert "none.json" in result.output  # it started (and refused the missing file)
    db = open_database(db_url, data_dir=tmp_path)
    with db.session() as session:
        stored = session.scalar(select(Agent.key))
        opened = find_agent(session, "a" * 32)
        again = check_and_seal(session)
        sealed_audit = session.execute(text("SELECT detail FROM audit_log WHERE action = 'agent_keys_sealed'")).all()
    db.dispose()
    assert stored is not None and stored.startswith("k1.") and opened is not None and opened.key == KEY
    assert (again.sealed, again.newly_sealed) == (1, 0)
    assert len(sealed_audit) == 1 and "1 plain agent key(s) sealed" in sealed_audit[0][0]


def test_a_database_without_sealed_keys_opens_without_making_a_secret(tmp_path: Path) -> None:
    db = Database(create_db_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    from collector.migrate import upgrade_to_head

    upgrade_to_head(db.engine)
    with db.session() as session:
        assert check_and_seal(session).sealed == 0
    db.dispose()
    assert not (tmp_path / SECRET_FILE).exists()
