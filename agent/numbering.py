"""A report's sequence number, taken only once the report is on disk.

The number goes into the report (identity.sequence), so it is chosen first, but it is kept
(``next_sequence`` saved in the state) only after the spool entry was written: a full disk or a
read-only spool directory refuses the entry and uses up no number, so the collector never sees a
gap that is no loss. All of it under the state's lock, so two agent processes never share a number.
"""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec

from agent import holding, spool
from agent.spool import SpoolWriteError, describe_write_error
from agent.state import StateError, load_state, save_state, state_lock, state_path
from agent.wire.schema import Report, encode_report

log = logging.getLogger(__name__)


def spool_numbered(state_dir: Path, report: Report) -> int:
    """Give ``report`` the next number, write it to the spool, then keep the number; the number.

    Raises StateError when not enrolled, SpoolWriteError when the entry or the state cannot be
    written (nothing is left in the spool then, and the number stays free)."""
    if not state_path(state_dir).exists():
        raise StateError(f"not enrolled (no {state_path(state_dir)})")
    with state_lock(state_dir):
        state = load_state(state_dir)
        if state is None:
            raise StateError(f"not enrolled (no {state_path(state_dir)})")
        sequence = max(state.next_sequence, highest_spooled(state_dir) + 1)
        numbered = msgspec.structs.replace(report, identity=msgspec.structs.replace(report.identity,
                                                                                     sequence=sequence))
        spool.write(state_dir, sequence, encode_report(numbered))
        try:
            save_state(state_dir, msgspec.structs.replace(state, next_sequence=sequence + 1))
        except OSError as exc:
            spool.remove(state_dir, sequence)
            raise SpoolWriteError(exc.errno, describe_write_error(exc, state_path(state_dir),
                                                                  "the next report number")) from exc
    return sequence


def highest_spooled(state_dir: Path) -> int:
    """The highest sequence of an entry in the spool or set aside (0: none), so that a number kept
    on disk is never given again even if the state file lost its count."""
    pending = [sequence for sequence, _size in spool.entry_sizes(state_dir)]
    return max([0, *pending, *holding.held_sequences(state_dir)])
