"""Words, not keys (issue 17 part 3): unit names in tables, no English on a Vietnamese page, unit
codes found in any case, JSON for an unknown API route, rolled-up unit counts."""

from __future__ import annotations

import html
import re

from tests.api_world import World
from tests.server.test_alerts_api import open_alert_in
from tests.web.conftest import sign_in


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_an_unknown_api_route_answers_json(web: World) -> None:
    for path in ("/api/v1/units", "/api/v1/no-such-thing", "/api/v1/no/such/thing"):
        response = web.client.get(path, headers=web.as_person("admin"))
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json()["error"] == "not_found", path
    assert web.client.get("/api/v1/openapi.json").json()["info"]["title"] == "canhgac"


def test_a_unit_code_typed_in_lower_case_is_found(web: World) -> None:
    sign_in(web.client, "admin")
    for path in ("/units/xa", "/units/Xa-vp"):
        assert web.client.get(path).status_code == 200, path
    found = web.client.get("/api/v1/readiness", params={"unit": "xb"}, headers=web.as_person("admin"))
    assert found.status_code == 200, found.text


def test_a_vietnamese_error_page_has_no_english_sentence(web: World) -> None:
    sign_in(web.client, "admin")
    missing_unit = text_of(web.client.get("/units/no-such-unit").text)
    assert "Không tìm thấy" in missing_unit and "no unit" not in missing_unit
    missing_machine = text_of(web.client.get("/machines/999999").text)
    assert "Không tìm thấy" in missing_machine and "no machine" not in missing_machine
    bad_query = web.client.get("/alerts", params={"p": 0})
    assert bad_query.status_code == 400
    page = text_of(bad_query.text)
    assert "Validation failed" not in page and "Một giá trị trong địa chỉ trang hoặc biểu mẫu không hợp lệ: p" in page
    bad_status = text_of(web.client.get("/alerts", params={"status": "zzz"}).text)
    assert "one of open" not in bad_status and "Hãy kiểm tra lại giá trị" in bad_status


def test_an_english_error_page_keeps_the_english_detail(web: World) -> None:
    sign_in(web.client, "admin")
    page = text_of(web.client.get("/units/no-such-unit", params={"lang": "en"}).text)
    assert "Not found" in page and "no unit 'no-such-unit'" in page


def test_tables_name_units_not_codes(web: World) -> None:
    open_alert_in(web, "XB")
    sign_in(web.client, "admin")
    alerts = web.client.get("/alerts").text
    row = next(line for line in alerts.splitlines() if "/alerts/" in line and "<td>" in line)
    assert "<td>UBND xã B</td>" in row and "<td>XB</td>" not in row
    overview = text_of(web.client.get("/units/PV").text)
    assert "· PV" not in overview


def test_the_units_page_rolls_counts_up_the_tree(web: World) -> None:
    web.enroll("XA-VP", "uid-vp-1", "vp-pc01")
    web.enroll("XA-VP", "uid-vp-2", "vp-pc02")
    web.enroll("XB", "uid-b-1", "b-pc01")
    sign_in(web.client, "admin")
    html = web.client.get("/units").text
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr><td class="depth-\d"><a href="/units/([^"]+)">.*?</tr>',
                                                       html, re.S)}
    def computers(code: str) -> tuple[str, str]:
        cell = re.findall(r'<td class="num" data-own="(\d+)">(.*?)</td>', rows[code], re.S)[1]
        return cell[0], text_of(cell[1]).strip()

    assert computers("PV") == ("0", "3 riêng: 0")  # the province: its subtree's three, none of its own
    assert computers("XA") == ("0", "2 riêng: 0")
    assert computers("XA-VP") == ("2", "2")  # a leaf: own and subtree are one figure
    assert computers("XB") == ("1", "1")
    officials = re.findall(r'<td class="num" data-own="(\d+)">(.*?)</td>', rows["XA"], re.S)[0]
    assert officials[0] == "16" and text_of(officials[1]).strip() == "21 riêng: 16"  # 16 + the office's 5
