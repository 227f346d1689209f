"""Every dashboard page, looked at: in Vietnamese and English, on a laptop (1366 px) and a phone
(412 px), in a real Chromium against a real `canhgac serve` on the demo data. Each visit saves a
full-page screenshot (into $CANHGAC_SCREENSHOTS, else the test's tmp folder) and runs axe-core
(injected by selenium from the npm package that `.ci/run` installs) with no serious or critical
violation; on the phone nothing sticks out sideways and every menu entry is on the screen."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.system.conftest import Server
from tests.system.test_dashboard_browser import browser, db_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.system

WIDTHS = {"desktop": 1366, "phone": 412}
LANGS = ("vi", "en")
AXE_PATHS = (Path(__file__).resolve().parents[2] / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js",)
BLOCKING = ("serious", "critical")

# Each GET page of the dashboard (its route path) and the address the test visits for it; "{machine}"
# and "{alert}" are filled in with ids found on the demo's own lists.
PAGES = {
    "/login": "/login",
    "/": "/",
    "/units/{code:str}": "/units/DT-TANHOA",
    "/units": "/units",
    "/admin/units": "/admin/units",
    "/readiness/print": "/readiness/print?unit=DT-TANHOA",
    "/readiness/explain": "/readiness/explain?unit=DT-TANHOA&indicator=av_installed",
    "/machines": "/machines",
    "/machines/{machine_id:int}": "/machines/{machine}",
    "/alerts": "/alerts",
    "/alerts/{alert_id:int}": "/alerts/{alert}",
    "/network": "/network",
    "/licences": "/licences",
    "/audit": "/audit",
    "/officials": "/officials",
    "/incidents": "/incidents",
    "/agents": "/agents",
    "/admin/tokens": "/admin/tokens",
    "/admin/people": "/admin/people",
    "/admin/network": "/admin/network",
    "/software": "/software",
}
EXTRA_PAGES = {"not-found": "/machines/987654321"}
"""Pages no route names: the 404 page a wrong link shows."""
DOWNLOADS = (".csv", ".xlsx")
PAPER = {"/readiness/print"}
"""The A4 form (server/readiness_html.py), laid out for paper: a phone shows the whole sheet zoomed
out, as it shows a PDF, so only its accessibility is checked there, not its width."""


def dashboard_get_paths() -> set[str]:
    """The route paths of the dashboard's GET handlers that answer a page (not a download)."""
    from collector.config import CollectorConfig
    from server.web import dashboard_router

    router = dashboard_router(CollectorConfig(db_url="sqlite://"))
    return {route.path for route in router.routes if "GET" in getattr(route, "methods", ())
            and not route.path.endswith(DOWNLOADS) and not route.path.startswith("/static/")}


def test_the_page_list_names_every_dashboard_page() -> None:
    assert dashboard_get_paths() == set(PAGES)


def shot_name(page: str, lang: str, width: str) -> str:
    slug = page.strip("/").replace("/", "-").replace("{", "").replace("}", "").split(":")[0] or "overview"
    return f"{slug}.{lang}.{width}.png"


def test_screenshot_names_say_page_language_and_width() -> None:
    assert shot_name("/", "vi", "phone") == "overview.vi.phone.png"
    assert shot_name("/machines/{machine_id:int}", "en", "desktop") == "machines-machine_id.en.desktop.png"


def axe_source() -> str:
    given = os.environ.get("CANHGAC_AXE_JS")
    for path in ([Path(given)] if given else []) + list(AXE_PATHS):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip("axe-core not installed: npm install --prefix .cache/npm axe-core (as .ci/run does), "
                "or set CANHGAC_AXE_JS to an axe.min.js")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CANHGAC_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chromium(browser):  # type: ignore[no-untyped-def]  # noqa: F811
    """The dashboard tests' Chromium (same flags, profile and driver log), with time for axe to run."""
    browser.set_script_timeout(60)
    return browser


def sign_in(driver, url: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login")
    driver.find_element(By.NAME, "name").send_keys("demo-admin")
    driver.find_element(By.NAME, "password").send_keys("canhgac-demo")
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    WebDriverWait(driver, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "header nav")))


def first_id(driver, url: str, link: str) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.get(url)
    href = driver.find_element(By.CSS_SELECTOR, f"table.grid tbody a[href^='{link}']").get_attribute("href")
    return str(href).rstrip("/").rsplit("/", 1)[-1]


