"""Reports set aside ("held") so that one undeliverable report never stops a PC from reporting.

An entry the collector refuses for what it is (a 4xx that is not about the agent or its clock:
401, nor a rate limit: 429), or that it failed on ``HOLD_AFTER`` times (5xx answers to that very
report), is moved from ``spool/`` to ``spool/held/`` (kept, never deleted silently) and the
reports after it go on. Held entries are tried again less often: once per cycle at most, after a
delay doubling from ``RETRY_BASE_S`` up to ``RETRY_CAP_S``. Each report says how many are held
(``identity.held_reports``), which the collector shows on the machine page and alerts on
(rule ``agent.reports_held``).

``spool/held/book.json`` keeps the counts: failures of entries still in the spool, and for each held
entry its attempts, next try (Unix seconds) and the last refusal. A lost or damaged book costs only
counts: the held files themselves are what counts as held.
"""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec

from agent import spool
from agent.files import ensure_private_dir, fsync_dir, write_atomic
from agent.transport import TransportError

log = logging.getLogger(__name__)

HELD_DIR = "held"
BOOK_NAME = "book.json"
HOLD_AFTER = 3
"""5xx answers to one report (over cycles) before it is set aside."""
RETRY_BASE_S = 3600.0
RETRY_CAP_S = 24 * 3600.0
NOT_ABOUT_THE_REPORT = frozenset({401, 429})
"""Refusals of the agent itself (unknown, revoked, bad signature, clock) or of its pace: every
report would fare alike, so none is set aside for them."""
SEQUENCE_CONFLICT = "sequence_conflict"


class Held(msgspec.Struct):
    attempts: int
    next_try: float
    reason: str


class Book(msgspec.Struct):
    failures: dict[int, int] = {}
    held: dict[int, Held] = {}


# --- the policy (pure) ----------------------------------------------------------------------


def refuses_the_report(error: TransportError) -> bool:
    """True when the collector answered that this report, not the agent, is the problem."""
    return error.status is not None and 400 <= error.status < 500 and error.status not in NOT_ABOUT_THE_REPORT


def fails_on_the_report(error: TransportError) -> bool:
    """True for a 5xx answer: the collector was reached and failed on this report."""
    return error.status is not None and error.status >= 500


def retry_delay(attempts: int) -> float:
    """Seconds before a held entry is tried again after ``attempts`` tries."""
    return min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(0, attempts - 1))


def stored_before(error: TransportError, book: Book, sequence: int) -> bool:
    """A report that failed before and now meets "this sequence was stored with other content": an
    earlier try was stored though its answer was lost or an error, with its shared sections left out
    differently (agent/delivery.py); numbers are never reused, so the collector has this report."""
    return error.code == SEQUENCE_CONFLICT and (sequence in book.failures or sequence in book.held)


# --- the book and the folder (I/O) ----------------------------------------------------------


def held_dir(state_dir: Path) -> Path:
    return spool.spool_dir(state_dir) / HELD_DIR


def book_path(state_dir: Path) -> Path:
    """Beside the held entries (the spool's own folder holds only entries: agent/spool.py)."""
    return held_dir(state_dir) / BOOK_NAME


def load_book(state_dir: Path) -> Book:
    try:
        return msgspec.json.decode(book_path(state_dir).read_bytes(), type=Book)
    except FileNotFoundError:
        return Book()
    except (OSError, msgspec.DecodeError) as exc:
        log.warning("%s is unreadable (%s): counts start again", book_path(state_dir), exc)
        return Book()


def save_book(state_dir: Path, book: Book) -> None:
    """Written atomically; a failure (a full disk) is logged: the counts are not worth a cycle."""
    try:
        ensure_private_dir(held_dir(state_dir))
        write_atomic(book_path(state_dir), msgspec.json.encode(book))
    except OSError as exc:
        log.warning("cannot write %s: %s", book_path(state_dir), exc)


def held_sequences(state_dir: Path) -> list[int]:
    """The held entries on disk, lowest first."""
    directory = held_dir(state_dir)
    if not directory.is_dir():
        return []
    names = (spool.ENTRY_NAME.fullmatch(path.name) for path in directory.glob("*.json"))
    return sorted(int(match.group(1)) for match in names if match)


def held_count(state_dir: Path) -> int:
    return len(held_sequences(state_dir))


def note_failure(state_dir: Path, sequence: int, reason: str, now: float) -> bool:
    """Count a 5xx answer to the spooled entry ``sequence``; True when this one set it aside."""
    book = load_book(state_dir)
    book.failures[sequence] = book.failures.get(sequence, 0) + 1
    if book.failures[sequence] < HOLD_AFTER:
        save_book(state_dir, book)
        return False
    _hold(state_dir, book, sequence, f"{HOLD_AFTER} failures, the last: {reason}", now)
    return True


def hold(state_dir: Path, sequence: int, reason: str, now: float) -> None:
    """Set the spooled entry ``sequence`` aside at once (the collector refused it)."""
    _hold(state_dir, load_book(state_dir), sequence, reason, now)


def _hold(state_dir: Path, book: Book, sequence: int, reason: str, now: float) -> None:
    target = ensure_private_dir(held_dir(state_dir))
    spool.entry_path(state_dir, sequence).replace(target / f"{sequence:012d}.json")
    fsync_dir(spool.spool_dir(state_dir))
    book.failures.pop(sequence, None)
    book.held[sequence] = Held(attempts=1, next_try=now + retry_delay(1), reason=reason[:500])
    save_book(state_dir, book)
    log.warning("report #%d set aside in %s (kept, tried again later): %s", sequence, target, reason)


def delivered(state_dir: Path, sequence: int) -> None:
    """Forget the counts of ``sequence`` and its held file, if any, once acknowledged."""
    book = load_book(state_dir)
    if book.failures.pop(sequence, None) is not None or book.held.pop(sequence, None) is not None:
        save_book(state_dir, book)
    path = held_dir(state_dir) / f"{sequence:012d}.json"
    if path.exists():
        path.unlink()
        fsync_dir(path.parent)


def due(state_dir: Path, now: float) -> list[spool.SpoolEntry]:
    """Held entries whose next try has come, lowest first (an entry without counts is due)."""
    book = load_book(state_dir)
    entries = []
    for sequence in held_sequences(state_dir):
        counts = book.held.get(sequence)
        if counts is None or counts.next_try <= now:
            entry = spool.read_entry(held_dir(state_dir) / f"{sequence:012d}.json")
            if entry is not None:
                entries.append(entry)
    return entries


def tried_again(state_dir: Path, sequence: int, reason: str, now: float) -> None:
    """A held entry failed again: its next try comes later."""
    book = load_book(state_dir)
    attempts = book.held[sequence].attempts + 1 if sequence in book.held else 1
    book.held[sequence] = Held(attempts=attempts, next_try=now + retry_delay(attempts), reason=reason[:500])
    save_book(state_dir, book)
