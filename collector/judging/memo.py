"""Values that change rarely (unit chains, licence terms, settings), read once per batch of
reports (collector.intake.batch) rather than once per report.

The invalidation rule is the transaction's: the values live in the session's ``info`` and end
with the session, so a batch uses what its transaction read at the first report that needed it,
as if the batch's reports had been stored one after another before any later change."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "canhgac.batch_memo"


def memo(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per session for ``key``."""
    cache: dict[Hashable, Any] = session.info.setdefault(_KEY, {})
    if key not in cache:
        cache[key] = compute()
    return cast(T, cache[key])
