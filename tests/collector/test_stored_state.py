"""A stored state read back for the scan (collector.store.stored_state): the same report as the
strict decoding gives, of the report's own types, with the wire bounds not checked again (they were
when it arrived) but unknown fields and wrong types still refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import msgspec
import pytest

from agent.wire.schema import Identity, Report, decode_report, encode_report
from collector.store.stored_state import decode_state
from server.demo_fleet import demo_machines, demo_report
from tests.factories import report_body, with_field

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_a_stored_state_reads_back_as_the_report_it_was() -> None:
    rng = random.Random(3)
    for number, machine in enumerate(demo_machines()):
        body = encode_report(demo_report(machine, f"agent-{number}", 7, NOW, rng))
        strict, stored = decode_report(body), decode_state(body)
        assert isinstance(stored, Report) and isinstance(stored.identity, Identity)
        assert msgspec.to_builtins(stored) == msgspec.to_builtins(strict)
        assert encode_report(stored) == body


def test_bounds_are_not_checked_again_but_unknown_fields_and_types_are() -> None:
    long_name = with_field(report_body("a", 1), ["identity", "hostname"], "x" * 300)  # Name: 255 at most
    with pytest.raises(msgspec.ValidationError):
        decode_report(long_name)
    assert decode_state(long_name).identity.hostname == "x" * 300
    for path, value in ((["identity", "surprise"], 1), (["identity", "sequence"], "one"), (["role"], "router")):
        with pytest.raises(msgspec.DecodeError):
            decode_state(with_field(report_body("a", 1), path, value))
    with pytest.raises(msgspec.DecodeError):
        decode_state("")
