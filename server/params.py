"""The bounds of path and query parameters, shared by the API and the dashboard: ids fit the
INTEGER columns they look up, offsets stay within what a page can reach, unit codes and texts hold
no NUL (PostgreSQL refuses it) and fit their columns. Past a bound: 400 naming the parameter."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from agent.wire.bounds import INT32_MAX, NO_NUL

RowId = Annotated[int, Parameter(ge=1, le=INT32_MAX)]
"""A row's id in a path (/machines/{id}, /alerts/{id}/ack...)."""
Limit = Annotated[int, Parameter(ge=1, le=1000)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]
UnitCode = Annotated[str, Parameter(min_length=1, max_length=64, pattern=NO_NUL)]
"""A unit's code in a path."""
UnitFilter = Annotated[str | None, Parameter(max_length=64, pattern=NO_NUL)]
"""?unit=CODE: the subtree to show (None: the person's whole scope)."""
SearchText = Annotated[str, Parameter(max_length=255, pattern=NO_NUL)]
Word = Annotated[str, Parameter(max_length=64, pattern=NO_NUL)]
"""A short choice or slug in a query or path (a status, an indicator, an action)."""
Year = Annotated[int | None, Parameter(ge=1, le=9999)]
"""A year (?period=): within what a date holds; the handlers say which years they report (422)."""
UserName = Annotated[str, Parameter(min_length=1, max_length=128, pattern=NO_NUL)]
