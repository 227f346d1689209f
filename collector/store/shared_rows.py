"""Rows that many reports share (product names, report sections and their sets), added in a
transaction of their own on PostgreSQL.

Two batches of reports in flight (collector.intake.batch: several writers on PostgreSQL) that
both bring the same new name would otherwise wait on each other's uncommitted row, and deadlock
when each holds one the other wants. Committed at once, such a row is seen by every transaction
at its next statement. A row added for a batch that then rolls back stays, unused, as the name
of an uninstalled program does; the thinning (collector.store.report_sections.forget_unused) does
not see such a set or section, since it looks at the sets of the reports it deletes: rare (a
batch that could not commit) and small.

On SQLite one writer holds the whole database while its batch runs: a second connection would
wait for it, so the rows are added in the session's own transaction there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


@contextmanager
def shared_rows(session: Session) -> Iterator[Session | Connection]:
    """Where to add shared rows: a connection whose transaction commits when the block ends
    (PostgreSQL, a session bound to an engine), else ``session`` itself."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        yield session
        return
    with bind.begin() as own:
        yield own
