"""Crash-safe file writes for the agent's state and spool.

A file written here is either the old content or the new one, never a torn mix: the bytes go
to a temporary file in the same directory, are fsync'ed, renamed over the target with
``os.replace`` (atomic on POSIX and on NTFS), and the directory is fsync'ed so the rename
itself survives a power cut.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing and make it owner-only (0700 on POSIX)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        path.chmod(PRIVATE_DIR_MODE)
    return path


def write_atomic(path: Path, data: bytes, mode: int | None = PRIVATE_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` atomically and durably; the file is owner-only (0600), or
    left with the filesystem's default mode when ``mode`` is None (a FAT USB stick refuses chmod).

    The temporary file starts with a dot and ends in ``.tmp`` so readers of a directory can
    skip one left behind by a crash.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix" and mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable; a no-op where directories cannot be
    opened (Windows), where NTFS metadata journaling covers it."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block, waiting for it.

    Used so that two agent processes (the service and a manual ``run --once``) never read the
    same next sequence number. POSIX: flock; Windows: msvcrt.locking, which retries for about
    10 s and then raises OSError.
    """
    with open(path, "a+b") as handle:
        if os.name == "posix":
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
            return
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        try:
            yield
        finally:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
