"""The dashboard in a real Chromium (Debian's chromium + chromium-driver, driven by selenium)
against a real `canhgac serve` on the demo data: sign in, the overview, drill into Tân Hòa
(16/16 antivirus), acknowledge an alert, download the CSV, a machine's report under Vietnamese
labels; screenshots of the overview and the machine detail."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.conftest import Server, canhgac

pytestmark = pytest.mark.system

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Nothing may leave the machine: no sync, updates, field trials or QUIC to Google hosts.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--no-default-browser-check", "--lang=vi",
         "--window-size=1600,1000")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The demo's data (Tân Hòa and two neighbours) seeded through the real enroll/report path."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = canhgac("demo", "--seed-only", "--db", url)
    assert result.returncode == 0, result.stderr
    return url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"Chromium not installed ({CHROMIUM}, {CHROMEDRIVER}): apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e .[dev])")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER,
                                                                              log_output=str(tmp_path / "driver.log")))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _text(driver, css: str) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _gone(element) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``element`` left the document. Chromium 156 answers a question about a node of a page
    it has replaced with "Node with given id does not belong to the document", not with the stale
    element error selenium's staleness_of expects (seen in CI, on the officer's walk)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


def _click_and_load(driver, by: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Click what leads to another page and wait until that page replaced this one."""
    from selenium.webdriver.support.wait import WebDriverWait

    old = driver.find_element("tag name", "html")
    driver.find_element(by, value).click()
    WebDriverWait(driver, 15).until(lambda _driver: _gone(old))
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _wait_for_file(folder: Path, pattern: str, timeout_s: float = 15) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} downloaded into {folder}: {list(folder.iterdir())}")


def test_officer_day_in_a_real_browser(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver = browser
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})

    driver.get(f"{server.url}/")
    assert "/login" in driver.current_url and "Đăng nhập" in driver.title
    driver.find_element(By.NAME, "name").send_keys("demo-admin")
    driver.find_element(By.NAME, "password").send_keys("canhgac-demo")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action='/login'] button")

    # The overview: the province, one row per commune, open alerts by severity.
    assert driver.current_url.rstrip("/") == server.url
    assert _text(driver, "h1") == "Tỉnh Đồng Tháp"
    matrix = _text(driver, "table.matrix")
    assert "UBND xã Tân Hòa" in matrix and "UBND xã Tân Long" in matrix
    assert "Cao" in _text(driver, ".alerts-strip")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1600, min(int(height) + 120, 4000))
    overview_png = tmp_path / "overview.png"
    assert driver.save_screenshot(str(overview_png)) and overview_png.stat().st_size > 10_000
    driver.set_window_size(1600, 1000)

    # Drill into Tân Hòa: 16 officials, 16 PCs, antivirus on every one.
    _click_and_load(driver, By.LINK_TEXT, "UBND xã Tân Hòa")
    assert _text(driver, "h1") == "UBND xã Tân Hòa"
    antivirus = _text(driver, "[data-indicator='av_installed']")
    assert "16/16" in antivirus and "100%" in antivirus, antivirus
    driver.save_screenshot(str(tmp_path / "tan-hoa.png"))

    # Acknowledge Tân Hòa's open alert with a comment; the history shows who and why.
    _click_and_load(driver, By.PARTIAL_LINK_TEXT, "Tất cả cảnh báo đang mở")
    _click_and_load(driver, By.CSS_SELECTOR, "table.grid tbody a[href^='/alerts/']")
    driver.find_element(By.NAME, "comment").send_keys("Đã lên kế hoạch nâng cấp Windows")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action$='/ack'] button")
    assert "Đã tiếp nhận" in _text(driver, "table.kv")
    assert "Đã lên kế hoạch nâng cấp Windows" in _text(driver, "main")

    # The readiness CSV of the commune, as the browser saves it.
    driver.get(f"{server.url}/units/DT-TANHOA")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Tải CSV").click()
    csv_file = _wait_for_file(downloads, "readiness-DT-TANHOA-*.csv")
    body = csv_file.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf") and "Tân Hòa".encode() in body

    # A machine's last report: every section under Vietnamese labels, values in words, no schema keys.
    driver.get(f"{server.url}/machines?unit=DT-TANHOA")
    _click_and_load(driver, By.CSS_SELECTOR, "table.grid tbody a[href^='/machines/']")
    detail = _text(driver, "main")
    assert "Phần mềm phòng chống mã độc" in detail and "Bảo vệ thời gian thực" in detail and "Lịch sử báo cáo" in detail
    assert "signatures_age_days" not in detail and "os_licence_status" not in detail and "True" not in detail
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1600, min(int(height) + 120, 6000))
    machine_png = tmp_path / "machine.png"
    assert driver.save_screenshot(str(machine_png)) and machine_png.stat().st_size > 10_000
    driver.set_window_size(1600, 1000)

    # English on request, and signing out ends the session.
    driver.get(f"{server.url}/units/DT-TANHOA?lang=en")
    assert "IT readiness, figures of" in _text(driver, "main")
    _click_and_load(driver, By.CSS_SELECTOR, "form[action='/logout'] button")
    driver.get(f"{server.url}/machines")
    assert "/login" in driver.current_url
