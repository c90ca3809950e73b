"""What the hostile tests assert of each output: Markdown that renders only text, terminal lines without controls,
HTML that runs nothing from the data (in headless Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .corpus import PWN

TOOL_HTML = {"<br>"}  # the only raw HTML the Markdown template writes (line breaks inside table cells)
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")  # what GitHub turns into a ping
AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp)://|\bwww\.")  # what GitHub's autolinker turns into a link
# Terminal controls: C0 (but tab and newline), DEL, C1, and the bidirectional overrides and isolates.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # click's own colours, when styled


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _cells(line: str) -> int:
    """Table cells of a Markdown table line: its unescaped pipes, less the outer ones."""
    pipes, escaped = 0, False
    for char in line.strip():
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            pipes += 1
    return pipes - 1


def markdown_problems(text: str, allowed_links: set[str]) -> list[str]:
    """Everything in the rendered Markdown that is more than text: images, foreign links, raw HTML, pings,
    autolink candidates, and tables whose rows have a different number of cells."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    tokens = md.parse(text)
    lines = text.split("\n")
    allowed = {unquote(url) for url in allowed_links}
    problems = []
    for token in _walk(tokens):
        if token.type == "image":
            problems.append(f"image: {token.attrGet('src')}")
        elif token.type == "link_open" and unquote(str(token.attrGet("href"))) not in allowed:
            problems.append(f"link: {token.attrGet('href')}")
        elif token.type in ("html_block", "html_inline") and token.content.strip() not in TOOL_HTML:
            problems.append(f"raw HTML: {token.content[:80]!r}")
        elif token.type in ("text", "code_inline") and MENTION.search(token.content):
            problems.append(f"mention: {token.content[:80]!r}")
        elif token.type == "text" and AUTOLINK.search(token.content):
            problems.append(f"autolink: {token.content[:80]!r}")
        elif token.type in ("heading_open", "blockquote_open", "bullet_list_open", "code_block", "fence", "hr"):
            line = lines[token.map[0]] if token.map else ""
            if not line.startswith(("#", "> ", "- ", "1. ", "2. ", "3. ")):  # the template's own blocks
                problems.append(f"{token.type} from the data: {line[:80]!r}")
        elif token.type == "table_open" and token.map:
            rows = lines[token.map[0] : token.map[1]]
            counts = {_cells(row) for row in rows if row.strip()}
            if len(counts) != 1:
                problems.append(f"table with rows of {sorted(counts)} cells: {rows[0][:60]!r}")
    return problems


def rendered_markdown_text(text: str) -> str:
    """The text a reader sees of rendered Markdown (what GitHub would show)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return " ".join(t.content for t in _walk(md.parse(text)) if t.type == "text")


def terminal_problems(text: str) -> list[str]:
    """Control characters (escape sequences, bidi overrides) in terminal output, apart from click's colours."""
    plain = ANSI_STYLE.sub("", text)
    return [f"line {n}: {line[:80]!r}" for n, line in enumerate(plain.split("\n"), 1) if CONTROLS.search(line)]


# ---------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@contextmanager
def chromium():
    """A headless Chromium driven by Selenium, with the browser console logged; skipped where it is missing."""
    import pytest

    webdriver = pytest.importorskip("selenium.webdriver")
    if not (CHROMIUM and CHROMEDRIVER):
        message = "headless Chromium needs Debian's chromium and chromium-driver packages"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run installs them)")
        pytest.skip(message)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="bh-hostile-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.set_capability("unhandledPromptBehavior", "ignore")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    # NOTE: installed before any page script: an alert or confirm from the data would be counted, not shown.
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "window.__dialogs = 0; window.alert = window.confirm = window.prompt = "
            "function () { window.__dialogs += 1; };"
        },
    )
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_problems(driver, path: Path, title: str) -> list[str]:
    """Load a report, open every finding of every page of items, and say what ran that should not have."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get(path.as_uri())
    problems = []
    for _ in range(40):  # every page of the item table (the corpus is small), every finding opened
        driver.execute_script(
            "document.querySelectorAll('#rows button.toggle[aria-expanded=false]').forEach(b => b.click())"
        )
        next_button = driver.find_element(By.ID, "next")
        if next_button.get_attribute("disabled"):
            break
        driver.execute_script("arguments[0].click()", next_button)
    state = driver.execute_script(
        "return {pwned: window.__pwned, dialogs: window.__dialogs, title: document.title,"
        " scripts: document.scripts.length,"
        " base: document.querySelectorAll('base, meta[http-equiv]:not([http-equiv=Content-Security-Policy])').length}"
    )
    if state["pwned"] is not None:
        problems.append(f"a payload set window.__pwned ({PWN})")
    if state["dialogs"]:
        problems.append(f"{state['dialogs']} alert/confirm/prompt dialog(s) opened")
    if state["title"] != title:
        problems.append(f"document.title changed to {state['title']!r}")
    if state["scripts"] != 2:
        problems.append(f"{state['scripts']} <script> elements, the report has 2")
    if state["base"] != 0:
        problems.append("a <base> or <meta http-equiv> element from the data")
    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
        problems.append("an alert is open")
    except NoAlertPresentException:
        pass
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('[href], [src]'), e => e.href || e.src)")
    problems += [f"link to {href}" for href in hrefs if not str(href).startswith(("http://", "https://", "file://"))]
    # NOTE: the filter form's onsubmit is the template's own (it keeps Enter from reloading the page).
    inline = driver.execute_script(
        "return Array.from(document.querySelectorAll('*:not(form#filters)')).flatMap(e => Array.from(e.attributes))"
        ".filter(a => a.name.startsWith('on')).map(a => a.name)"
    )
    problems += [f"event handler attribute {name}" for name in inline]
    problems += [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return problems
