"""Group commit for reports: the reports waiting at one moment are ingested in one transaction,
each in its own savepoint, and committed once (collector.intake.ingest does the work of one).

An acknowledgement still means "stored": each report's answer is handed out only after the commit
of the batch that holds it. A report refused inside the batch stores nothing: a refusal found
while checking (a bad signature, an unknown agent, a bad body) before anything is written; a
failure while storing (a conflict, a lock timeout) rolls the batch back and runs it again with each
report in a savepoint of its own (:func:`run_batch`). When the commit fails, every report of the
batch gets a transient error and none is stored, so their agents send them again.

On SQLite the batch takes the write lock as it begins (BEGIN IMMEDIATE): one writer at a time is
SQLite's rule anyway, and a transaction that starts by reading and then writes would have to
wait for, or lose to, a concurrent writer.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from collector.db import Database
from collector.errors import CanhgacError

log = logging.getLogger("canhgac.intake")
T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")

MAX_BATCH = 64
"""Reports in one transaction at most: enough to share one commit among the requests that wait
at full load, few enough that a batch's own latency stays a few milliseconds."""

class StoreUnavailable(CanhgacError):
    """The batch holding the report could not be committed: nothing of it is stored; send again."""

    status = 503
    code = "store_unavailable"
    transient = True


@dataclass(frozen=True)
class ReportJob:
    """One received report as ingest needs it."""

    headers: Mapping[str, str]
    body: bytes
    now: datetime
    via_network: bool | None


def begin_batch(session: Session) -> None:
    """Open the batch's transaction; on SQLite with the write lock taken at once."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def run_batch(db: Database, items: list[T], store: Callable[[Session, C], R],
              check: Callable[[Session, T], C] | None = None,
              finish: Callable[[Session], None] | None = None,
              store_order: Callable[[C], int] | None = None) -> list[R | BaseException]:
    """For each item ``store(session, check(session, item))`` in one transaction committed once,
    then ``finish(session)`` in the same transaction (what the batch does with the items stored:
    judging them); per item its result or the exception it raised, which stores nothing of it.
    When the transaction itself fails, StoreUnavailable for every item.

    ``check`` reads and verifies, never writes (default: the item as it is): a CanhgacError it
    raises refuses the item at no cost. Every item is checked first, then the checked ones are
    stored in the order of ``store_order`` (items of one key in their order): the order in which
    the scan takes machines' rows, so that a batch and a scan never wait on each other in a circle.
    The batch runs first without a savepoint per item (two statements less a report); when a
    ``store`` fails (a conflict, a lock timeout), that attempt is rolled back whole and the batch
    runs again with each item in its own savepoints, so that the failing item alone is refused."""
    checking: Callable[[Session, T], C] = check or (lambda _session, item: item)  # type: ignore[assignment,return-value]
    order: Callable[[C], int] = store_order or (lambda _checked: 0)
    try:
        try:
            return _attempt(db, items, checking, store, order, finish, alone=False)
        except _StoreFailed as failed:
            log.info("a report failed while its batch of %d was stored (%s); storing each alone",
                     len(items), failed.__cause__)
            return _attempt(db, items, checking, store, order, finish, alone=True)
    except SQLAlchemyError as exc:
        log.warning("a batch of %d reports was not committed: %s", len(items), exc)
        return [StoreUnavailable("the collector could not store the report now; send it again")] * len(items)


class _StoreFailed(Exception):
    """An item failed in an attempt without savepoints (other than by check's refusal): the
    transaction may hold part of its writes, or be aborted, so the attempt is given up."""


def _attempt(db: Database, items: list[T], check: Callable[[Session, T], C], store: Callable[[Session, C], R],
             order: Callable[[C], int], finish: Callable[[Session], None] | None,
             alone: bool) -> list[R | BaseException]:
    """One try at the batch: ``alone``: each item's check and store in savepoints of their own."""
    results: list[R | BaseException | None] = [None] * len(items)
    checked: dict[int, C] = {}
    with db.session() as session:
        begin_batch(session)
        for index, item in enumerate(items):
            outcome = _in_savepoint(session, item, check) if alone else _refused_or_checked(session, item, check)
            if isinstance(outcome, BaseException):
                results[index] = outcome
            else:
                checked[index] = outcome
        for index in sorted(checked, key=lambda i: order(checked[i])):  # stable: one key's items in their order
            results[index] = (_in_savepoint(session, checked[index], store) if alone
                              else _stored_or_failed(session, checked[index], store))
        if finish is not None:
            finish(session)
    return results  # type: ignore[return-value]


def _refused_or_checked(session: Session, item: T, check: Callable[[Session, T], C]) -> C | CanhgacError:
    try:
        return check(session, item)
    except CanhgacError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a database error while reading: the transaction may be aborted
        raise _StoreFailed from exc


def _stored_or_failed(session: Session, checked: C, store: Callable[[Session, C], R]) -> R:
    try:
        return store(session, checked)
    except Exception as exc:  # noqa: BLE001 - given up: the batch runs again, each item in a savepoint
        raise _StoreFailed from exc


def _in_savepoint(session: Session, item: T, work: Callable[[Session, T], R]) -> R | BaseException:
    try:
        with session.begin_nested():
            return work(session, item)
    except OperationalError as exc:  # a deadlock or lock timeout against another writer: send again
        log.warning("a report of a batch waited on another writer and was not stored: %s", exc.orig)
        return StoreUnavailable("the collector could not store the report now; send it again")
    except Exception as exc:  # noqa: BLE001 - kept as this item's answer; the others go on
        return exc


class GroupCommitter(Generic[T, R]):
    """``writers`` threads that each run ``handle(items)`` on whatever items are waiting (at most
    ``max_batch``) and hand each submitter its own result, in the order ``handle`` returned them.
    Started by the first ``submit``; ``stop`` lets the waiting items finish. On PostgreSQL the app
    runs ``report_writers`` of them (collector.config) in each of ``serve --workers N`` processes:
    batches in flight take their machines' rows in one order (collector.intake.ingest sorts them)
    and add the names and sections they share in transactions of their own
    (collector.store.shared_rows), so they do not deadlock."""

    def __init__(self, handle: Callable[[list[T]], list[R | BaseException]], max_batch: int = MAX_BATCH,
                 writers: int = 1) -> None:
        self._handle = handle
        self._max_batch = max_batch
        self._writers = writers
        self._queue: queue.SimpleQueue[tuple[T, Future[R]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, item: T) -> Future[R]:
        future: Future[R] = Future()
        self._queue.put((item, future))
        self._ensure_started()
        return future

    def stop(self, timeout_s: float = 30) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)  # one stop mark per writer
        for thread in threads:
            thread.join(timeout_s)

    def _ensure_started(self) -> None:
        with self._lock:
            if not self._threads:
                self._threads = [threading.Thread(target=self._run, name=f"canhgac-group-commit-{i}", daemon=True)
                                 for i in range(self._writers)]
                for thread in self._threads:
                    thread.start()

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            self._answer(batch)

    def _take(self) -> list[tuple[T, Future[R]]] | None:
        """The next batch: blocks for the first item, then takes what is already waiting."""
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                waiting = self._queue.get_nowait()
            except queue.Empty:
                break
            if waiting is None:
                self._queue.put(None)  # a writer's stop mark: left for the next take
                break
            batch.append(waiting)
        return batch

    def _answer(self, batch: list[tuple[T, Future[R]]]) -> None:
        try:
            results = self._handle([item for item, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every waiting request must get an answer
            log.exception("a batch of %d items failed", len(batch))
            results = [exc] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

