"""Reports escape backlog text, link only http(s) URLs, and are written atomically."""

from __future__ import annotations

import json
import re

import pytest

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, SourceInfo
from backlog_health.report import render, reporters, write_text
from backlog_health.report.templating import md_escape
from backlog_health.sources import Loaded

HOSTILE = BacklogItem(
    key="X-1<script>",
    title='As a user, I want <img src=x onerror=alert(1)> and <script>alert("t")</script> | @team [link](http://e.x)',
    description="",
    url="javascript:alert(1)",
    type="Story",
)
SAFE_LINK = BacklogItem(key="X-2", title="As a user, I want to log in.", url="https://jira.example.com/browse/X-2")


@pytest.fixture(scope="module")
def result():
    loaded = Loaded(
        SourceInfo("file", "<b>backlog</b>.csv", None, frozenset({"title", "description"})), (HOSTILE, SAFE_LINK)
    )
    return analyze(loaded, load_config())


def test_html_escapes_backlog_text_and_drops_unsafe_links(result):
    html = render(reporters()["html"], result)
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html
    assert '<a href="https://jira.example.com/browse/X-2" rel="noopener noreferrer">X-2</a>' in html
    assert "&lt;b&gt;backlog&lt;/b&gt;.csv" in html


def test_html_table_data_cannot_close_its_script_element(result):
    html = render(reporters()["html"], result)
    data = html.split('<script type="application/json" id="bh-items">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data, "raw angle brackets inside the embedded JSON"
    rows = json.loads(data)
    assert rows[0]["k"] == "X-1<script>" and rows[0]["t"] == HOSTILE.title
    assert rows[0]["u"] is None and rows[1]["u"] == "https://jira.example.com/browse/X-2"


def test_markdown_cannot_break_tables_or_inject(result):
    markdown = render(reporters()["markdown"], result)
    lines = markdown.splitlines()
    n_rows = 0
    for n, line in enumerate(lines):
        if line.startswith("|") and n + 1 < len(lines) and lines[n + 1].startswith("|-"):
            width = line.count("|")
            body = lines[n + 2 :]
            for row in body[: next((i for i, r in enumerate(body) if not r.startswith("|")), len(body))]:
                # the title's pipe is escaped, so every row has as many cell borders as its header
                assert row.count("|") - row.count("\\|") == width, row
                n_rows += "X\\-1" in row
    assert n_rows >= 2, "the hostile item should appear in the planning and worst-items tables"
    assert not re.search(r"(?<!\\)<(img|script)", markdown), "raw HTML from the data"
    assert not re.search(r"(?<!\\)\[link(?<!\\)\]", markdown) and not re.search(r"(?<!\\)@team", markdown)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a | b", "a \\| b"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("[x](http://y)", "\\[x\\]\\(http:\u200d//y\\)"),  # a zero-width joiner stops GitHub's autolinks
        ("@here", "@\u200dhere"),  # and its mentions
        ("see www.evil.example", "see www\u200d.evil.example"),
        ("line\nbreak", "line break"),
        ("*bold* _em_ `code`", "\\*bold\\* \\_em\\_ \\`code\\`"),
        ("a & b", "a &amp; b"),
    ],
)
def test_md_escape(text, expected):
    assert md_escape(text) == expected


def test_json_report_is_valid_and_versioned(result):
    data = json.loads(render(reporters()["json"], result))
    assert data["schema_version"] == 1
    assert data["items"][0]["title"] == HOSTILE.title


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError):
        write_text("new report", str(target))
    assert target.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"], "the temp file is cleaned up"


def test_markdown_stays_under_githubs_limit_with_a_visible_note():
    from backlog_health.report.markdown import MAX_BYTES, fit

    text = "".join(f"| row {n} | {'é' * 200} |\n" for n in range(20_000))
    fitted = fit(text)
    assert len(fitted.encode("utf-8")) <= MAX_BYTES
    assert "Report truncated" in fitted and fitted.splitlines()[0] == text.splitlines()[0]
    assert fit("short\n") == "short\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://jira.example.com/browse/X-1", "[X\\-1](https://jira.example.com/browse/X-1)"),
        ("https://e.x/a (b)", "[X\\-1](https://e.x/a%20%28b%29)"),
        ("javascript:alert(1)", "X\\-1"),
        (None, "X\\-1"),
    ],
)
def test_markdown_links_only_http_urls(url, expected):
    from backlog_health.report.templating import md_link

    assert md_link("X-1", url) == expected