def set_width(driver, width: int, height: int = 900) -> None:  # type: ignore[no-untyped-def]
    """The viewport as a device of ``width`` CSS px (a phone below 800 px: touch, the meta viewport)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800})


def full_page_screenshot(driver, path: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    height = int(driver.execute_script(
        "return Math.ceil(document.body.getBoundingClientRect().bottom + window.scrollY)"))
    set_width(driver, width, min(max(height, 600), 8000))
    assert driver.save_screenshot(str(path)), path
    set_width(driver, width)


AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' +
                                                                  (n.failureSummary || '').slice(0, 300))}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""

LAYOUT = """
const w = arguments[0];
const out = [];
const wide = document.documentElement.scrollWidth;
if (wide > w + 1) out.push('page is ' + wide + ' px wide');
for (const el of document.querySelectorAll('header.top a, header.top button')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.left < 0 || r.right > w + 1) out.push('menu entry off-screen: ' + el.textContent.trim());
}
for (const th of document.querySelectorAll('table.grid thead th')) {
  const text = document.createRange();
  text.selectNodeContents(th);
  const lines = Math.round(text.getBoundingClientRect().height / parseFloat(getComputedStyle(th).lineHeight));
  if (lines > 3) out.push('header on ' + lines + ' lines: ' + th.textContent.trim());
}
return out;
"""


def look_at(driver, address: str, name: str, width: int, shots: Path, axe: str,  # type: ignore[no-untyped-def]
            paper: bool = False) -> dict[str, object]:
    set_width(driver, width)
    driver.get(address)
    full_page_screenshot(driver, shots / name, width)
    layout = [] if paper else driver.execute_script(LAYOUT, width)
    driver.execute_script(axe)
    violations = driver.execute_async_script(AXE_RUN)
    return {"screenshot": name, "address": address, "layout": layout, "violations": violations}


def test_every_page_in_both_languages_on_a_laptop_and_a_phone(server: Server, chromium, shots: Path) -> None:  # type: ignore[no-untyped-def]
    axe = axe_source()
    driver = chromium
    sign_in(driver, server.url)
    ids = {"machine": first_id(driver, f"{server.url}/machines", "/machines/"),
           "alert": first_id(driver, f"{server.url}/alerts", "/alerts/")}
    visits = {**{route: path.format(**ids) for route, path in PAGES.items()}, **EXTRA_PAGES}
    results = []
    for lang in LANGS:
        for width_name, width in WIDTHS.items():
            for route, path in visits.items():
                sep = "&" if "?" in path else "?"
                address = f"{server.url}{path}{sep}lang={lang}"
                if route == "/login":
                    driver.delete_all_cookies()
                result = look_at(driver, address, shot_name(route, lang, width_name), width, shots, axe,
                                 paper=route in PAPER)
                if route == "/login":
                    sign_in(driver, server.url)
                results.append(result)
    (shots / "axe.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    problems = [f"{r['screenshot']}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                for r in results for v in r["violations"] if v["impact"] in BLOCKING]  # type: ignore[attr-defined]
    problems += [f"{r['screenshot']}: {what}" for r in results for what in r["layout"]]  # type: ignore[attr-defined]
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("*.png"))) == len(visits) * len(LANGS) * len(WIDTHS)


def test_a_day_is_typed_as_officials_write_it(server: Server, chromium) -> None:  # type: ignore[no-untyped-def]
    """The licence form in Chromium: dd/mm/yyyy typed into the day fields, the register shows it back."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    driver = chromium
    sign_in(driver, server.url)
    driver.get(f"{server.url}/licences")
    form = driver.find_element(By.CSS_SELECTOR, "form[action='/licences']")
    expires = form.find_element(By.NAME, "expires")
    assert expires.get_attribute("type") == "text" and expires.get_attribute("placeholder") == "dd/mm/yyyy"
    expires.send_keys("31/01/28")
    assert driver.execute_script("return arguments[0].validity.patternMismatch", expires)
    expires.clear()
    for name, value in {"product": "BKAV Pro Doanh nghiệp", "match": "BKAV*", "seats": "12",
                        "starts": "01/02/2027", "expires": "31/01/2028"}.items():
        form.find_element(By.NAME, name).send_keys(value)
    page = driver.find_element(By.TAG_NAME, "html")
    form.find_element(By.CSS_SELECTOR, "button").click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(page))  # the register, reloaded
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
    row = driver.find_element(By.XPATH, "//tr[td[contains(., 'BKAV Pro Doanh nghiệp')]]").text
    assert "01/02/2027" in row and "31/01/2028" in row, row
