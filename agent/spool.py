"""The on-disk spool: every report waits here until the collector acknowledged it.

``<state_dir>/spool/<sequence:012d>.json`` holds the exact body that is sent (and signed at
send time). Entries are written atomically and durably before any send is tried, listed in
sequence order, and removed only after an acknowledgement. An entry that cannot be read or
is not a report of the sequence in its name is moved to ``spool/corrupt/`` with a warning,
so one bad file never blocks or crashes the agent.

The spool is bounded in count and bytes (:func:`enforce_bounds`): past either bound the oldest
entries are dropped, each with a warning, never the one just written. A write that fails (a
full disk) raises :class:`SpoolWriteError` and leaves no partial entry behind.
"""

from __future__ import annotations

import errno
import logging
import re
from pathlib import Path
from typing import NamedTuple

import msgspec

from agent.files import ensure_private_dir, fsync_dir, write_atomic

log = logging.getLogger(__name__)

SPOOL_DIR = "spool"
CORRUPT_DIR = "corrupt"
ENTRY_NAME = re.compile(r"(\d{12})\.json")


FULL_DISK = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class SpoolWriteError(OSError):
    """A report could not be written to the spool (e.g. a full disk); no partial entry is left."""


class SpoolEntry(NamedTuple):
    sequence: int
    body: bytes


class _Sequence(msgspec.Struct):
    sequence: int


class _Check(msgspec.Struct):
    """Just enough of a report to tell that an entry is whole and is the one its name says;
    the rest is left to the collector, so entries survive schema additions across upgrades."""

    identity: _Sequence


def spool_dir(state_dir: Path) -> Path:
    return state_dir / SPOOL_DIR


def entry_path(state_dir: Path, sequence: int) -> Path:
    return spool_dir(state_dir) / f"{sequence:012d}.json"


def write(state_dir: Path, sequence: int, body: bytes) -> Path:
    """Store ``body`` as the entry for ``sequence`` (atomic, fsync'ed, 0600); its path.

    Raises SpoolWriteError (an OSError) saying what failed; the entry is then whole or absent.
    """
    path = entry_path(state_dir, sequence)
    try:
        ensure_private_dir(spool_dir(state_dir))
        write_atomic(path, body)
    except OSError as exc:
        raise SpoolWriteError(exc.errno, describe_write_error(exc, path.parent, f"report #{sequence}")) from exc
    return path


def describe_write_error(exc: OSError, where: Path, what: str) -> str:
    """"cannot write <what> to <where>: the disk is full (...); nothing was written", bilingual."""
    reason = exc.strerror or str(exc)
    if exc.errno in FULL_DISK:
        reason = f"the disk is full ({reason})"
    return f"cannot write {what} to {where}: {reason}; nothing was written / không ghi được, ổ đĩa đầy hoặc lỗi"


def entry_sizes(state_dir: Path) -> list[tuple[int, int]]:
    """(sequence, size in bytes) of every well-named entry, lowest sequence first."""
    directory = spool_dir(state_dir)
    if not directory.is_dir():
        return []
    sizes = []
    for path in directory.glob("*.json"):
        match = ENTRY_NAME.fullmatch(path.name)
        if match:
            try:
                sizes.append((int(match.group(1)), path.stat().st_size))
            except FileNotFoundError:
                continue
    return sorted(sizes)


def enforce_bounds(state_dir: Path, max_reports: int, max_bytes: int, keep: int | None = None) -> list[int]:
    """Drop the oldest entries until at most ``max_reports`` entries and ``max_bytes`` bytes
    remain (never the entry ``keep``, the one just written); the sequences dropped, each
    logged as a warning. Nothing is dropped while the spool is within both bounds."""
    sizes = entry_sizes(state_dir)
    count, total = len(sizes), sum(size for _, size in sizes)
    dropped = []
    for sequence, size in sizes:
        if count <= max_reports and total <= max_bytes:
            break
        if sequence == keep:
            continue
        log.warning("spool over its bound (%d reports, %d bytes; at most %d and %d): dropping report #%d, "
                    "the oldest, unsent", count, total, max_reports, max_bytes, sequence)
        remove(state_dir, sequence)
        dropped.append(sequence)
        count, total = count - 1, total - size
    return dropped


def pending(state_dir: Path) -> list[SpoolEntry]:
    """Every entry waiting to be sent, lowest sequence first; [] when there is no spool.

    Unreadable or corrupt entries are moved aside (see module docstring), never returned.
    """
    directory = spool_dir(state_dir)
    if not directory.is_dir():
        return []
    entries = []
    for path in sorted(directory.glob("*.json")):
        entry = read_entry(path)
        if entry is None:
            move_aside(path)
        else:
            entries.append(entry)
    return entries


def read_entry(path: Path) -> SpoolEntry | None:
    """The entry in ``path``, or None (with a warning) when it is not a whole report whose
    identity.sequence matches the file name."""
    match = ENTRY_NAME.fullmatch(path.name)
    try:
        body = path.read_bytes()
        sequence = msgspec.json.decode(body, type=_Check).identity.sequence
    except (OSError, msgspec.DecodeError) as exc:
        log.warning("spool entry %s is unreadable or corrupt (%s); moving it aside", path, exc)
        return None
    if match is None or int(match.group(1)) != sequence:
        log.warning("spool entry %s holds sequence %d; moving it aside", path, sequence)
        return None
    return SpoolEntry(sequence, body)


def move_aside(path: Path) -> None:
    """Move a bad entry into ``spool/corrupt/`` (kept for a person to look at); a failure to
    move it is logged, not raised."""
    target_dir = path.parent / CORRUPT_DIR
    try:
        ensure_private_dir(target_dir)
        path.replace(target_dir / path.name)
        fsync_dir(path.parent)
    except OSError as exc:
        log.warning("cannot move %s to %s: %s", path, target_dir, exc)


def remove(state_dir: Path, sequence: int) -> None:
    """Forget the entry for ``sequence`` once acknowledged; no error if it is already gone."""
    path = entry_path(state_dir, sequence)
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)


def set_aside(state_dir: Path, folder: str) -> int:
    """Move every pending entry into ``spool/<folder>/`` (kept, no longer sent); how many.

    Used when the agent enrolls again: entries of the old agent id can no longer be signed.
    """
    entries = pending(state_dir)
    if not entries:
        return 0
    target = ensure_private_dir(spool_dir(state_dir) / folder)
    for entry in entries:
        entry_path(state_dir, entry.sequence).replace(target / f"{entry.sequence:012d}.json")
    fsync_dir(spool_dir(state_dir))
    return len(entries)