def test_planning_checklist_says_which_story_parts_are_there():
    from backlog_health.report.views import build_view

    items = (
        BacklogItem("A-1", "As a buyer, I want to save my cart so that I can finish later", rank=1),
        BacklogItem("A-2", "As a buyer, I want to save my cart", rank=2),
        BacklogItem("A-3", "Fix the login timeout", type="Bug", rank=3),
    )
    view_result = analyze(Loaded(SourceInfo("file", "x.csv"), items), load_config(directory=None))
    view = build_view(view_result)
    story_form = {card.item.key: next(c for c in card.checks if c.label == "Story form") for card in view.planning}
    assert (story_form["A-1"].state, story_form["A-1"].detail) == ("ok", "role, need and benefit")
    assert story_form["A-2"].detail != "role, need and benefit", story_form["A-2"]
    assert story_form["A-3"].state == "na"
    ready = sum(r.ready for r in view_result.items if r.story is not None)
    assert view.stories_ready == f"user stories: {ready} of 2 ready", "stories are not hidden among bugs"


def test_big_json_reports_are_compact(result, monkeypatch):
    from backlog_health.report import json_report

    small = render(reporters()["json"], result)
    monkeypatch.setattr(json_report, "INDENT_UP_TO", len(result.items) - 1)
    big = render(reporters()["json"], result)
    assert "\n  " in small and "\n" not in big.rstrip("\n"), "indented when small, one line when big"
    assert json.loads(big) == json.loads(small)


def test_writing_a_report_follows_links_keeps_modes_and_never_replaces_a_pipe(tmp_path):
    import os
    import stat
    import threading

    target = tmp_path / "real.json"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text("new", str(link))
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600, "a private file stays private"

    previous = os.umask(0o077)
    try:
        write_text("fresh", str(tmp_path / "fresh.md"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "fresh.md").stat().st_mode) == 0o600, "a new file follows the umask"

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")))
    reader.start()
    write_text("through the pipe", str(pipe))
    reader.join(timeout=10)
    assert received == ["through the pipe"] and stat.S_ISFIFO(pipe.stat().st_mode), "written into, not replaced"


def test_bidirectional_overrides_never_reach_a_report():
    """U+202E shows "txt.exe" as "exe.txt" and reorders the report's own words after it."""
    tricky = BacklogItem("B-1", "As a user, I want \u202etxt.exe\u202c and \u2067names\u2069 so that I pay $5", rank=1)
    result = analyze(Loaded(SourceInfo("file", "b.csv"), (tricky,)), load_config(directory=None))
    for name in ("html", "markdown"):
        text = render(reporters()[name], result)
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", text), name
    assert "\\$5" in render(reporters()["markdown"], result), "GitHub reads $…$ as math"


def test_planning_card_fails_a_bug_without_criteria_when_all_items_need_them():
    from dataclasses import replace as changed

    from backlog_health.report.views import build_view
    from backlog_health.scoring import Readiness

    bug = BacklogItem("B-1", "Fix the login timeout", description="Steps: open the app and wait.", type="Bug", rank=1)
    info = SourceInfo("file", "x.csv", None, frozenset({"title", "description", "type"}))
    for criteria_for, state in (("stories", "na"), ("all", "fail")):
        config = load_config(directory=None)
        config = changed(config, readiness=Readiness(criteria_for=criteria_for))
        card = build_view(analyze(Loaded(info, (bug,)), config)).planning[0]
        assert next(c.state for c in card.checks if c.label == "Acceptance criteria") == state, criteria_for


def test_a_run_shown_in_several_formats_is_viewed_once(monkeypatch):
    from dataclasses import replace

    from backlog_health.report import views
    from backlog_health.report.terminal import summary_lines

    built = []
    original = views._view
    monkeypatch.setattr(views, "_view", lambda result: built.append(result) or original(result))
    loaded = Loaded(SourceInfo("file", "x.csv"), (SAFE_LINK, BacklogItem("X-3", "As a user, I want to log out.")))
    first = analyze(loaded, load_config(directory=None))
    html, markdown = render(reporters()["html"], first), render(reporters()["markdown"], first)
    summary_lines(first)
    assert len(built) == 1, "one view for the HTML, the Markdown and the terminal"
    other = replace(first, health_score=12.0)
    assert "12" in render(reporters()["markdown"], other) and len(built) == 2, "another run gets its own view"
    assert render(reporters()["html"], first) == html and render(reporters()["markdown"], first) == markdown
    assert len(built) == 3, "the view of an earlier run is not kept"
