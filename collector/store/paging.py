"""Pages of a list, counted and cut in SQL: every list a person reads is paged the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    total: int
    page: int
    pages: int


def paged(items: list[T], total: int, page: int) -> Paged[T]:
    return Paged(items=items, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)))


def offset_of(page: int) -> int:
    return (page - 1) * PAGE_SIZE
