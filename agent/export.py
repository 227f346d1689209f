"""The offline PC's delivery: a signed report file written to removable media.

The report takes the next sequence number like any other (so the collector stores it once per
(agent, sequence) whichever way it arrives), is signed with the agent's key and written
atomically: the stick holds the whole file or none of it, never a torn one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.config import AgentConfig
from agent.files import write_atomic
from agent.report import build_report
from agent.spool import SpoolWriteError, describe_write_error
from agent.state import StateError, load_state, state_path, take_next_sequence
from agent.wire.fit import fit_report
from agent.wire.media import seal_report
from agent.wire.schema import encode_report

log = logging.getLogger(__name__)

class ExportError(OSError):
    """The report file could not be written; nothing (no partial file) was left behind."""


@dataclass(frozen=True)
class Exported:
    path: Path
    agent_id: str
    sequence: int
    size: int


def report_file_name(agent_id: str, sequence: int) -> str:
    return f"canhgac-{agent_id[:12]}-{sequence:06d}.json"


def export_report(config: AgentConfig, out: Path, now: datetime) -> Exported:
    """Build, number, sign and write one report to ``out`` (a file, or an existing directory
    where it gets its own name). Raises StateError when not enrolled, ExportError when the file
    cannot be written (the sequence number is spent then: numbers are never reused)."""
    state = load_state(config.state_dir)
    if state is None:
        raise StateError(f"not enrolled (no state in {config.state_dir})")
    sequence = reserve_sequence(config.state_dir)
    report, cut = fit_report(build_report(config, state, sequence, now))
    if cut:
        log.warning("report cut to the collector's limits (agent/wire/bounds.py): %s", ", ".join(sorted(set(cut))))
    body = encode_report(report)
    data = seal_report(state.agent_id, state.key, body, int(now.timestamp()))
    path = out / report_file_name(state.agent_id, sequence) if out.is_dir() else out
    write_file(path, data, f"report #{sequence}")
    log.info("report %d exported to %s (%d bytes)", sequence, path, len(data))
    return Exported(path, state.agent_id, sequence, len(data))


def write_file(path: Path, data: bytes, what: str) -> None:
    """Write ``data`` atomically to ``path`` (mode left to the medium); ExportError naming
    ``what`` and the reason, the full-disk case spelled out."""
    try:
        write_atomic(path, data, mode=None)
    except OSError as exc:
        raise ExportError(exc.errno, describe_write_error(exc, path, what)) from exc


def reserve_sequence(state_dir: Path) -> int:
    """take_next_sequence, its disk failure (a full disk) told as a SpoolWriteError."""
    try:
        return take_next_sequence(state_dir)
    except OSError as exc:
        raise SpoolWriteError(exc.errno, describe_write_error(exc, state_path(state_dir),
                                                              "the next report number")) from exc
