"""The one clock every part reads: UTC, timezone-aware.

Code calls ``clock.utcnow()`` through this module (``from agent.wire import clock``), never a
copy of the function, so that a test freezes every reader at once by replacing ``utcnow`` here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)
