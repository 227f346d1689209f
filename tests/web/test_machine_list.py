"""The machine list as people search it: by host name, user, IP, MAC or serial; filtered (has
problems, fails an indicator, silent for N days, old agent); sorted by any column; the legend; and
exported (every page, same filters and order) to CSV and XLSX with Vietnamese headers and dates."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from agent import __version__
from agent.wire.schema import (
    Antivirus,
    AntivirusProduct,
    Hardware,
    InteractiveUser,
    Interface,
    Network,
    Program,
    Software,
    Users,
    encode_report,
)
from collector.store.machine_list import SortKey
from server.web.machine_filters import COLUMNS, INDICATOR_LABELS, machine_filter
from tests.api_world import World
from tests.factories import T0, make_report, signed
from tests.web.conftest import sign_in

GOOD_AV = AntivirusProduct(name="Microsoft Defender Antivirus", vendor="Microsoft", enabled=True, realtime_on=True,
                           signatures_up_to_date=True, signatures_age_days=0.5)


def _send(world: World, unit: str, uid: str, hostname: str, *, serial: str, ip: str, mac: str, user: str,
          av: bool, programs: tuple[str, ...] = (), creds: dict[str, str] | None = None,
          sequence: int = 1, agent_version: str = __version__) -> dict[str, str]:
    creds = creds or world.enroll(unit=unit, machine_uid=uid, hostname=hostname)
    report = make_report(creds["agent_id"], sequence, machine_uid=uid, hostname=hostname, agent_version=agent_version,
                         collected_at=world.clock() - timedelta(seconds=5))
    report.hardware = Hardware(manufacturer="Dell Inc.", serial=serial)
    report.network = Network(interfaces=[Interface(name="Ethernet", mac=mac, addresses=[ip], is_up=True)])
    report.antivirus = Antivirus(products=[GOOD_AV] if av else [])
    report.users = Users(users=[InteractiveUser(name=user)])
    report.software = Software(programs=[Program(name=p) for p in programs])
    body = encode_report(report)
    response = world.client.post("/api/v1/reports", content=body,
                                 headers=signed(creds["agent_id"], creds["key"], body, world.clock()))
    assert response.status_code == 201, response.text
    return creds


@pytest.fixture
def fleet(web: World) -> World:
    _send(web, "XA", "u-1", "ketoan-01", serial="SN-AAA111", ip="192.168.1.21", mac="00:1a:2b:3c:4d:01",
          user="TANHOA\\lan.nguyen", av=True, programs=("Microsoft Office 2016", "Zalo"))
    _send(web, "XA-VP", "u-2", "vanthu-02", serial="SN-BBB222", ip="192.168.1.22", mac="00:1a:2b:3c:4d:02",
          user="TANHOA\\minh.tran", av=False, programs=("Zalo",), agent_version="0.0.1")
    third = dict(unit="XB", uid="u-3", hostname="motcua-03", serial="SN-CCC333", ip="192.168.2.23",
                 mac="00:1a:2b:3c:4d:03", user="XB\\hoa.le", av=True, programs=("Zalo", "UniKey"))
    creds = _send(web, **third)  # type: ignore[arg-type]
    web.clock.advance(days=40)
    _send(web, **third, creds=creds, sequence=2)  # type: ignore[arg-type]
    return web


def _hosts(html: str) -> list[str]:
    import re

    return re.findall(r'<a href="/machines/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize(("term", "found"), [
    ("ketoan", ["ketoan-01"]), ("minh.tran", ["vanthu-02"]), ("192.168.2.23", ["motcua-03"]),
    ("00-1A-2B-3C-4D-02", ["vanthu-02"]), ("sn-ccc333", ["motcua-03"]), ("nothing-like-it", [])])
def test_search_finds_by_hostname_user_ip_mac_or_serial(fleet: World, term: str, found: list[str]) -> None:
    sign_in(fleet.client, "admin")
    assert _hosts(fleet.client.get("/machines", params={"q": term}).text) == found


def test_filters_problems_indicator_silence_and_old_agents(fleet: World) -> None:
    sign_in(fleet.client, "admin")
    get = lambda **q: _hosts(fleet.client.get("/machines", params=q).text)  # noqa: E731
    assert get(problems="1") == ["vanthu-02"]
    assert get(failing="av_installed") == ["vanthu-02"]
    assert get(silent="30") == ["ketoan-01", "vanthu-02"]
    assert get(silent="30", unit="XA-VP") == ["vanthu-02"]
    assert get(old="1") == ["vanthu-02"]
    assert fleet.client.get("/machines", params={"failing": "nonsense"}).status_code == 422


def test_an_officer_sees_only_their_subtree(fleet: World) -> None:
    sign_in(fleet.client, "officer_b")
    assert _hosts(fleet.client.get("/machines").text) == ["motcua-03"]
    assert _hosts(fleet.client.get("/machines", params={"q": "ketoan"}).text) == []
    assert fleet.client.get("/machines.csv", params={"unit": "XA"}).status_code == 404


def test_every_column_sorts_both_ways(fleet: World) -> None:
    sign_in(fleet.client, "admin")
    for key, _label in COLUMNS:
        up = _hosts(fleet.client.get("/machines", params={"sort": key}).text)
        down = _hosts(fleet.client.get("/machines", params={"sort": key, "desc": "1"}).text)
        assert sorted(up) == sorted(down) == ["ketoan-01", "motcua-03", "vanthu-02"], key
    assert _hosts(fleet.client.get("/machines", params={"sort": "last_report", "desc": "1"}).text)[0] == "motcua-03"
    assert _hosts(fleet.client.get("/machines", params={"sort": "alerts", "desc": "1"}).text)[0] == "vanthu-02"
    assert _hosts(fleet.client.get("/machines", params={"sort": "unit"}).text) == ["ketoan-01", "motcua-03",
                                                                                  "vanthu-02"]


def test_the_page_has_a_legend_for_its_marks(fleet: World) -> None:
    sign_in(fleet.client, "admin")
    page = fleet.client.get("/machines").text
    assert "Chú thích" in page and "không rõ" in page.lower()


def test_the_csv_export_holds_what_is_shown_in_vietnamese(fleet: World) -> None:
    sign_in(fleet.client, "admin")
    response = fleet.client.get("/machines.csv", params={"q": "TANHOA", "sort": "hostname", "desc": "1"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["STT", "Tên máy", "Đơn vị", "Vai trò"]
    assert [line.split(";")[1] for line in lines[1:]] == ["vanthu-02", "ketoan-01"]
    assert lines[2].split(";")[5] == "Có" and lines[1].split(";")[5] == "Không"
    assert lines[2].split(";")[-1] == (T0 + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")


def test_the_xlsx_export_holds_the_same_cells(fleet: World) -> None:
    from openpyxl import load_workbook

    sign_in(fleet.client, "admin")
    response = fleet.client.get("/machines.xlsx", params={"failing": "av_installed"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "STT" and sheet["B2"].value == "Tên máy" and sheet["L2"].value == "Báo cáo lần cuối"
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["vanthu-02"]
    assert sheet.freeze_panes == "A3"


def test_the_query_string_parses_into_a_filter() -> None:
    wanted = machine_filter({"q": " pc ", "problems": "1", "silent": "7", "sort": "alerts", "desc": "1"})
    assert (wanted.text, wanted.problems, wanted.silent_days, wanted.sort, wanted.descending) == (
        "pc", True, 7, SortKey.ALERTS, True)
    assert set(INDICATOR_LABELS) >= {"av_installed", "backup_ok", "has_dedicated_line"}
