"""Memory housekeeping for the scheduled scan's long passes over every machine."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for the block (as it was after it). For a pass that
    allocates many objects and keeps them a while (a chunk of decoded reports, their facts and
    findings) without making cycles: each collection it would trigger walks every object still
    alive, the pass's and the scan's (measured: a quarter of a full scan's CPU). Refcounting
    still frees everything the pass drops."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
