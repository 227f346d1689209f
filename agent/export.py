"""The offline PC's delivery: a signed report file written to removable media.

The report takes the next sequence number like any other (so the collector stores it once per
(agent, sequence) whichever way it arrives), is signed with the agent's key and written
atomically: the stick holds the whole file or none of it, never a torn one.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.config import AgentConfig
from agent.files import write_atomic
from agent.media import seal_report
from agent.report import build_report
from agent.schema import encode_report
from agent.state import StateError, load_state, take_next_sequence

log = logging.getLogger(__name__)

FULL_DISK = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


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
    sequence = take_next_sequence(config.state_dir)
    body = encode_report(build_report(config, state, sequence, now))
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


def describe_write_error(exc: OSError, path: Path, what: str) -> str:
    """"cannot write <what> to <path>: the disk is full (...); nothing was written"."""
    reason = exc.strerror or str(exc)
    if exc.errno in FULL_DISK:
        reason = f"the disk is full ({reason})"
    return f"cannot write {what} to {path}: {reason}; nothing was written / không ghi được, đĩa không đổi"
