"""The spool: entries in sequence order, removed on acknowledgement, bad ones moved aside."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from agent import spool
from agent.wire.schema import encode_report
from tests.factories import make_report


def body(sequence: int) -> bytes:
    return encode_report(make_report("ag-1", sequence))


def test_an_empty_or_missing_spool_has_nothing_pending(state_dir: Path) -> None:
    assert spool.pending(state_dir) == []


def test_entries_come_back_in_sequence_order_with_their_exact_bytes(state_dir: Path) -> None:
    for sequence in (10, 2, 1):  # 10 after 2 even though "10" < "2" as text
        spool.write(state_dir, sequence, body(sequence))
    entries = spool.pending(state_dir)
    assert [entry.sequence for entry in entries] == [1, 2, 10]
    assert entries[2].body == body(10)
    assert stat.S_IMODE(spool.entry_path(state_dir, 1).stat().st_mode) == 0o600


def test_removed_entries_are_gone_and_removing_twice_is_harmless(state_dir: Path) -> None:
    spool.write(state_dir, 1, body(1))
    spool.write(state_dir, 2, body(2))
    spool.remove(state_dir, 1)
    spool.remove(state_dir, 1)
    assert [entry.sequence for entry in spool.pending(state_dir)] == [2]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("000000000003.json", b'{"identity": {"seq'),  # torn
        ("000000000003.json", b"\xff\xfe garbage"),
        ("000000000003.json", body(4)),  # holds another sequence than its name says
        ("report.json", body(3)),  # not a spool name
    ],
)
def test_a_corrupt_entry_is_moved_aside_with_a_warning(
    state_dir: Path, caplog: pytest.LogCaptureFixture, name: str, content: bytes
) -> None:
    spool.write(state_dir, 1, body(1))
    (spool.spool_dir(state_dir) / name).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="agent.spool"):
        entries = spool.pending(state_dir)
    assert [entry.sequence for entry in entries] == [1]
    assert (spool.spool_dir(state_dir) / spool.CORRUPT_DIR / name).read_bytes() == content
    assert "moving it aside" in caplog.text


def test_leftover_temp_files_are_not_entries(state_dir: Path) -> None:
    spool.write(state_dir, 1, body(1))
    (spool.spool_dir(state_dir) / ".000000000002.json.abc.tmp").write_bytes(b"half")
    assert [entry.sequence for entry in spool.pending(state_dir)] == [1]


def test_set_aside_keeps_entries_out_of_the_send_queue(state_dir: Path) -> None:
    spool.write(state_dir, 1, body(1))
    spool.write(state_dir, 2, body(2))
    assert spool.set_aside(state_dir, "previous-ag-1") == 2
    assert spool.pending(state_dir) == []
    assert len(list((spool.spool_dir(state_dir) / "previous-ag-1").glob("*.json"))) == 2
