"""Hostile and odd backlogs through every file source and every output: nothing crashes, every item is accounted
for, the HTML runs nothing from the data (headless Chromium), the Markdown renders nothing from it but text.

The corpus and the huge cases are generated at test time by tests/hostile/corpus.py; the trackers' turn is in
tests/test_hostile_trackers.py.
"""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import corpus
from hostile.checks import chromium, markdown_problems, page_problems, rendered_markdown_text, terminal_problems

from backlog_health.cli import main
from backlog_health.sources.files import load_file
from backlog_health.sources.markup import adf_to_text, markdown_to_text, wiki_to_text

REPORT_TITLE = "Backlog health: {}"


def run_cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the CLI in-process from cwd; returns exit code, stdout and stderr."""
    import os

    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(before)
    return result.exit_code, result.stdout, result.stderr


def analyze_file(path: Path, *extra: str) -> dict:
    """Analyze a file into all three reports; returns them with the exit code and the terminal summary."""
    out = path.parent
    stem = path.name.replace(".", "_")
    code, stdout, stderr = run_cli(
        "analyze",
        path.name,
        "--no-history",
        "--html",
        f"{stem}.html",
        "--markdown",
        f"{stem}.md",
        "--json",
        f"{stem}.report.json",
        *extra,
        cwd=out,
    )
    assert code in (0, 1), f"{path.name}: exit {code}\n{stderr}"
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr
    return {
        "html": out / f"{stem}.html",
        "markdown": (out / f"{stem}.md").read_text(encoding="utf-8"),
        "json": json.loads((out / f"{stem}.report.json").read_text(encoding="utf-8")),
        "terminal": stderr,
        "stdout": stdout,
    }


@pytest.fixture(scope="session")
def hostile_reports(tmp_path_factory) -> dict[str, dict]:
    """The corpus as .txt, .csv and .json files (and a CSV of broken bytes), each analyzed once."""
    folder = tmp_path_factory.mktemp("hostile")
    items = corpus.hostile_items()
    files = {
        "txt": corpus.write_txt(folder / "hostile.txt", items),
        "csv": corpus.write_csv(folder / "hostile.csv", items),
        "json": corpus.write_json(folder / "hostile.json", items),
        "bytes": folder / "broken.csv",
    }
    files["bytes"].write_bytes(corpus.broken_bytes_csv())
    return {name: {"path": path, **analyze_file(path)} for name, path in files.items()}


EXPECTED_INPUTS = {
    # source → (elements in the file, of which skipped): the .txt has one line per non-empty title
    "txt": lambda items: (sum(1 for i in items if (i.get("title") or "").strip()), 0),
    "csv": lambda items: (len(items), len(items) - corpus.n_analysable(items)),
    "json": lambda items: (
        len(items) + corpus.N_JSON_NOT_ITEMS,
        len(items) - corpus.n_analysable(items) + corpus.N_JSON_NOT_ITEMS,
    ),
    "bytes": lambda items: (3, 0),
}


@pytest.mark.parametrize("source", list(EXPECTED_INPUTS))
def test_every_item_is_analysed_or_skipped_with_its_reason(hostile_reports, source):
    report = hostile_reports[source]
    n_inputs, n_skipped = EXPECTED_INPUTS[source](corpus.hostile_items())
    data = report["json"]
    assert len(data["items"]) + len(data["skipped"]) == n_inputs, source
    assert len(data["skipped"]) == n_skipped, data["skipped"]
    assert all(entry["reason"] for entry in data["skipped"])
    if n_skipped:  # the reason reaches the reader of each output
        reason = data["skipped"][0]["reason"]
        assert f"{n_skipped} skipped" in report["terminal"] and reason in report["terminal"], report["terminal"]
        assert reason in report["html"].read_text(encoding="utf-8").replace("&#39;", "'")
        assert f"{n_skipped} item" in report["markdown"] and reason in rendered_markdown_text(report["markdown"])
    if source in ("csv", "json"):
        keys = [item["key"] for item in data["items"]]
        assert keys.count("H-1") == 2, "both items of a duplicated key are kept"
        assert any("more than one item" in note for note in data["notes"]), data["notes"]


@pytest.mark.parametrize("source", ["csv", "json"])
def test_json_report_keeps_the_text_exactly(hostile_reports, source):
    data = hostile_reports[source]["json"]
    by_key = {item["key"]: item for item in data["items"]}
    for original in corpus.hostile_items()[:8]:
        assert by_key[original["key"]]["title"] in (original["title"], "A second item with the key H-1")
    assert any(payload in json.dumps(data, ensure_ascii=False) for payload in corpus.SCRIPT_PAYLOADS)
    assert all(item["url"] is None or item["url"].startswith("https://") for item in data["items"]), "http(s) only"


def test_odd_dates_are_noted_not_fatal(hostile_reports):
    data = hostile_reports["csv"]["json"]
    assert any("date(s) could not be read" in note for note in data["notes"]), data["notes"]
    assert any("not numbers" in note for note in data["notes"]), "the 'lots' estimates"


def test_broken_bytes_are_decoded_and_announced(hostile_reports):
    data = hostile_reports["bytes"]["json"]
    assert [item["key"] for item in data["items"]] == ["B-1", "B-2", "B-3"]
    assert all("\x00" not in item["title"] for item in data["items"])
    assert any("NUL" in note for note in data["notes"]) and any("not UTF-8" in note for note in data["notes"])


@pytest.mark.parametrize("source", list(EXPECTED_INPUTS))
def test_markdown_renders_nothing_from_the_data_but_text(hostile_reports, source):
    report = hostile_reports[source]
    text = report["markdown"]
    links = {item["url"] for item in report["json"]["items"] if item["url"]}
    assert markdown_problems(text, links) == []
    shown = rendered_markdown_text(text)
    if source != "bytes":
        assert corpus.MARK in shown and "<script>" in shown, "markup from the data is shown as text, not dropped"


@pytest.mark.parametrize("source", list(EXPECTED_INPUTS))
def test_terminal_summary_has_no_control_characters(hostile_reports, source):
    assert terminal_problems(hostile_reports[source]["terminal"]) == []


def test_terminal_summary_neutralizes_escape_sequences_and_bidi_overrides(tmp_path):
    titles = [
        "As a user, I want \x1b[2J\x1b]0;owned\x07 a clear screen so that \x1b[31mred",
        "As a user, I want \u202eexe.txt\u202c reversed so that it hides",
        "As a user, I want \x9b31m C1 controls so that they do not \x08\x08 erase",
    ]
    path = tmp_path / "controls.csv"
    corpus.write_csv(path, [{"key": f"C-{n}\x1b[1m", "title": t} for n, t in enumerate(titles)])
    report = analyze_file(path)
    assert terminal_problems(report["terminal"]) == []
    assert "a clear screen" in report["terminal"], "the text around the controls is kept"


def test_html_report_runs_nothing_from_the_data(hostile_reports):
    with chromium() as driver:
        for name, report in hostile_reports.items():
            location = report["json"]["source"]["location"]
            problems = page_problems(driver, report["html"], REPORT_TITLE.format(location))
            assert problems == [], f"{name}: {problems}"


@pytest.mark.parametrize("source", ["csv", "json"])
def test_html_report_never_links_a_script_url(hostile_reports, source):
    html = hostile_reports[source]["html"].read_text(encoding="utf-8")
    links: list[tuple[str, str]] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            links.extend((tag, value or "") for name, value in attrs if name in ("href", "src", "action"))

    Links().feed(html)
    assert links and all(value.startswith(("#", "https://")) for _, value in links), links
    assert ("a", "https://tracker.example.com/browse/OK-1") in links, "an item's own https link stays a link"
    table = json.loads(re.search(r'id="bh-items">(.*?)</script>', html, re.DOTALL).group(1))
    assert all(row["u"] is None or row["u"].startswith("https://") for row in table)


# ---------------------------------------------------------------- markup that is broken or huge


def test_deep_adf_neither_crashes_nor_loses_its_text():
    start = time.perf_counter()
    text = adf_to_text(corpus.deep_adf(5000))
    assert f"deep text {corpus.MARK}" in text
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("document", corpus.MALFORMED_ADF, ids=lambda d: repr(d)[:40])
def test_malformed_adf_gives_text_or_nothing(document):
    text = adf_to_text(document)
    assert isinstance(text, str)
    assert "\x00" not in text


def test_deeply_nested_wiki_and_markdown():
    wiki = "\n".join("*" * depth + f" level {depth}" for depth in range(1, 3000))
    assert "level 2999" in wiki_to_text(wiki)
    # NOTE: markdown-it drops what is nested deeper than its limit (20 levels) and, after a list that deep, the
    # rest of the text; it neither crashes nor runs out of stack.
    markdown = f"{corpus.MARK}\n\n" + "> " * 3000 + "quoted\n\n" + "".join("  " * d + "- item\n" for d in range(2000))
    assert markdown_to_text(markdown).startswith(corpus.MARK)


def test_empty_backlogs(tmp_path):
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "header.csv").write_text("key,title\n", encoding="utf-8")
    for name in ("empty.csv", "header.csv"):
        code, _, stderr = run_cli("analyze", name, "--no-history", "--json", "out.json", cwd=tmp_path)
        assert code == 2 and stderr.count("\n") == 1 and name in stderr, stderr
    (tmp_path / "none.json").write_text('{"items": []}', encoding="utf-8")
    report = analyze_file(tmp_path / "none.json")
    assert report["json"]["items"] == [] and report["json"]["summary"]["n_items"] == 0
    assert "no open items" in report["markdown"] and markdown_problems(report["markdown"], set()) == []


# ---------------------------------------------------------------- size


@pytest.fixture(scope="session")
def huge_reports(tmp_path_factory) -> dict[str, dict]:
    """Two items with 5 MB descriptions, as CSV and as a snapshot, analyzed once (timed)."""
    folder = tmp_path_factory.mktemp("huge")
    description = corpus.huge_description()
    items = [
        {"key": f"HUGE-{n}", "title": f"As a shopper, I want to filter by price {n} so that I save money"}
        | {"description": description, "type": "Story"}
        for n in (1, 2)
    ]
    reports = {}
    for name, write in (("csv", corpus.write_csv), ("json", corpus.write_json)):
        path = write(folder / f"huge.{name}", items)
        start = time.perf_counter()
        reports[name] = {**analyze_file(path), "seconds": time.perf_counter() - start}
    return reports


@pytest.mark.parametrize("source", ["csv", "json"])
def test_five_megabyte_descriptions(huge_reports, source):
    report = huge_reports[source]
    assert report["seconds"] < 30, f"{source}: {report['seconds']:.1f} s"
    assert [item["key"] for item in report["json"]["items"]] == ["HUGE-1", "HUGE-2"]
    assert markdown_problems(report["markdown"], set()) == []
    assert terminal_problems(report["terminal"]) == []


def test_hundred_thousand_rows(tmp_path):
    """100,000 rows: the file source, and every report of them (the rules' own cost is the engine's to measure)."""
    from backlog_health.config import load_config
    from backlog_health.engine import analyze
    from backlog_health.report import render, reporters
    from backlog_health.report.terminal import summary_lines
    from backlog_health.rules import RuleSet

    path = corpus.big_csv(tmp_path / "big.csv", 100_000)
    start = time.perf_counter()
    loaded = load_file(path)
    load_seconds = time.perf_counter() - start
    assert len(loaded.items) == 100_000 and not loaded.skipped
    assert loaded.items[-1].key == "BIG-100000" and loaded.items[-1].estimate == 100_000 % 8
    result = analyze(loaded, load_config(directory=None), RuleSet(()))
    start = time.perf_counter()
    markdown = render(reporters()["markdown"], result)
    html = render(reporters()["html"], result)
    terminal = "\n".join(summary_lines(result))
    render_seconds = time.perf_counter() - start
    assert load_seconds < 15 and render_seconds < 20, (load_seconds, render_seconds)
    assert "100,000" in markdown and html.count('"k":"BIG-') == 100_000
    assert markdown_problems(markdown, set()) == [] and terminal_problems(terminal) == []
