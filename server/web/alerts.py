"""The alerts pages: the filterable list, one alert with its history, and acknowledging it with a comment."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from collector.errors import CanhgacError, InvalidInput
from collector.store.alerts import (
    SEVERITIES,
    STATUSES,
    AlertOrder,
    ack_alert,
    alert_history,
    alerts_page,
    get_alert,
    list_alerts,
)
from collector.store.machine_list import EXPORT_LIMIT
from rules.lifecycle import AlertStatus
from rules.model import Severity
from server.list_exports import alerts_sheet
from server.params import RowId, UnitFilter, Word
from server.web.context import Form, Page, PageNumber
from server.web.downloads import download
from server.web.i18n import VIETNAM, moment

ALL = "all"
"""The status filter that shows every alert."""


def status_filter(value: str) -> AlertStatus | None:
    """``?status=``: one status, or ``all`` (None)."""
    if value == ALL:
        return None
    try:
        return AlertStatus(value)
    except ValueError:
        raise CanhgacError(f"status {value!r}: one of {', '.join((*STATUSES, ALL))}", code="invalid_filter") from None


@get("/alerts", sync_to_thread=True)
def alerts(page: NamedDependency[Page], status: FromQuery[Word] = AlertStatus.OPEN,
           severity: FromQuery[Severity | None] = None, unit: FromQuery[UnitFilter] = None,
           p: PageNumber = 1) -> Response[Any]:
    with page.db() as session:
        result = alerts_page(session, page.me.scope, status_filter(status), severity, unit or None, p)
    return page.render("alerts.html", result=result, chosen=status, severity=severity or "", unit=unit or "",
                       statuses=STATUSES, severities=SEVERITIES, all=ALL)


@get("/alerts.csv", sync_to_thread=True)
def alerts_csv(page: NamedDependency[Page], status: FromQuery[str] = AlertStatus.OPEN,
               severity: FromQuery[Severity | None] = None, unit: FromQuery[str | None] = None) -> Response[Any]:
    return _export(page, "csv", status, severity, unit)


@get("/alerts.xlsx", sync_to_thread=True)
def alerts_xlsx(page: NamedDependency[Page], status: FromQuery[str] = AlertStatus.OPEN,
                severity: FromQuery[Severity | None] = None, unit: FromQuery[str | None] = None) -> Response[Any]:
    return _export(page, "xlsx", status, severity, unit)


def _export(page: Page, kind: str, status: str, severity: Severity | None, unit: str | None) -> Response[Any]:
    """Every alert the page's filters find (not only its page), in the page's order."""
    now = page.state.clock()
    with page.db() as session:
        rows, _ = list_alerts(session, page.me.scope, status_filter(status), unit or None, EXPORT_LIMIT, 0, severity,
                              AlertOrder.SEVERITY)
    return download(alerts_sheet(rows, f"Cảnh báo, xuất lúc {moment(now)}"), kind,
                    f"canh-bao-{now.astimezone(VIETNAM):%Y%m%d-%H%M}")


@get("/alerts/{alert_id:int}", sync_to_thread=True)
def alert(page: NamedDependency[Page], alert_id: FromPath[RowId]) -> Response[Any]:
    with page.db() as session:
        row = get_alert(session, page.me.scope, alert_id)
        history = alert_history(session, alert_id)
    return page.render("alert.html", alert=row, history=history)


@post("/alerts/{alert_id:int}/ack", sync_to_thread=True)
def acknowledge(page: NamedDependency[Page], alert_id: FromPath[RowId], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    comment = data.get("comment", "").strip()
    with page.db() as session:
        get_alert(session, page.me.scope, alert_id)  # 404 outside the scope comes before 403 for viewers
        page.require_officer()
        if not comment or len(comment) > 2000:
            raise InvalidInput("a comment of 1 to 2000 characters is needed", code="comment_required")
        ack_alert(session, page.me.scope, alert_id, page.me.name, comment, page.state.clock())
    return page.redirect(f"/alerts/{alert_id}")


ALERT_ROUTES = [alerts, alerts_csv, alerts_xlsx, alert, acknowledge]
