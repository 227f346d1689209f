"""The overview of a unit (the top of the person's subtree by default): readiness per child unit
against targets, the headline figures, open alerts by severity and the latest ones."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from collector.store.alerts import SEVERITIES, alert_counts, recent_alerts
from collector.store.readiness_report import readiness_table
from collector.store.units import get_unit, top_unit, unit_trail
from rules.lifecycle import AlertStatus
from server.params import UnitCode
from server.web import kept_readiness_counts
from server.web.context import Page

HEADLINE = ("av_installed", "av_licensed", "av_up_to_date", "os_activated", "backup_within_policy",
            "machines_internet", "units_dedicated_line", "computers_per_official")


@get("/", sync_to_thread=True)
def overview(page: NamedDependency[Page]) -> Response[Any]:
    return _unit_page(page, None)


@get("/units/{code:str}", sync_to_thread=True)
def unit_page(page: NamedDependency[Page], code: FromPath[UnitCode]) -> Response[Any]:
    return _unit_page(page, code)


def _unit_page(page: Page, code: str | None) -> Response[Any]:
    with page.db() as session:
        unit = get_unit(session, code, page.me.scope) if code else top_unit(session, page.me.scope)
        trail = unit_trail(session, unit, page.me.scope)
        counts = alert_counts(session, page.me.scope, unit.path)
        recent = recent_alerts(session, page.me.scope, unit.path, open_counts=counts[AlertStatus.OPEN])
        table = readiness_table(session, page.me.scope, unit.code, page.state.clock(), page.state.rules.indicators,
                                counts=kept_readiness_counts(page.request.app))
    indicators = {info.id: info for info in table.indicators}
    headline = [indicators[i] for i in HEADLINE if i in indicators]
    return page.render("overview.html", table=table, trail=trail, counts=counts, severities=SEVERITIES,
                       recent=recent, headline=headline)


OVERVIEW_ROUTES = [overview, unit_page]
