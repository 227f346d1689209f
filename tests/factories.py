"""Small factories for tests: reports, signed requests, a settable clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from agent.wire.schema import Hardware, Identity, Interface, Network, Report, encode_report
from agent.wire.signing import signed_headers

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@dataclasses.dataclass
class FrozenClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_report(agent_id: str, sequence: int, **identity: Any) -> Report:
    fields: dict[str, Any] = {"agent_id": agent_id, "sequence": sequence, "machine_uid": "uid-1",
                              "hostname": "pc-01", "os_name": "Windows", "os_version": "11",
                              "collected_at": T0 - timedelta(seconds=5)}
    fields.update(identity)
    return Report(
        identity=Identity(**fields),
        hardware=Hardware(manufacturer="Dell Inc.", model="OptiPlex 3080", ram_bytes=8 * 2**30),
        network=Network(interfaces=[Interface(name="Ethernet", mac="00:11:22:33:44:55", is_up=True)]),
    )


def signed(agent_id: str, key: str, body: bytes, at: datetime = T0) -> dict[str, str]:
    headers = signed_headers(agent_id, key, int(at.timestamp()), body)
    headers["Content-Type"] = "application/json"
    return headers


def report_body(agent_id: str, sequence: int, **identity: Any) -> bytes:
    return encode_report(make_report(agent_id, sequence, **identity))


def with_field(body: bytes, path: list[str], value: Any) -> bytes:
    """The report JSON with one field replaced (to build bodies the schema must refuse)."""
    data = msgspec.json.decode(body)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return msgspec.json.encode(data)
