"""The agents page: agents older than the collector (program or report schema) and agents running
with older settings than their unit's, within the person's subtree."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from agent import __version__
from agent.wire.schema import SCHEMA_VERSION
from collector.store.agents import outdated_agents
from collector.store.settings import machines_on_old_settings
from server.web.context import Page


@get("/agents", sync_to_thread=True)
def agents(page: NamedDependency[Page]) -> Response[Any]:
    with page.db() as session:
        older = outdated_agents(session, page.me.scope, __version__)
        settings = machines_on_old_settings(session, page.me.scope)
    return page.render("agents.html", older=older, settings=settings, collector_version=__version__,
                       schema_version=SCHEMA_VERSION)


AGENT_PAGE_ROUTES = [agents]
