"""The agent's state file: atomic, owner-only, and sequence numbers never handed out twice."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent import files
from agent.state import AgentState, StateError, load_state, save_state, state_path, take_next_sequence

STATE = AgentState(agent_id="ag-1", key="ab" * 32, server="http://127.0.0.1:1", unit_code="XA", machine_uid="uid")


def test_not_enrolled_is_none(state_dir: Path) -> None:
    assert load_state(state_dir) is None


def test_it_round_trips_and_is_owner_only(state_dir: Path) -> None:
    save_state(state_dir, STATE)
    assert load_state(state_dir) == STATE
    assert stat.S_IMODE(state_path(state_dir).stat().st_mode) == 0o600
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700


def test_the_key_stays_out_of_the_repr() -> None:
    assert STATE.key not in repr(STATE)


def test_sequence_numbers_are_never_reused_across_reloads(state_dir: Path) -> None:
    save_state(state_dir, STATE)
    taken = [take_next_sequence(state_dir) for _ in range(3)]
    assert taken == [1, 2, 3]
    reloaded = load_state(state_dir)
    assert reloaded is not None and reloaded.next_sequence == 4


def test_the_increment_is_on_disk_before_the_number_is_returned(state_dir: Path) -> None:
    save_state(state_dir, STATE)
    sequence = take_next_sequence(state_dir)
    # a process that died right here would restart from what is on disk
    assert state_path(state_dir).read_bytes().count(b'"next_sequence":2') == 1
    assert sequence == 1


def test_two_processes_never_get_the_same_number(state_dir: Path) -> None:
    save_state(state_dir, STATE)
    with ThreadPoolExecutor(max_workers=8) as pool:  # flock excludes per open file, threads too
        taken = list(pool.map(lambda _: take_next_sequence(state_dir), range(80)))
    assert sorted(taken) == list(range(1, 81))


def test_taking_a_sequence_without_enrollment_fails(state_dir: Path) -> None:
    with pytest.raises(StateError, match="not enrolled"):
        take_next_sequence(state_dir)


def test_a_failed_write_leaves_the_old_state_and_no_temp_file(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_state(state_dir, STATE)

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError):
        take_next_sequence(state_dir)
    monkeypatch.undo()
    assert load_state(state_dir) == STATE
    assert [name for name in os.listdir(state_dir) if name.endswith(".tmp")] == []


def test_a_corrupt_state_file_is_a_clear_error(state_dir: Path) -> None:
    save_state(state_dir, STATE)
    state_path(state_dir).write_bytes(b'{"agent_id": ')
    with pytest.raises(StateError, match="not a valid agent state"):
        load_state(state_dir)
