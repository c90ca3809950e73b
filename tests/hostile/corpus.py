"""A hostile backlog, generated at test time: script, HTML and Markdown injection, odd characters and odd shapes.

`hostile_items()` is the corpus as plain dicts (the fields of a BacklogItem, some malformed on purpose); the
writers turn it into a .txt, .csv or .json file, and `jira_issues` / `github_issues` into tracker payloads that
the stand-ins in tests/standins serve. The huge cases (a 100,000-row CSV, 5 MB descriptions, ADF nested
thousands of levels deep) are built here too, never stored.

A payload that ran in a browser would set `window.__pwned`, change `document.title` to PWNED or open an alert;
the browser test looks for each of those effects.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

Json = dict[str, Any]

PWN = "window.__pwned=1"
PWN_TITLE = "document.title='PWNED'"
MARK = "pwnmark"  # a word every payload carries, to find its text in an output

# Script and HTML injection: tags, attributes, closing the <script> element, template syntax, URLs.
SCRIPT_PAYLOADS = (
    f"<script>{PWN}</script>",
    f'<img src=x onerror="{PWN}">',
    f'"><svg onload="{PWN_TITLE}">',
    '\'><iframe src="javascript:alert(1)"></iframe>',
    f"</script><script>{PWN}</script><!--",
    f"<body onload=alert(1)><a href='javascript:{PWN}'>x</a>",
    "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    f'<math><mi xlink:href="javascript:{PWN}">m</mi></math>',
    f"<style>@import 'https://evil.example/{MARK}.css';</style>",
    f"<base href=https://evil.example/><meta http-equiv=refresh content='0;url=javascript:{PWN}'>",
)
# Markdown injection: table breaks, line breaks, links, images, mentions, raw HTML, code, headings, quotes.
MARKDOWN_PAYLOADS = (
    f"a | b | c {MARK} || d",
    f"line one\nline two | cell\n\n# heading {MARK}",
    f"[click me](https://evil.example/{MARK}) and [ref][1]\n\n[1]: https://evil.example/ref",
    f"![tracking pixel](https://evil.example/{MARK}.png)",
    f"ping @octocat and @org/team and @{MARK}",
    f"<b>bold</b> <details><summary>{MARK}</summary>x</details> <a href=https://evil.example>a</a>",
    f"`code` ``` fenced ``` <kbd>{MARK}</kbd>",
    f"https://evil.example/{MARK} www.evil.example/autolink <https://evil.example/angle>",
    f"> quote\n---\n* star item {MARK}\n1. numbered",
    f"&lt;escaped&gt; &amp; &#x3C;script&#x3E; \\| backslash pipe {MARK}",
)
# Characters that hide or reorder text, and text that is not Latin.
ODD_TEXT = (
    f"zero\u200bwidth\u200cjoiner\u200dspace\ufeff {MARK}",
    f"right-to-left \u202eevil.exe\u202c override \u2066isolate\u2069 {MARK}",
    f"emoji 👩‍💻🚀🇺🇦 {MARK} 🧑🏽‍🦯",
    f"שלום עולם مرحبا {MARK} 你好",
    f"combining Z̴̡̪a̷l̶g̸o̵ {MARK}",
    f"line\u2028separator\u2029paragraph {MARK}",
)
URLS = (
    f"javascript:{PWN}",
    f"JavaScript:alert(1)//{MARK}",
    f" javascript:{PWN}",
    f"data:text/html,<script>{PWN}</script>",
    f"vbscript:msgbox({MARK})",
    f'https://tracker.example.com/browse/X-1"><script>{PWN}</script>',
    "https://tracker.example.com/browse/OK-1",
)
ODD_DATES = ("31/02/2023", "yesterday", "2023-13-45", "", "0000-00-00", "1e309", "2023-11-27T25:61:00Z", None)
STORY = "As a user, I want to {} so that I save time"


def hostile_items() -> list[Json]:
    """The corpus: one dict per item, every field a source may carry; duplicate keys and odd dates included."""
    texts = [*SCRIPT_PAYLOADS, *MARKDOWN_PAYLOADS, *ODD_TEXT]
    items: list[Json] = []
    for n, text in enumerate(texts, start=1):
        items.append(
            {
                "key": f"H-{n}",
                "title": STORY.format(text) if n % 2 else text,
                "description": f"{text}\n\nAcceptance criteria:\n- {text}\n- The page shows {MARK}",
                "type": "Story" if n % 3 else text,
                "status": "To Do" if n % 4 else text,
                "priority": "High" if n % 5 else text,
                "labels": [text, f"{MARK}|label"],
                "assignee": text,
                "url": URLS[n % len(URLS)],
                "estimate": (3, "5", "lots", None)[n % 4],
                "created": ODD_DATES[n % len(ODD_DATES)],
                "updated": "2023-11-27T15:04:00Z" if n % 3 else ODD_DATES[(n + 3) % len(ODD_DATES)],
            }
        )
    # Hostile keys, and one key used twice: both items are kept.
    items.append({**items[0], "key": f'K"><img src=x onerror="{PWN}">', "title": "As a user, I want a key of markup"})
    items.append({**items[1], "key": f"[{MARK}](javascript:{PWN})|@admin", "title": "A key that is a Markdown link"})
    items.append({**items[2], "key": "H-1", "title": "A second item with the key H-1"})
    items.append({"key": "H-EMPTY", "title": "", "description": ""})  # nothing to analyse: skipped, with why
    return items


def n_analysable(items: list[Json]) -> int:
    """How many items have a title or a description (the others are skipped)."""
    return sum(1 for item in items if (item.get("title") or "").strip() or (item.get("description") or "").strip())


# ---------------------------------------------------------------- files


def write_txt(path: Path, items: list[Json]) -> Path:
    """One title per line (a title's line breaks become spaces: each line is a story)."""
    lines = [" ".join((item.get("title") or "").split()) for item in items]
    path.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")
    return path


CSV_HEADER = ("Issue key", "Summary", "Description", "Issue Type", "Status", "Priority", "Labels", "Assignee")
CSV_EXTRA = ("Custom field (Story Points)", "Created", "Updated", "url")


def csv_rows(items: list[Json]) -> list[list[str]]:
    """Rows of a Jira-style CSV export of the items."""
    rows = []
    for item in items:
        rows.append(
            [
                item.get("key") or "",
                item.get("title") or "",
                item.get("description") or "",
                item.get("type") or "",
                item.get("status") or "",
                item.get("priority") or "",
                ",".join(item.get("labels") or []),
                item.get("assignee") or "",
                "" if item.get("estimate") is None else str(item["estimate"]),
                item.get("created") or "",
                item.get("updated") or "",
                item.get("url") or "",
            ]
        )
    return rows


def write_csv(path: Path, items: list[Json]) -> Path:
    """A Jira-style CSV export of the items."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([*CSV_HEADER, *CSV_EXTRA])
    writer.writerows(csv_rows(items))
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def write_json(path: Path, items: list[Json]) -> Path:
    """A snapshot: a JSON report's `items`, each with its full item, plus elements that are not items at all."""
    elements: list[Any] = [{"key": item["key"], "title": item.get("title"), "item": item} for item in items]
    elements += ["not an object", 42, None, {"key": "NO-TITLE"}, {"title": "No key"}]
    path.write_text(json.dumps({"items": elements}, ensure_ascii=False), encoding="utf-8")
    return path


N_JSON_NOT_ITEMS = 5  # elements write_json adds that cannot be items (each is skipped)


def broken_bytes_csv() -> bytes:
    """A CSV with invalid UTF-8 and NUL bytes inside cells."""
    return (
        b"Issue key,Summary,Description\n"
        b"B-1,As a user \xff\xfe I want \x00 bytes,desc \xc3\x28 broken\n"
        b"B-2,As a user I want NUL\x00\x00 here so that it is gone,\x80\x81\x82\n"
        b"B-3,Plain title,ok\n"
    )


# ---------------------------------------------------------------- huge cases


def big_csv(path: Path, n_rows: int) -> Path:
    """n_rows plain items (bug-like titles, so the run measures the file and reports, not the parser)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "title", "type", "status", "story_points", "created"])
        for n in range(1, n_rows + 1):
            writer.writerow(
                [f"BIG-{n}", f"Fix the export of report {n} <b>|{MARK}|</b>", "Bug", "To Do", n % 8, "2023-11-27"]
            )
    return path


def huge_description(n_bytes: int = 5 * 1024 * 1024) -> str:
    """About n_bytes of description: story lines, criteria, markup and payloads, over and over."""
    chunk = (
        "As a shopper, I want to filter the catalogue by price so that I find what I can afford.\n"
        f"- The list shows only items under the limit <script>{PWN}</script> | {MARK}\n"
        "* a *wiki* bullet with {code}x{code} and [a link|https://evil.example]\n\n"
    )
    return chunk * (n_bytes // len(chunk) + 1)


def deep_adf(depth: int) -> Json:
    """An ADF document nested `depth` levels deep (blockquotes and lists), text at the bottom."""
    node: Json = {
        "type": "paragraph",
        "content": [{"type": "text", "text": f"deep text {MARK} <script>{PWN}</script>"}],
    }
    for level in range(depth):
        if level % 2:
            node = {"type": "blockquote", "content": [node]}
        else:
            node = {"type": "bulletList", "content": [{"type": "listItem", "content": [node]}]}
    return {"type": "doc", "version": 1, "content": [node]}


MALFORMED_ADF: tuple[Any, ...] = (
    {"type": "doc", "content": "not a list"},
    {"type": "doc", "content": [None, 1, "x", [], {"type": None}, {"content": [{"text": 5}]}]},
    {"type": "doc", "content": [{"type": "text", "text": f"<b>{MARK}</b>", "marks": "oops"}]},
    {"type": "doc", "content": [{"type": "mention", "attrs": {"text": f"@{MARK}<script>"}}]},
    {
        "type": "doc",
        "content": [{"type": "orderedList", "attrs": {"order": 10**30}, "content": [{"type": "listItem"}]}],
    },
    {"type": "doc", "content": [{"type": "date", "attrs": {"timestamp": "1e400"}}, {"type": "heading", "attrs": 7}]},
    {"type": "doc", "content": [{"type": "inlineCard", "attrs": {"url": f"javascript:{PWN}"}}]},
    [],
    "h1. wiki markup string in an ADF field <script>",
    12345,
)


# ---------------------------------------------------------------- trackers


def _adf(text: str) -> Json:
    """A text as an ADF document: one paragraph per line, with a mention and a link in the first."""
    lines = [line for line in text.split("\n") if line]
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in lines]
    if paragraphs:
        paragraphs[0]["content"] += [
            {"type": "mention", "attrs": {"id": "x", "text": "@octocat"}},
            {
                "type": "text",
                "text": "link",
                "marks": [{"type": "link", "attrs": {"href": f"javascript:{PWN}"}}],
            },
        ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def jira_issues(issues: list[Json], deployment: str) -> list[Json]:
    """The stand-in's generated issues with the corpus written over their texts and people.

    Cloud descriptions become ADF (with a few malformed and one deeply nested document); Data Center ones stay
    wiki-markup strings. Issue keys stay the stand-in's own: Jira keys are letters, a dash and digits.
    """
    corpus = hostile_items()
    out = []
    for n, issue in enumerate(issues):
        issue = copy.deepcopy(issue)
        item = corpus[n % len(corpus)]
        fields = issue["fields"]
        fields["summary"] = item.get("title") or ""
        text = item.get("description") or ""
        if deployment == "cloud":
            # NOTE: 150 levels is past the converter's recursion depth; thousands would be past what a JSON
            # parser accepts, which test_hostile.py covers without the network.
            extra = MALFORMED_ADF + (deep_adf(150),)
            fields["description"] = extra[n % len(extra)] if n % 3 == 2 else _adf(text)
        else:
            fields["description"] = text
        fields["labels"] = [label.replace(" ", "_") for label in item.get("labels") or []]
        for role in ("assignee", "reporter"):
            if isinstance(fields.get(role), dict):
                fields[role]["displayName"] = item.get("assignee") or ""
        if isinstance(fields.get("issuetype"), dict) and n % 4 == 3:
            fields["issuetype"]["name"] = item.get("type") or ""
        out.append(issue)
    return out


def github_issues(issues: list[Json]) -> list[Json]:
    """The stand-in's generated issues with the corpus written over titles, bodies, labels and people (URLs stay:
    the stand-in's project view is built from them; the file sources carry the hostile URLs)."""
    corpus = hostile_items()
    out = []
    for n, issue in enumerate(issues):
        issue = copy.deepcopy(issue)
        item = corpus[n % len(corpus)]
        issue["title"] = item.get("title") or ""
        issue["body"] = item.get("description") or None
        issue["labels"] = [
            {**label, "name": text} for label, text in zip(issue.get("labels") or [], item.get("labels") or [])
        ]
        for person in [issue.get("user"), *(issue.get("assignees") or [])]:
            if isinstance(person, dict):
                person["login"] = item.get("assignee") or ""
        out.append(issue)
    return out
