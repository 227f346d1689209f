"""The unit tree page: every unit of the person's subtree with its machines and open alerts."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from collector.store.units import unit_tree
from server.web.context import Page


@get("/units", sync_to_thread=True)
def units(page: NamedDependency[Page]) -> Response[Any]:
    with page.db() as session:
        nodes = unit_tree(session, page.me.scope)
    return page.render("units.html", nodes=nodes)


UNIT_ROUTES = [units]
