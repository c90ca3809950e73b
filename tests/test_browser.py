"""The HTML report in a real browser (headless Chromium): no console errors, sorting, filtering, paging, and
no script from the backlog ever runs.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them the tests are skipped on
a workstation and fail in CI, so they can never silently stop running there.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, SourceInfo
from backlog_health.report import render, reporters
from backlog_health.sources import Loaded

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
PWN = "window.__pwned=1"
HOSTILE = (
    BacklogItem(
        key="EVIL-1",
        title=f'As a user, I want <img src=x onerror="{PWN}"> and <script>{PWN}</script>, so that it runs.',
        description=f'</script><script>{PWN}</script><svg onload="{PWN}">',
        url=f"javascript:{PWN}",
        type="Story",
        labels=(f'"><img src=x onerror="{PWN}">',),
    ),
    BacklogItem(
        key=f'EVIL-2"><svg onload="{PWN}">',
        title="As an editor, I want a fast and simple editor<!-- and a comment --> for "
        "AVeryLongClassNameWithoutAnyBreakOpportunityThatWouldStretchThePageOnAPhone",
        url="https://tracker.example.com/browse/EVIL-2",
        type="Story",
    ),
)
N_PLAIN = 128


def _plain(n: int) -> BacklogItem:
    """Items of varied quality, so that filters and sorting have something to do."""
    stories = (
        "As a member, I want to renew my card online, so that I do not queue.",
        "As a member, I want to add and delete saved searches.",
        "I want a better catalogue etc.",
        "Fix the login timeout on the kiosk",
    )
    return BacklogItem(
        key=f"LIB-{n}",
        title=stories[n % len(stories)] if n % 4 != 3 else f"Fix the login timeout on kiosk {n}",
        description="Acceptance criteria:\n- The card shows the new expiry date" if n % 2 else "",
        type="Story" if n % 4 != 3 else "Bug",
        status=("To Do", "In Progress")[n % 2],
        rank=n,
        estimate=float(n % 8) if n % 3 else None,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, list[dict]]:
    items = (*HOSTILE, *(_plain(n) for n in range(1, N_PLAIN + 1)))
    fields = frozenset({"title", "description", "type", "status", "rank", "estimate", "url", "labels"})
    result = analyze(Loaded(SourceInfo("file", "library.csv", None, fields), items), load_config(directory=None))
    html = render(reporters()["html"], result)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path, [item.to_dict() for item in result.items]


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        message = "headless Chromium needs Debian's chromium and chromium-driver packages"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run installs them)")
        pytest.skip(message)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="bh-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(browser, report):
    path, items = report
    browser.get(path.as_uri())
    return browser, items


def _rows(driver) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in driver.find_elements(By.CSS_SELECTOR, "#rows > tr:not(.more)")
    ]


def _click(driver, element) -> None:
    """Click as a user would, after scrolling the element into the middle of the window."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_page_loads_without_console_errors_and_shows_the_first_page(page):
    driver, items = page
    assert _errors(driver) == []
    rows = _rows(driver)
    assert len(rows) == 50
    assert driver.find_element(By.ID, "count").text == f"{len(items)} items"
    assert driver.find_element(By.ID, "page").text.startswith(f"Items 1–50 of {len(items)}")


def test_no_script_from_the_backlog_runs(page):
    driver, _ = page
    # open every finding of the hostile items and search, so their text is rendered every way the page can
    search = driver.find_element(By.ID, "f-q")
    search.send_keys("EVIL")
    driver.execute_script("return new Promise(r => setTimeout(r, 300))")
    buttons = driver.find_elements(By.CSS_SELECTOR, "#rows button.toggle")
    assert len(buttons) == 2
    for button in buttons:
        _click(driver, button)
    assert driver.execute_script("return window.__pwned") is None
    assert driver.find_elements(By.CSS_SELECTOR, "main img, main svg[onload], #rows script") == []
    text = driver.find_element(By.ID, "rows").text
    assert '<img src=x onerror="window.__pwned=1">' in text  # shown as text, not run
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]")]
    assert not [href for href in links if not href.startswith(("http://", "https://", "file://"))], links
    assert _errors(driver) == []


def test_sorting_by_score_both_ways(page):
    driver, items = page
    button = driver.find_element(By.CSS_SELECTOR, 'th[data-sort="s"] button')
    _click(driver, button)
    scores = sorted(item["score"] for item in items)
    assert [int(row[-1]) for row in _rows(driver)] == scores[:50]
    assert driver.find_element(By.CSS_SELECTOR, 'th[data-sort="s"]').get_attribute("aria-sort") == "ascending"
    _click(driver, button)
    assert [int(row[-1]) for row in _rows(driver)] == sorted(scores, reverse=True)[:50]


def test_filters_match_the_report_data(page):
    driver, items = page
    Select(driver.find_element(By.ID, "f-crit")).select_by_value("atomic")
    atomic = [item for item in items if any(f["criterion"] == "atomic" for f in item["findings"])]
    assert atomic, "the fixture backlog should have atomic findings"
    assert driver.find_element(By.ID, "count").text == f"{len(atomic)} of {len(items)} items match"
    Select(driver.find_element(By.ID, "f-ready")).select_by_value("yes")
    both = [item for item in atomic if item["ready"]]
    expected = f"{len(both)} of {len(items)} items match" if both else f"0 of {len(items)} items match"
    assert driver.find_element(By.ID, "count").text == expected
    Select(driver.find_element(By.ID, "f-crit")).select_by_value("")
    Select(driver.find_element(By.ID, "f-ready")).select_by_value("")
    Select(driver.find_element(By.ID, "f-type")).select_by_visible_text("Bug")
    bugs = [item for item in items if item["type"] == "Bug"]
    assert {row[3] for row in _rows(driver)} == {"Bug"} and len(_rows(driver)) == min(50, len(bugs))


def test_search_marks_the_match_and_paging_moves_through_results(page):
    driver, items = page
    search = driver.find_element(By.ID, "f-q")
    search.send_keys("kiosk")
    driver.execute_script("return new Promise(r => setTimeout(r, 300))")
    rows = _rows(driver)
    assert rows and all("kiosk" in row[2].lower() for row in rows)
    assert driver.find_elements(By.CSS_SELECTOR, "#rows mark")
    search.clear()
    search.send_keys(" ")  # a blank search shows everything again
    driver.execute_script("return new Promise(r => setTimeout(r, 300))")
    _click(driver, driver.find_element(By.ID, "next"))
    assert driver.find_element(By.ID, "page").text.startswith(f"Items 51–100 of {len(items)}")
    assert _rows(driver)[0][0] == "51"  # ranked items first, by rank; unranked ones last
    assert _errors(driver) == []


def test_report_data_is_the_json_report(report):
    path, items = report
    html = path.read_text(encoding="utf-8")
    data = json.loads(html.split('id="bh-items">', 1)[1].split("</script>", 1)[0])
    assert [row["k"] for row in data] == [item["key"] for item in items]


def test_phone_width_has_no_sideways_scrolling(browser, report):
    path, _ = report
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )
    try:
        browser.get(path.as_uri())
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
