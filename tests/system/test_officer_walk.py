"""Issue 17's "done when", walked in a real Chromium against a real `canhgac serve` on the demo
data: the admin adds a new officer of Tân Hòa in the browser; the officer signs in, makes the
commune's enrollment token, downloads the agent file; the real agent enrolls with that file and
sends its first report to the server on loopback (its probes given loopback targets only, gateway
probing off); the machine appears in the list, its problem and what to do are shown, the officer
takes the alert on with a note, and exports the machine list to XLSX and CSV.
Screenshots are saved in the test's temporary folder."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from tests.system.conftest import Server, canhgac, free_port
from tests.system.test_dashboard_browser import _click_and_load, _text, _wait_for_file, browser, db_url  # noqa: F401

pytestmark = pytest.mark.system


def _ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


def _shot(driver, path: Path) -> None:  # type: ignore[no-untyped-def]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, min(int(height) + 120, 5000))
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 10_000
    driver.set_window_size(1366, 900)


def _sign_in(driver, url: str, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    _click_and_load(driver, By.CSS_SELECTOR, "form[action='/login'] button")


def _loopback_only(agent_file: Path, server_port: int) -> None:
    """The officer's file, plus this test's probe settings: the collector's own port as the Internet
    target, a closed loopback port as the dedicated line, no gateway probe (nothing leaves 127/8)."""
    closed = free_port()
    with agent_file.open("a", encoding="utf-8") as handle:
        handle.write(f'probe_gateway = false\ninternet_targets = ["127.0.0.1:{server_port}"]\n'
                     f'dedicated_line_targets = ["127.0.0.1:{closed}"]\n')


def test_a_new_officer_enrolls_a_pc_finds_its_problem_takes_it_on_and_exports(  # type: ignore[no-untyped-def]
        server: Server, browser, tmp_path: Path) -> None:  # noqa: F811
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_window_size(1366, 900)

    # The admin adds the commune's new IT officer; the first password is shown once.
    _sign_in(driver, server.url, "demo-admin", "canhgac-demo")
    driver.get(f"{server.url}/admin/people")
    driver.find_element(By.NAME, "name").send_keys("can-bo-tan-hoa")
    Select(driver.find_element(By.NAME, "role")).select_by_value("officer")
    Select(driver.find_element(By.CSS_SELECTOR, "form[action='/admin/people'] select[name='unit']")
           ).select_by_value("DT-TANHOA")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action='/admin/people'] button")
    password = _text(driver, "[data-password]")
    _shot(driver, tmp_path / "walk-1-people.png")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action='/logout'] button")

    # The officer signs in and makes the commune's enrollment token from the menu.
    _sign_in(driver, server.url, "can-bo-tan-hoa", password)
    _click_and_load(driver, By.LINK_TEXT, "Quản trị")
    assert _text(driver, "h1") == "Mã đăng ký máy"
    unit = Select(driver.find_element(By.NAME, "unit"))
    assert unit.first_selected_option.get_attribute("value") == "DT-TANHOA"
    assert driver.find_element(By.NAME, "server").get_attribute("value") == server.url
    _shot(driver, tmp_path / "walk-2-tokens.png")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action='/admin/tokens'] button")
    token = _text(driver, "[data-token-value]")
    assert token.startswith("cge_") and "UBND xã Tân Hòa" in _text(driver, "h1")
    _shot(driver, tmp_path / "walk-3-token.png")
    driver.find_element(By.CSS_SELECTOR, "[data-download='agent-file']").click()
    agent_file = _wait_for_file(downloads, "canhgac-agent.toml")
    assert token in agent_file.read_text(encoding="utf-8")

    # The PC: the real agent enrolls with the downloaded file and reports to the server on loopback.
    _loopback_only(agent_file, int(server.url.rsplit(":", 1)[1]))
    state = str(tmp_path / "agent-state")
    enrolled = _ok(canhgac("agent", "enroll", "--config", str(agent_file), "--state-dir", state))
    assert "DT-TANHOA" in enrolled
    _ok(canhgac("agent", "run", "--once", "--config", str(agent_file), "--state-dir", state))
    hostname = socket.gethostname()

    # The machine appears in the commune's list; its page names its problem; the alert says what to do.
    _click_and_load(driver, By.LINK_TEXT, "Máy tính")
    driver.find_element(By.NAME, "q").send_keys(hostname)
    _click_and_load(driver, By.CSS_SELECTOR, "form.filters button")
    assert "Chú thích" in _text(driver, ".legend")
    _shot(driver, tmp_path / "walk-4-machines.png")
    _click_and_load(driver, By.LINK_TEXT, hostname)
    assert _text(driver, "h1").startswith(hostname)
    _shot(driver, tmp_path / "walk-5-machine.png")
    alerts = driver.find_elements(By.CSS_SELECTOR, "main a[href^='/alerts/']")
    assert alerts, "the new PC shows no alert"
    _click_and_load(driver, By.CSS_SELECTOR, "main a[href^='/alerts/']")
    assert _text(driver, "[data-field='remediation']")
    driver.find_element(By.NAME, "comment").send_keys("Giao anh Minh xử lý trong tuần này")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action$='/ack'] button")
    assert "Đã tiếp nhận" in _text(driver, "table.kv") and "can-bo-tan-hoa" in _text(driver, "main")
    _shot(driver, tmp_path / "walk-6-alert.png")

    # The machine list exported as shown (the commune's machines, by host name).
    driver.get(f"{server.url}/machines?unit=DT-TANHOA")
    driver.find_element(By.CSS_SELECTOR, "[data-export='xlsx']").click()
    workbook = _wait_for_file(downloads, "may-tinh-*.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.read_bytes())).active
    assert sheet["B2"].value == "Tên máy"
    hosts = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert hostname in hosts and len(hosts) == 17  # Tân Hòa's 16 PCs and the new one
    driver.find_element(By.CSS_SELECTOR, "[data-export='csv']").click()
    csv_file = _wait_for_file(downloads, "may-tinh-*.csv")
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf") and hostname in csv_file.read_text("utf-8-sig")
