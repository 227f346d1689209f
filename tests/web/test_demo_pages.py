"""The demo's pages have content (issue 17 part 5) and say it in words (part 3): the in-process
demo (tests/readiness_fleet.py, the stored sample polls: no snmpd is started in process), read
through the dashboard as its officer would, signed in with the demo's password."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from collector.config import CollectorConfig
from collector.db import open_database
from collector.models.machines import Machine
from server.app import create_app
from server.demo import DEMO_ADMIN, DEMO_PASSWORD
from server.demo_network import KNOWN, STORED_SAMPLE, UNKNOWN
from tests.readiness_fleet import seed_demo_fleet
from tests.web.conftest import sign_in

NOW = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, int]]]:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    db = open_database(url)
    seed_demo_fleet(db, NOW)
    with db.session() as session:
        ids = {hostname: machine_id for hostname, machine_id in session.execute(select(Machine.hostname, Machine.id))}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CANHGAC_SECRET_KEY", "test-secret-key-not-for-production")
        app = create_app(CollectorConfig(db_url=url, data_dir=folder), db, lambda: NOW)
        with TestClient(app) as client:
            sign_in(client, DEMO_ADMIN, DEMO_PASSWORD)
            yield client, ids
    db.dispose()


def text(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))


def test_the_network_page_has_the_line_the_router_and_the_lan(demo: tuple[TestClient, dict[str, int]]) -> None:
    page = text(demo[0], "/network")
    assert "router-tanhoa" in page and STORED_SAMPLE in page  # said to be a sample, not a poll
    assert UNKNOWN[1] in page and "tanhoa-pc01" in page
    assert "Chưa cấu hình" not in page


def test_the_network_page_tells_declared_devices_from_unknown_ones(demo: tuple[TestClient, dict[str, int]]) -> None:
    """The router and the printer, declared known, are devices without an agent, not "thiết bị lạ";
    only the undeclared one is (as the lan.unknown_device alert counts)."""
    section = demo[0].get("/network").text.split("Thiết bị không có phần mềm giám sát", 1)[1].split("</section>", 1)[0]
    rows = {re.sub(r"<[^>]+>", " ", row).split()[1]: html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)))
            for row in section.split("<tr>")[1:] if "<code>" in row}
    for _ip, mac, note in KNOWN:
        assert "đã khai báo" in rows[mac] and note in rows[mac] and "thiết bị lạ" not in rows[mac]
    assert "thiết bị lạ" in rows[UNKNOWN[1]]


def test_the_licence_register_has_one_over_its_seats(demo: tuple[TestClient, dict[str, int]]) -> None:
    page = text(demo[0], "/licences")
    assert "Microsoft Office Standard 2019" in page and "15/12" in page and "vượt số bản quyền" in page


def test_a_machine_page_has_software_hardening_and_its_certificate(demo: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = demo
    page = text(client, f"/machines/{ids['tanhoa-pc05']}")
    for words in ("Phần mềm đã cài đặt", "Microsoft Office Standard 2019", "Cấu hình an toàn", "Tài khoản cục bộ",
                  "VNPT Certification Authority", "Trạng thái Security Center",
                  "đang bật bảo vệ, mẫu nhận diện đã cập nhật, của Microsoft (397568)"):
        assert words in page, words
    assert "397568 " not in page.replace("(397568)", "")  # the raw number only beside its words


def test_a_failed_probe_says_why_in_vietnamese(demo: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = demo
    page = text(client, f"/machines/{ids['tanlong-pc04']}")
    assert "không phản hồi sau 3 giây" in page and "timed out" not in page


def test_the_units_page_rolls_the_province_up(demo: tuple[TestClient, dict[str, int]]) -> None:
    page = demo[0].get("/units").text
    province = re.search(r'href="/units/DT">.*?</tr>', page, re.S)
    assert province is not None
    cells = re.findall(r'data-own="(\d+)">(.*?)</td>', province.group(0), re.S)
    computers = cells[1]
    assert computers[0] == "0" and re.sub(r"<[^>]+>|\s", "", computers[1]).startswith("38")
