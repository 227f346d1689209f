"""What a machine is found by (machines.search_text): taken from the current report at ingest, and
filled by revision 0017a for machines stored before it, from their current state alone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from agent.wire.schema import Hardware, InteractiveUser, Interface, Network, Users, encode_report
from collector.store.machine_search import search_text
from tests.factories import make_report


def _report(**sections: object):  # type: ignore[no-untyped-def]
    report = make_report("a1", 1)
    for name, value in sections.items():
        setattr(report, name, value)
    return report


@pytest.mark.parametrize(("sections", "expected"), [
    ({"hardware": Hardware(serial=" SN-AB12 "),
      "network": Network(interfaces=[Interface(name="eth0", mac="00:1A:2B:3C:4D:5E",
                                               addresses=["192.168.1.21/24", "fe80::1"])]),
      "users": Users(users=[InteractiveUser(name="TANHOA\\Lan.Nguyen")])},
     "sn-ab12 00:1a:2b:3c:4d:5e 192.168.1.21 fe80::1 tanhoa\\lan.nguyen"),
    ({"hardware": None, "network": None}, ""),
    ({"hardware": Hardware(serial="X"), "network": Network(interfaces=[Interface(name="a", mac="x"),
                                                                      Interface(name="b", mac="X")])}, "x"),
])
def test_it_keeps_serial_addresses_and_accounts_once_in_lower_case(sections: dict[str, object],
                                                                    expected: str) -> None:
    assert search_text(_report(**sections)) == expected


def test_it_is_cut_to_the_column(monkeypatch: pytest.MonkeyPatch) -> None:
    many = Network(interfaces=[Interface(name=f"e{i}", addresses=[f"10.0.{i // 250}.{i % 250}"]) for i in range(400)])
    assert len(search_text(_report(network=many))) == 2000


def test_revision_0017a_fills_machines_stored_before_it(db_url: str) -> None:
    from alembic import command

    from collector.db import create_db_engine
    from collector.migrate import alembic_config

    state = encode_report(_report(hardware=Hardware(serial="SN-OLD1"),
                                  network=Network(interfaces=[Interface(name="e", mac="aa:bb:cc:dd:ee:01")]))).decode()
    engine = create_db_engine(db_url)
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0012c")
            connection.execute(text("INSERT INTO units (id, code, name, kind, path, staff_count, created_at) "
                                    "VALUES (1, 'XA', 'UBND xã A', 'commune', '/1/', 0, '2026-11-22 08:00:00')"))
            for machine_id, body in ((1, state), (2, None), (3, json.dumps(["not", "a", "report"]))):
                connection.execute(text(
                    "INSERT INTO machines (id, machine_uid, unit_id, hostname, role, os_name, created_at, "
                    "state_sequence, state_json) VALUES (:id, :uid, 1, 'pc', 'normal', '', "
                    "'2026-11-22 08:00:00', 0, :state)"), {"id": machine_id, "uid": f"u{machine_id}", "state": body})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0017a")
        with engine.connect() as connection:
            found = dict(connection.execute(text("SELECT id, search_text FROM machines ORDER BY id")).all())
        assert found == {1: "sn-old1 aa:bb:cc:dd:ee:01", 2: "", 3: ""}
    finally:
        engine.dispose()
