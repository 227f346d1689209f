"""The SQL statements a piece of work sends, for tests that count round trips or check their order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from collector.db import Database


@contextmanager
def statements_sent(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Inside the block, every (statement, parameters) that ``db``'s engine sends, in order."""
    sent: list[tuple[str, Any]] = []

    def seen(_conn: object, _cursor: object, statement: str, parameters: Any, *_args: object) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
