"""Agent settings from the centre (collector side, SQLite and PostgreSQL): inherited down the tree,
versioned, delivered signed with the agent's key in the enrollment answer and in the report's
acknowledgement when the report ran with another version; the previous report schema still stored
and judged; agents behind the collector listed."""

from __future__ import annotations

import msgspec
import pytest
from sqlalchemy import func, select

from agent import __version__
from agent.wire.schema import SCHEMA_VERSION, Antivirus, encode_report
from agent.wire.settings import SignedSettings, settings_signed_by
from collector.errors import InvalidInput
from collector.models.alerts import Alert
from collector.models.audit import AuditEntry
from collector.models.machines import Machine
from collector.store.agents import is_older, outdated_agents, version_key
from collector.store.reorganisation import move_unit
from collector.store.scope import EVERYTHING
from collector.store.settings import effective_settings, set_unit_settings
from collector.store.units import get_unit
from tests.api_world import World
from tests.factories import T0, make_report, signed


def _set(world: World, code: str, unset: tuple[str, ...] = (), **values: object) -> int:
    with world.db.session() as s:
        return set_unit_settings(s, code, dict(values), list(unset), T0, "admin").version


def _enroll(world: World, schema: int | None = SCHEMA_VERSION, uid: str = "uid-1") -> dict[str, object]:
    request: dict[str, object] = {"token": world.tokens["XA-VP"], "machine_uid": uid, "hostname": "pc-01"}
    if schema is not None:
        request["schema_version"] = schema
    response = world.client.post("/api/v1/enroll", json=request)
    assert response.status_code == 201, response.text
    return response.json()


def _report(world: World, agent: dict[str, object], sequence: int, schema: int = SCHEMA_VERSION,
            ran_with: int | None = None) -> dict[str, object]:
    report = msgspec.structs.replace(make_report(str(agent["agent_id"]), sequence, agent_version=__version__),
                                     schema_version=schema,
                                     settings_version=ran_with, antivirus=Antivirus())  # no antivirus: alerts
    body = encode_report(report)
    response = world.client.post("/api/v1/reports", content=body,
                                 headers=signed(str(agent["agent_id"]), str(agent["key"]), body))
    assert response.status_code == 201, response.text
    return response.json()


def test_settings_are_inherited_and_the_nearer_unit_wins(world: World) -> None:
    assert _set(world, "PV", dedicated_line_targets=["10.0.0.10:443"], probe_gateway=False) == 1
    assert _set(world, "XA", probe_gateway=True, interval_minutes=30) == 2
    with world.db.session() as s:
        office = effective_settings(s, get_unit(s, "XA-VP").path)
        other = effective_settings(s, get_unit(s, "XB").path)
        audit = list(s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "unit_settings_changed")))
    assert office.values == {"dedicated_line_targets": ["10.0.0.10:443"], "probe_gateway": True, "interval_minutes": 30}
    assert office.origin == {"dedicated_line_targets": "PV", "probe_gateway": "XA", "interval_minutes": "XA"}
    assert (office.version, other.version, other.values["probe_gateway"]) == (2, 1, False)
    assert audit[0].startswith("version 1: dedicated_line_targets=")
    assert _set(world, "XA", unset=("probe_gateway",)) == 3
    with world.db.session() as s:
        assert effective_settings(s, get_unit(s, "XA-VP").path).values["probe_gateway"] is False


@pytest.mark.parametrize(("values", "unset", "match"), [
    ({"command": "rm -rf /"}, (), "not an agent setting"),
    ({"internet_targets": ["http://x"]}, (), "HOST:PORT"),
    ({"probe_gateway": "yes"}, (), "true or false"),
    ({"interval_minutes": 0}, (), "between 1 and 1440"),
    ({}, ("colour",), "not an agent setting"),
])
def test_a_setting_that_is_not_one_is_refused(world: World, values: dict[str, object], unset: tuple[str, ...],
                                              match: str) -> None:
    with pytest.raises(InvalidInput, match=match), world.db.session() as s:
        set_unit_settings(s, "XA", values, list(unset), T0, "admin")
    assert world.count("unit_settings") == 0


def test_the_enrollment_answer_carries_the_settings_to_an_agent_that_reads_them(world: World) -> None:
    _set(world, "XA", internet_targets=["dns.google:443"])
    new = _enroll(world)
    settings = msgspec.convert(new["settings"], SignedSettings)
    assert settings.values == {"internet_targets": ["dns.google:443"]} and settings.version == 1
    assert settings_signed_by(str(new["key"]), settings)
    assert not settings_signed_by("ab" * 32, settings)
    old = _enroll(world, schema=None, uid="uid-2")  # an agent of schema 1 refuses unknown fields
    assert set(old) == {"agent_id", "key", "unit_code", "machine_id"}


def test_an_acknowledgement_brings_settings_when_the_report_ran_with_others(world: World) -> None:
    agent = _enroll(world, schema=None)
    assert "settings" not in _report(world, agent, 1, ran_with=None)  # nothing set at the centre yet
    version = _set(world, "XA-VP", backup_folders=["D:\\SaoLuu"])
    ack = _report(world, agent, 2, ran_with=None)
    settings = msgspec.convert(ack["settings"], SignedSettings)
    assert settings.version == version and settings_signed_by(str(agent["key"]), settings)
    assert "settings" not in _report(world, agent, 3, ran_with=version)  # up to date: nothing more
    with world.db.session() as s:
        move_unit(s, "XA-VP", "XB", T0, "admin")  # a move changes the chain: a newer version
    assert msgspec.convert(_report(world, agent, 4, ran_with=version)["settings"], SignedSettings).version > version


def test_a_report_of_the_previous_schema_is_stored_and_judged_without_settings(world: World) -> None:
    _set(world, "XA", internet_targets=["dns.google:443"])
    agent = _enroll(world, schema=None)
    ack = _report(world, agent, 1, schema=SCHEMA_VERSION - 1)
    assert set(ack) == {"agent_id", "sequence", "status"} and ack["status"] == "stored"
    with world.db.session() as s:
        machine = s.scalar(select(Machine))
        assert machine is not None and machine.report_schema == SCHEMA_VERSION - 1 and machine.state_sequence == 1
        judged = s.scalar(select(func.count()).select_from(Alert).where(Alert.machine_id == machine.id))
    assert judged  # the built-in rules ran on it (no antivirus in this report)
    with world.db.session() as s:
        older = outdated_agents(s, EVERYTHING, __version__)
    assert [a.report_schema for a in older] == [SCHEMA_VERSION - 1]


@pytest.mark.parametrize(("agent", "schema", "collector", "older"), [
    ("0.1.0", SCHEMA_VERSION, "0.1.0", False),
    ("0.0.9", SCHEMA_VERSION, "0.1.0", True),
    ("0.2.0", SCHEMA_VERSION, "0.1.0", False),
    ("0.1.0", SCHEMA_VERSION - 1, "0.1.0", True),
    ("", SCHEMA_VERSION, "0.1.0", True),      # unreadable: cannot be shown to be current
    ("0.10.0", SCHEMA_VERSION, "0.9.1", False),  # numbers, not text
])
def test_which_agents_are_older_than_the_collector(agent: str, schema: int, collector: str, older: bool) -> None:
    assert is_older(agent, schema, collector) is older
    assert version_key("0.10.0") == (0, 10, 0)
