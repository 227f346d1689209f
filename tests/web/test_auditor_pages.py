"""The dashboard's side of issue 15 on both backends: the alert page in words with what to do,
every figure opening its explanation, the officials register (import by upload, assign), a
machine's users and use, declaring a LAN device without an agent, the incident register, and the
yearly report's print page in the official form; each scoped and refused to viewers."""

from __future__ import annotations

import io
import re

from agent.wire.schema import Antivirus, AntivirusProduct, Detection, InteractiveUser, Users, encode_report
from collector.network.arp import Seen
from collector.store.lan import record_seen
from collector.store.scope import EVERYTHING
from collector.store.units import get_unit
from tests.api_world import World
from tests.factories import T0, make_report, signed
from tests.server.test_alerts_api import open_alert_in
from tests.web.conftest import sign_in


def _machine(world: World, unit: str, hostname: str, user: str = "", detection: bool = False) -> int:
    agent = world.enroll(unit, machine_uid=f"uid-{hostname}", hostname=hostname)
    report = make_report(agent["agent_id"], 1, machine_uid=f"uid-{hostname}", hostname=hostname)
    report.antivirus = Antivirus(products=[AntivirusProduct(name="Windows Defender", enabled=True, realtime_on=True)],
                                 detections=[Detection(threat="Trojan:Win32/Wacatac.B!ml", path=r"C:\x.exe",
                                                       detected_at=T0, action="detected")] if detection else [])
    if user:
        report.users = Users(users=[InteractiveUser(name=user, signed_in=True, last_use=T0)])
    body = encode_report(report)
    assert world.client.post("/api/v1/reports", content=body,
                             headers=signed(agent["agent_id"], agent["key"], body)).status_code == 201
    return int(agent["machine_id"])


def test_the_alert_page_says_what_was_seen_and_what_to_do(web: World) -> None:
    alert_id = open_alert_in(web, "XB")
    sign_in(web.client, "officer_b")
    page = web.client.get(f"/alerts/{alert_id}").text
    assert "pc-01" in page and "UBND xã B" in page  # the machine's hostname and the unit's name
    assert "chưa cài phần mềm phòng chống mã độc" in page and "av.installed=" not in page
    assert "Cài đặt phần mềm phòng chống mã độc" in page  # the rule's remediation


def test_every_figure_opens_who_fails_it_and_why(web: World) -> None:
    open_alert_in(web, "XB")
    sign_in(web.client, "officer_b")
    overview = web.client.get("/units/XB").text
    assert 'href="/readiness/explain?unit=XB&amp;indicator=av_installed"' in overview
    page = web.client.get("/readiness/explain", params={"unit": "XB", "indicator": "av_installed"})
    assert page.status_code == 200
    assert "pc-01" in page.text and "không tìm thấy phần mềm phòng chống mã độc" in page.text
    assert "Microsoft Defender có sẵn trên Windows" in page.text  # what to do
    assert web.client.get("/readiness/explain", params={"unit": "XB", "indicator": "nope"}).status_code == 404
    assert web.client.get("/readiness/explain", params={"unit": "XA", "indicator": "av_installed"}).status_code == 404


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_officer_imports_the_list_and_assigns_a_machine(web: World) -> None:
    pc = _machine(web, "XB", "xb-pc01")
    csrf = sign_in(web.client, "officer_b")
    data = _xlsx([["DANH SÁCH CÁN BỘ"], ["STT", "Họ và tên", "Chức vụ"], ["1", "Nguyễn Văn An", "Chủ tịch"],
                  ["2", "Trần Thị Bình", "Kế toán"]])
    response = web.client.post("/officials/import", data={"csrf": csrf, "unit": "XB"},
                               files={"file": ("ds.xlsx", data, "application/octet-stream")})
    assert response.status_code == 200 and 'data-imported="2/0/0/0"' in response.text
    bad = web.client.post("/officials/import", data={"csrf": csrf, "unit": "XB"},
                          files={"file": ("ds.csv", b"STT;Chuc vu\n1;x\n", "text/csv")})
    assert bad.status_code == 400 and 'data-error="no_header"' in bad.text
    official = web.client.get("/api/v1/readiness", headers=web.as_person("admin"), params={"unit": "XB"}).json()
    assert official["unit"]["figures"]["computers_per_official"]["text"] == "0/2 — 0%"
    page = web.client.get("/officials", params={"unit": "XB"}).text
    an = page.index("Nguyễn Văn An")
    official_id = int(page[page.rindex('data-official="', 0, an) + 15:].split('"', 1)[0])
    assigned = web.client.post(f"/officials/{official_id}", data={"csrf": csrf, "action": "assign", "machine": str(pc)})
    assert assigned.status_code == 200 and "xb-pc01" in assigned.text
    after = web.client.get("/api/v1/readiness", headers=web.as_person("admin"), params={"unit": "XB"}).json()
    assert after["unit"]["figures"]["computers_per_official"]["text"] == "1/2 — 50%"
    viewer = sign_in(web.client, "viewer_a")
    assert web.client.post(f"/officials/{official_id}", data={"csrf": viewer, "action": "retire"}).status_code == 404
    sign_in(web.client, "province")  # a viewer of the whole province: may look, not change
    assert "Nguyễn Văn An" in web.client.get("/officials").text


