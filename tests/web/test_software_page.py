"""The software page: programs with the number of machines in the person's scope, which machines
have one, and both exported for Excel in Vietnamese."""

from __future__ import annotations

import io
import re

from tests.api_world import World
from tests.web.conftest import sign_in
from tests.web.test_machine_list import fleet  # noqa: F401 - the fixture

_COUNT = re.compile(r'#holders">([^<]+)</a></td><td class="num">(\d+)</td>')


def test_programs_are_counted_per_machine_within_the_scope(fleet: World) -> None:  # noqa: F811
    sign_in(fleet.client, "admin")
    counts = dict(_COUNT.findall(fleet.client.get("/software").text))
    assert counts["Zalo"] == "3" and counts["Microsoft Office 2016"] == "1" and counts["UniKey"] == "1"
    assert list(counts)[0] == "Zalo"  # most installed first
    fleet.client.cookies.clear()
    sign_in(fleet.client, "officer_b")
    counts = dict(_COUNT.findall(fleet.client.get("/software").text))
    assert counts.get("Zalo") == "1" and "Microsoft Office 2016" not in counts


def test_which_machines_have_a_program(fleet: World) -> None:  # noqa: F811
    sign_in(fleet.client, "admin")
    page = fleet.client.get("/software", params={"name": "Zalo", "unit": "XA"}).text
    assert re.findall(r'<a href="/machines/\d+">([^<]+)</a>', page) == ["ketoan-01", "vanthu-02"]


def test_software_exports_in_vietnamese(fleet: World) -> None:  # noqa: F811
    from openpyxl import load_workbook

    sign_in(fleet.client, "admin")
    csv = fleet.client.get("/software.csv", params={"q": "zal"})
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert csv.content.decode("utf-8-sig").splitlines() == ["STT;Tên phần mềm;Số máy cài đặt", "1;Zalo;3"]
    holders = load_workbook(io.BytesIO(fleet.client.get("/software.xlsx", params={"name": "UniKey"}).content)).active
    assert [row[1] for row in holders.iter_rows(min_row=3, values_only=True)] == ["motcua-03"]
    assert fleet.client.get("/software.pdf").status_code == 404
