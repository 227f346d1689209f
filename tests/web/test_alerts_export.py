"""Alerts exported with the page's own filters (status, severity, unit), in Vietnamese, within the
person's scope."""

from __future__ import annotations

from tests.api_world import World
from tests.server.test_alerts_api import open_alert_in
from tests.web.conftest import sign_in


def test_the_export_follows_the_page_filters_and_scope(web: World) -> None:
    open_alert_in(web, "XA")
    open_alert_in(web, "XB")
    sign_in(web.client, "admin")
    page = web.client.get("/alerts", params={"unit": "XB"}).text
    assert 'href="/alerts.csv?unit=XB"' in page
    lines = web.client.get("/alerts.csv", params={"unit": "XB"}).content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("STT;Đơn vị;Máy tính;Cảnh báo;Mức độ;Trạng thái")
    assert len(lines) > 1 and all(";UBND xã B;pc-01;" in line for line in lines[1:])
    assert "Đang mở" in lines[1]
    resolved = web.client.get("/alerts.csv", params={"unit": "XB", "status": "resolved"})
    assert resolved.content.decode("utf-8-sig").splitlines()[1:] == []
    web.client.cookies.clear()
    sign_in(web.client, "officer_b")
    assert web.client.get("/alerts.xlsx", params={"unit": "XA"}).status_code == 404
    mine = web.client.get("/alerts.csv").content.decode("utf-8-sig").splitlines()[1:]
    assert mine and all("UBND xã B" in line for line in mine)