def test_a_machine_shows_its_users_and_an_officer_marks_it_shared(web: World) -> None:
    pc = _machine(web, "XB", "xb-motcua", user="XB\\uyen")
    csrf = sign_in(web.client, "officer_b")
    page = web.client.get(f"/machines/{pc}").text
    assert "XB\\uyen" in page and "Người sử dụng" in page
    assert web.client.post(f"/machines/{pc}/usage", data={"csrf": csrf, "usage": "shared"}).status_code == 200
    assert "dùng chung" in web.client.get(f"/machines/{pc}").text
    assert web.client.post(f"/machines/{pc}/usage", data={"csrf": csrf, "usage": "nope"}).status_code == 422


def test_a_lan_device_is_declared_a_machine_without_an_agent_from_the_network_page(web: World) -> None:
    with web.db.session() as session:
        record_seen(session, [Seen(ip="10.2.0.57", mac="00:1e:c9:2b:7a:41")], T0, get_unit(session, "XB").id)
    csrf = sign_in(web.client, "officer_b")
    network = web.client.get("/network").text
    assert 'action="/machines/declare"' in network and "00:1e:c9:2b:7a:41" in network
    response = web.client.post("/machines/declare", data={"csrf": csrf, "mac": "00:1e:c9:2b:7a:41",
                                                          "hostname": "xb-ketoan", "os": "Windows 7 Professional",
                                                          "usage": "personal"})
    assert response.status_code == 200
    assert "chưa cài phần mềm giám sát" in response.text and "xb-ketoan" in response.text
    viewer = sign_in(web.client, "viewer_a")
    assert web.client.post("/machines/declare", data={"csrf": viewer, "mac": "00:1e:c9:2b:7a:41",
                                                      "hostname": "x"}).status_code == 403


def test_the_incident_register_is_kept_and_exported(web: World) -> None:
    _machine(web, "XB", "xb-pc02", detection=True)
    csrf = sign_in(web.client, "officer_b")
    page = web.client.get("/incidents", params={"period": T0.year}).text
    assert "Phát hiện mã độc đang hoạt động trên máy" in page and "xb-pc02" in page
    incident_id = int(page.split('data-incident="', 1)[1].split('"', 1)[0])
    saved = web.client.post(f"/incidents/{incident_id}", data={"csrf": csrf, "effect": "một máy", "handling":
                                                              "cách ly, quét lại", "outcome": "đã khắc phục",
                                                              "close": "1"})
    assert saved.status_code == 200 and "officer_b" in saved.text
    exported = web.client.get("/incidents.csv", params={"period": T0.year})
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    text = exported.content.decode("utf-8-sig")
    assert "Biện pháp xử lý" in text and "cách ly, quét lại" in text and ";" in text.splitlines()[0]
    sign_in(web.client, "viewer_a")
    assert "xb-pc02" not in web.client.get("/incidents", params={"period": T0.year}).text


def test_the_print_page_is_the_official_form_in_vietnamese(web: World) -> None:
    for unit in ("XA", "XA-VP"):
        _machine(web, unit, f"{unit.lower()}-pc01")
    sign_in(web.client, "province")
    page = web.client.get("/readiness/print", params={"unit": "PV", "period": T0.year, "number": "15/BC-UBND"}).text
    for part in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TỈNH THỬ NGHIỆM",
                 "Số: 15/BC-UBND", f"Thử Nghiệm, ngày 22 tháng 11 năm {T0.year}", "NGƯỜI LẬP BIỂU",
                 "THỦ TRƯỞNG ĐƠN VỊ", f"năm {T0.year}", "Đầu kỳ → Cuối kỳ", "UBND xã A", "UBND xã B",
                 "tính theo số biên chế, chưa có danh sách", "mọi máy chủ KMS đều được chấp nhận"):
        assert part in page, part
    for english in ("Indicator", "Target", "IT readiness", "policy.md", "[U]", "[S]", "Total"):
        assert english not in page, english
    assert "2/21" in page and "9,5%" in page  # two computers for 16 + 5 officials by staff number, decimal comma
    workbook = web.client.get("/readiness.xlsx", params={"unit": "PV", "period": T0.year})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook.content))["Báo cáo"]
    assert sheet["E1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and sheet["E11"].number_format == "[$-42A]0.0%"
    assert web.client.get("/readiness/print", params={"unit": "PV", "period": 1999}).status_code == 422


def test_every_figure_of_the_print_page_opens_who_fails_it(web: World) -> None:
    """Issue 15 item 7: the print page's figures (the unit's and each child unit's) link to
    /readiness/explain; the same form written by the CLI links nowhere (no server behind a file)."""
    from html import unescape

    from collector.store.readiness_period import period_report
    from server.readiness_html import render_html

    _machine(web, "XA", "xa-pc01")
    sign_in(web.client, "province")
    page = web.client.get("/readiness/print", params={"unit": "PV", "period": T0.year}).text
    links = {unescape(href) for href in re.findall(r'<a class="why" href="([^"]+)"', page)}
    assert "/readiness/explain?indicator=computers_per_official&unit=PV" in links
    assert "/readiness/explain?indicator=computers_per_official&unit=XA" in links
    explained = web.client.get("/readiness/explain", params={"indicator": "backup_within_policy", "unit": "XA"})
    assert explained.status_code == 200 and "xa-pc01" in explained.text
    with web.db.session() as session:
        report = period_report(session, EVERYTHING, "PV", T0.year, web.clock.now, web.rules.indicators)
    assert "<a " not in render_html(report)
