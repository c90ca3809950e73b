"""File sources: decoding, the .txt/.csv/.json readers, user errors, and the real backlogs in shared/data."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from backlog_health.errors import InputError
from backlog_health.model import BacklogItem, Link, SkippedItem
from backlog_health.sources.files import (
    _plain,
    item_from_dict,
    load_file,
    parse_date,
    parse_estimate,
    status_category_of,
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """A file in tmp_path; str content is written as UTF-8 bytes exactly (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def titles(loaded) -> list[str]:
    """The titles of a load, in order."""
    return [item.title for item in loaded.items]


def case_ids(cases: list[tuple]) -> list[str]:
    """Test ids from the first element of each table row, the case name."""
    return [case[0] for case in cases]


# ---------------------------------------------------------------- decoding


def utf16_be_with_bom(text: str) -> bytes:
    """UTF-16 big-endian with its BOM (Python's "utf-16" codec writes the machine's order)."""
    return b"\xfe\xff" + text.encode("utf-16-be")


SMART = "As a PO, I want “smart quotes” so that it’s readable – café"
CYRILLIC = "Как пользователь, я хочу видеть отчёт"

DECODING_CASES = [
    # (case, file name, bytes, expected titles, expected note fragment or None)
    ("utf-8 BOM before a CSV header", "b.csv", b"\xef\xbb\xbfkey,title\nA-1,One\n", ["One"], None),
    ("CRLF text", "b.txt", b"One\r\nTwo\r\n", ["One", "Two"], None),
    ("old Mac CR text", "b.txt", b"One\rTwo\r", ["One", "Two"], None),
    ("CRLF CSV", "b.csv", b"title,points\r\nOne,3\r\nTwo,5\r\n", ["One", "Two"], None),
    ("cp1252 smart quotes", "b.txt", SMART.encode("cp1252") + b"\n", [SMART], "decoded as cp1252"),
    ("cp1252 smart quotes CSV", "b.csv", f"title\n{SMART}\n".encode("cp1252"), [SMART], "not UTF-8"),
    ("cp1251 Cyrillic", "b.txt", f"{CYRILLIC}\n".encode("cp1251"), [CYRILLIC], "decoded as cp1251"),
    ("UTF-16 BOM", "b.txt", "One é\nTwo ’\n".encode("utf-16"), ["One é", "Two ’"], None),
    ("UTF-16 BE BOM", "b.csv", utf16_be_with_bom("title\nOne é\n"), ["One é"], None),
    ("UTF-16 BOM, odd last byte", "b.txt", "One\n".encode("utf-16") + b"x", ["One", "\ufffd"], "replaced"),
    ("NUL bytes", "b.txt", b"On\x00e\nTwo\x00\n", ["One", "Two"], "NUL"),
    ("UTF-16 without BOM, ASCII", "b.txt", "One\nTwo\n".encode("utf-16-le"), ["One", "Two"], "NUL"),
    (
        "emoji and right-to-left",
        "b.txt",
        "Ship it 🚀\nשלום עולם\n".encode(),
        ["Ship it 🚀", "שלום עולם"],
        None,
    ),
    (
        "JSON with BOM and CRLF",
        "r.json",
        b'\xef\xbb\xbf{"items": [\r\n{"key": "A", "title": "One"}]}',
        ["One"],
        None,
    ),
]


@pytest.mark.parametrize(("case", "name", "raw", "expected", "note"), DECODING_CASES, ids=case_ids(DECODING_CASES))
def test_decoding(tmp_path, case, name, raw, expected, note):
    loaded = load_file(write(tmp_path, name, raw))
    assert titles(loaded) == expected, f"{case}: titles"
    if note is None:
        assert loaded.notes == (), f"{case}: expected no notes, got {loaded.notes}"
    else:
        assert any(note in text for text in loaded.notes), f"{case}: no note with {note!r} in {loaded.notes}"
        prefix = f"{tmp_path / name}: "
        assert all(text.startswith(prefix) for text in loaded.notes), f"{case}: notes name the file"


def test_cp1252_note_says_what_to_do(tmp_path):
    path = write(tmp_path, "backlog.csv", f"title\n{SMART}\n".encode("cp1252"))
    assert load_file(path).notes == (f"{path}: not UTF-8; decoded as cp1252 — save the file as UTF-8 to be sure",), (
        "cp1252: the note names file, encoding and fix"
    )


# ---------------------------------------------------------------- .txt


def test_txt_keys_are_line_numbers_and_ranks_positions(tmp_path):
    path = write(tmp_path, "b.txt", "  First story  \n\n   \nSecond story\nThird")
    loaded = load_file(path)
    assert [(i.key, i.title, i.rank) for i in loaded.items] == [
        ("1", "First story", 1),
        ("4", "Second story", 2),
        ("5", "Third", 3),
    ], "txt: blank lines count for keys, not for ranks; no final newline needed"
    info = loaded.info
    assert (info.kind, info.location, info.query) == ("file", str(path), None), "txt: info, path as given"
    assert info.fields == frozenset({"title"}), "txt: only titles come from a text file"


def test_extension_is_case_insensitive_and_path_may_be_str(tmp_path):
    path = write(tmp_path, "BACKLOG.TXT", "One\n")
    loaded = load_file(str(path))
    assert titles(loaded) == ["One"] and loaded.info.location == str(path), "upper-case .TXT given as str"


# ---------------------------------------------------------------- .csv: layout

CSV_LAYOUT_CASES = [
    # (case, text, expected [(key, title, description)])
    (
        "quoted multi-line cells with CRLF",
        'key,title,description\r\nA-1,"Multi\r\nline title","line 1\r\nline 2\r\n\r\nline 4"\r\nA-2,Two,\r\n',
        [("A-1", "Multi line title", "line 1\nline 2\n\nline 4"), ("A-2", "Two", "")],
    ),
    (
        "semicolon delimiter, commas inside cells",
        'key;title;description\nA-1;As a user, I want x;has, commas\nA-2;"Quoted; semi";d\n',
        [("A-1", "As a user, I want x", "has, commas"), ("A-2", "Quoted; semi", "d")],
    ),
    (
        "tab delimiter",
        "key\ttitle\tdescription\nA-1\tOne, two\tfirst; second\n",
        [("A-1", "One, two", "first; second")],
    ),
    ("pipe delimiter", "key|title\nA-1|One, two; three\n", [("A-1", "One, two; three", "")]),
    (
        "one column: commas stay in the story",
        "User story\nAs a user, I want x, so that y\nAs a PO, I want z\n",
        [("1", "As a user, I want x, so that y", ""), ("2", "As a PO, I want z", "")],
    ),
    (
        "long multi-line cells do not fool the sniffer",
        'key,title,description\nA-1,One,"' + "a; b; c; d\n" * 50 + '"\n',
        [("A-1", "One", "a; b; c; d\n" * 50)],
    ),
    (
        "blank and all-empty rows are not items",
        "key,title\n\nA-1,One\n,\n\nA-2,Two\n",
        [("A-1", "One", ""), ("A-2", "Two", "")],
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), CSV_LAYOUT_CASES, ids=case_ids(CSV_LAYOUT_CASES))
def test_csv_layout(tmp_path, case, text, expected):
    loaded = load_file(write(tmp_path, "b.csv", text))
    assert [(i.key, i.title, i.description) for i in loaded.items] == expected, case
    assert loaded.skipped == () and loaded.notes == (), f"{case}: nothing skipped or noted"
    assert [i.rank for i in loaded.items] == list(range(1, len(expected) + 1)), f"{case}: ranks"


# ---------------------------------------------------------------- .csv: Jira export and plain headers

JIRA_EXPORT = (
    "Summary,Issue key,Issue id,Issue Type,Status,Status Category,Priority,Assignee,Created,Updated,"
    "Sprint,Sprint,Labels,Labels,Labels,Custom field (Story Points),Custom field (Epic Link),Description,"
    "Custom field (Acceptance Criteria)\n"
    "As a PO I want a report,PROJ-12,10012,Story,In Review,In Progress,High,Ana Lima,27/Nov/23 3:04 PM,"
    '01/Dec/23 9:15 AM,Sprint 4,Sprint 5,ui,,reports,3.0,PROJ-1,"h3. Context\nSome *text*",'
    "Given x when y then z\n"
    "Fix login,PROJ-13,10013,Bug,Done,,Low,,27/Nov/2023 15:04,,,,,,,,,,\n"
)


def test_jira_export_headers(tmp_path):
    loaded = load_file(write(tmp_path, "jira.csv", JIRA_EXPORT))
    first, second = loaded.items
    assert first == BacklogItem(
        key="PROJ-12",
        title="As a PO I want a report",
        description="### Context\n\nSome text",  # Jira wiki markup becomes plain text
        type="Story",
        status="In Review",
        status_category="in_progress",
        priority="High",
        rank=1,
        estimate=3.0,
        labels=("ui", "reports"),
        parent="PROJ-1",
        sprint="Sprint 5",
        created=datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc),
        updated=datetime(2023, 12, 1, 9, 15, tzinfo=timezone.utc),
        assignee="Ana Lima",
        acceptance_criteria_field="Given x when y then z",
    ), "jira: every mapped column of a full row; repeated Labels all, repeated Sprint the last"
    assert (second.key, second.status_category, second.created, second.labels, second.sprint) == (
        "PROJ-13",
        "done",
        datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc),
        (),
        None,
    ), "jira: status category derived when its cell is empty; dd/Mon/yyyy date"
    assert loaded.info.fields == frozenset(
        {
            "key",
            "title",
            "description",
            "type",
            "status",
            "status_category",
            "priority",
            "assignee",
            "created",
            "updated",
            "sprint",
            "labels",
            "estimate",
            "parent",
            "acceptance_criteria_field",
        }
    ), "jira: fields are the mapped columns"
    assert loaded.notes == (), "jira: a clean export gives no notes"


def test_plain_headers(tmp_path):
    text = (
        "ID,Title,Body,Type,Status,Priority,story_points,Created,Updated,Labels,URL,Epic\n"
        '7,As a user I want x,details here,story,Closed,P1,"0,5",2023-11-27T15:04:05Z,2023/11/28,'
        '"ui; search , ui",https://example.com/7,E-1\n'
    )
    (item,) = load_file(write(tmp_path, "plain.csv", text)).items
    assert item == BacklogItem(
        key="7",
        title="As a user I want x",
        description="details here",
        type="story",
        status="Closed",
        status_category="done",
        priority="P1",
        rank=1,
        estimate=0.5,
        labels=("ui", "search"),
        parent="E-1",
        created=datetime(2023, 11, 27, 15, 4, 5, tzinfo=timezone.utc),
        updated=datetime(2023, 11, 28, tzinfo=timezone.utc),
        url="https://example.com/7",
    ), "plain headers: every field; labels split on , and ; without repeats"


def test_issue_id_is_the_key_only_without_a_key_column(tmp_path):
    loaded = load_file(write(tmp_path, "b.csv", "Issue id,Summary\n10001,One\n"))
    assert loaded.items[0].key == "10001", "issue id: used when there is no key column"
    loaded = load_file(write(tmp_path, "c.csv", "Issue id,Issue key,Summary\n10001,P-1,One\n"))
    assert loaded.items[0].key == "P-1", "issue id: the issue key wins"


def test_no_key_column_gives_row_numbers(tmp_path):
    loaded = load_file(write(tmp_path, "b.csv", "summary,status\nOne,To Do\nTwo,Open\n\nFour,In Progress\n"))
    assert [(i.key, i.rank, i.status_category) for i in loaded.items] == [
        ("1", 1, "todo"),
        ("2", 2, "todo"),
        ("4", 3, "in_progress"),
    ], "no key column: key = data row number, rank = position"
    assert "key" not in loaded.info.fields, "no key column: 'key' is not a field the file carries"


def test_null_values_are_empty(tmp_path):
    text = "issuekey,title,description,storypoint,labels,created\nX-1,One,NULL,NULL,NULL,null\n"
    loaded = load_file(write(tmp_path, "b.csv", text))
    item = loaded.items[0]
    assert (item.description, item.estimate, item.labels, item.created) == ("", None, (), None), "NULL: empty"
    assert loaded.notes == (), "NULL: not an odd value, so no note"


def test_rows_without_title(tmp_path):
    long_line = "word " * 40
    text = f'key,title,description\nA-1,,"{long_line}\nsecond line"\nA-2,NULL,\nA-3,Three,\n'
    loaded = load_file(write(tmp_path, "b.csv", text))
    assert [i.key for i in loaded.items] == ["A-1", "A-3"], "no title: the description-only row is kept"
    assert loaded.items[0].title == long_line.strip()[:120].rstrip(), "no title: description's first line"
    assert len(loaded.items[0].title) <= 120, "no title: the stand-in title is cut to 120 chars"
    assert loaded.skipped == (SkippedItem("A-2", "row 2: no summary or description"),), "neither: skipped"


def test_duplicate_keys_are_kept_with_one_note(tmp_path):
    rows = "".join(f"K-{n % 7},Story {n}\n" for n in range(20))
    loaded = load_file(write(tmp_path, "dups.csv", "key,title\n" + rows))
    assert len(loaded.items) == 20, "duplicates: every row kept"
    (note,) = loaded.notes
    assert "7 key(s) appear on more than one item (K-0, K-1, K-2, K-3, K-4 and 2 more)" in note, note


def test_non_http_urls_are_dropped(tmp_path):
    text = "title,url\nOne,javascript:alert(1)\nTwo,HTTPS://example.com/2\n"
    urls = [i.url for i in load_file(write(tmp_path, "b.csv", text)).items]
    assert urls == [None, "HTTPS://example.com/2"], "url: only http(s) becomes a link in reports"


def test_odd_values_are_counted_in_notes(tmp_path):
    text = "title,estimate,created\nOne,L,yesterday\nTwo,3,2023-13-45\nThree,XL,27/Nov/23 3:04 PM\n"
    loaded = load_file(write(tmp_path, "odd.csv", text))
    assert [i.estimate for i in loaded.items] == [None, 3.0, None], "odd values: estimates"
    expected_dates = [None, None, datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc)]
    assert [i.created for i in loaded.items] == expected_dates, "odd values: dates"
    assert len(loaded.notes) == 2, f"odd values: one note per kind, got {loaded.notes}"
    assert "2 estimate(s) are not numbers ('L', 'XL')" in loaded.notes[0], loaded.notes[0]
    assert "2 date(s) could not be read ('yesterday', '2023-13-45')" in loaded.notes[1], loaded.notes[1]


def test_odd_rows_never_abort_the_load(tmp_path):
    huge = "x" * (5 * 1024 * 1024)
    rows = [
        "A-1,Control \x07 chars \x1b[31m here,d",
        f'A-2,Huge cell,"{huge}"',
        "A-3,Emoji 😀 story,d",
        "A-4,مرحبا right-to-left שלום,d",
        "A-5,Too many,d,extra,cells",
        "A-6,Too few",
        'A-7,"Unclosed quote, d',
    ]
    loaded = load_file(write(tmp_path, "odd.csv", "key,title,description\n" + "\n".join(rows) + "\n"))
    assert [i.key for i in loaded.items] == [f"A-{n}" for n in range(1, 8)], "odd rows: every row is an item"
    assert len(loaded.items[1].description) == len(huge), "odd rows: the 5 MB cell is read whole"
    assert any("3 row(s) have more or fewer cells" in note for note in loaded.notes), "odd rows: ragged noted"


# ---------------------------------------------------------------- value parsers

ESTIMATE_CASES = [
    # (cell, estimate, readable)
    ("3", 3.0, True),
    ("3.0", 3.0, True),
    ("0,5", 0.5, True),
    (" 13 ", 13.0, True),
    ("", None, True),
    ("NULL", None, True),
    ("None", None, True),
    ("-", None, True),
    ("?", None, True),
    ("L", None, False),
    ("-3", None, False),
    ("1e3", None, False),
    ("nan", None, False),
    ("1_000", None, False),
]


@pytest.mark.parametrize(("value", "estimate", "readable"), ESTIMATE_CASES)
def test_parse_estimate(value, estimate, readable):
    assert parse_estimate(value) == (estimate, readable), f"estimate {value!r}"


DATE_CASES = [
    ("2023-11-27T15:04:05+01:00", datetime(2023, 11, 27, 15, 4, 5, tzinfo=timezone(timedelta(hours=1)))),
    ("2023-11-27T15:04:05.000+0000", datetime(2023, 11, 27, 15, 4, 5, tzinfo=timezone.utc)),
    ("2023-11-27 15:04", datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc)),
    ("27/Nov/23 3:04 PM", datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc)),
    ("27/nov/23 3:04 am", datetime(2023, 11, 27, 3, 4, tzinfo=timezone.utc)),
    ("27/Nov/2023 15:04", datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc)),
    ("11/27/2023", datetime(2023, 11, 27, tzinfo=timezone.utc)),
    ("27/11/2023", datetime(2023, 11, 27, tzinfo=timezone.utc)),
    ("10/24/2012 23:41:49", datetime(2012, 10, 24, 23, 41, 49, tzinfo=timezone.utc)),
    ("2023/11/27", datetime(2023, 11, 27, tzinfo=timezone.utc)),
    ("yesterday", None),
    ("", None),
]


@pytest.mark.parametrize(("value", "expected"), DATE_CASES)
def test_parse_date(value, expected):
    assert parse_date(value)[0] == expected, f"date {value!r}"


STATUS_CASES = [
    # (status, status category column, expected)
    ("Done", None, "done"),
    ("Won't Do", None, "done"),
    ("CANCELLED", None, "done"),
    ("Resolved", None, "done"),
    ("In Progress", None, "in_progress"),
    ("QA", None, "in_progress"),
    ("Blocked", None, "in_progress"),
    ("In Review", None, "in_progress"),
    ("Open", None, "todo"),
    ("Backlog", None, "todo"),
    ("Awaiting Deploy", "Done", "done"),
    ("Whatever", "odd", "todo"),
    (None, None, None),
]


@pytest.mark.parametrize(("status", "category", "expected"), STATUS_CASES)
def test_status_category(status, category, expected):
    assert status_category_of(status, category) == expected, f"status {status!r} / category {category!r}"


# ---------------------------------------------------------------- .json

FULL_ITEM = BacklogItem(
    key="PROJ-7",
    title="As a PO I want x",
    description="Body\n- a\n- b",
    type="Story",
    status="In Progress",
    status_category="in_progress",
    priority="High",
    rank=3,
    estimate=5.0,
    labels=("a", "b"),
    parent="PROJ-1",
    sprint="S1",
    created=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    updated=datetime(2024, 2, 1, 9, tzinfo=timezone.utc),
    url="https://jira.example.com/browse/PROJ-7",
    assignee="Ana",
    links=(Link("blocks", "PROJ-8", "todo"), Link("relates to", "PROJ-9")),
    acceptance_criteria_field="AC",
)
MINIMAL_ITEM = BacklogItem(key="42", title="Bare")


@pytest.mark.parametrize("wrap", ["report", "bare list"])
def test_json_round_trip(tmp_path, wrap):
    elements = [
        {"key": item.key, "title": item.title, "findings": [], "item": item.to_dict()}
        for item in (FULL_ITEM, MINIMAL_ITEM)
    ]
    data = {"schema_version": 1, "items": elements} if wrap == "report" else elements
    loaded = load_file(write(tmp_path, "snap.json", json.dumps(data)))
    assert loaded.items == (FULL_ITEM, MINIMAL_ITEM), f"round trip ({wrap}): items equal"
    assert loaded.info.fields == frozenset(FULL_ITEM.to_dict()), f"round trip ({wrap}): fields = keys present"
    assert loaded.skipped == () and loaded.notes == (), f"round trip ({wrap}): nothing skipped or noted"


def test_json_elements_without_item_and_bad_elements(tmp_path):
    elements = [
        {"key": 42, "title": "GitHub issue", "labels": ["bug"], "score": 80, "story": None},
        "a string",
        {"title": "no key"},
        {"key": "K-3", "title": "  "},
        {"item": {"key": "K-4", "title": "from item"}, "key": "ignored", "title": "ignored"},
    ]
    loaded = load_file(write(tmp_path, "r.json", json.dumps({"items": elements})))
    assert [(i.key, i.title, i.labels) for i in loaded.items] == [
        ("42", "GitHub issue", ("bug",)),
        ("K-4", "from item", ()),
    ], "json: top-level fields read when there is no 'item', 'item' preferred otherwise"
    assert loaded.skipped == (
        SkippedItem("2", "item 2: not a JSON object"),
        SkippedItem("3", "item 3: no key"),
        SkippedItem("K-3", "item 4: no title"),
    ), "json: bad elements skipped with their reason"
    assert loaded.info.fields == frozenset({"key", "title", "labels"}), "json: fields of the items read"


def test_item_from_dict_is_tolerant():
    item = item_from_dict(
        {
            "key": "A",
            "title": "T",
            "unknown": 1,
            "estimate": "0,5",
            "rank": "2",
            "labels": "solo",
            "created": "27/Nov/23 3:04 PM",
            "updated": "not a date",
            "status_category": "finished",
            "url": "file:///etc/passwd",
            "links": [{"kind": "blocks"}, "x", {"kind": "blocks", "key": "B"}],
            "description": None,
            "priority": 3,
        }
    )
    assert item == BacklogItem(
        key="A",
        title="T",
        rank=2,
        estimate=0.5,
        labels=("solo",),
        created=datetime(2023, 11, 27, 15, 4, tzinfo=timezone.utc),
        links=(Link("blocks", "B"),),
        priority="3",
    ), "item_from_dict: unknown keys ignored, odd values coerced or defaulted"
    with pytest.raises(ValueError, match="no title"):
        item_from_dict({"key": "A"})


# ---------------------------------------------------------------- user errors

ERROR_CASES = [
    # (case, file name, content (None: not created; "DIR": a directory), expected message fragments)
    ("missing file", "nope.csv", None, ["no such file", "check the path"]),
    ("directory", "backlog.csv", "DIR", ["is a directory", ".txt, .csv or .json"]),
    ("unknown extension", "backlog.xlsx", "x", ["unsupported file type '.xlsx'; use .txt, .csv or .json"]),
    ("no extension", "backlog", "x", ["unsupported file type (no extension)"]),
    ("empty file", "b.txt", "", ["the file is empty"]),
    ("only whitespace", "b.csv", " \n\t\r\n", ["the file is empty"]),
    ("only a BOM", "b.txt", "\ufeff\n", ["the file is empty"]),
    ("header only", "b.csv", "key,summary\n", ["only a header row", "add one row per backlog item"]),
    ("header and blank rows", "b.csv", "key,summary\n\n,\n", ["only a header row"]),
    (
        "no title column",
        "b.csv",
        "key,desc\nA-1,x\n",
        ["no title column (found: key, desc)", "Summary, Title"],
    ),
    (
        "invalid JSON",
        "r.json",
        '{"items": [\n  {"key": "A"\n  "title": "x"}]}',
        ["invalid JSON at line 3, column 3"],
    ),
    ("JSON without items", "r.json", '{"schema_version": 1}', ["no 'items' list"]),
    ("JSON items not a list", "r.json", '{"items": {"key": "A"}}', ["no 'items' list"]),
    ("JSON scalar", "r.json", "42", ["no 'items' list"]),
]


@pytest.mark.parametrize(("case", "name", "content", "fragments"), ERROR_CASES, ids=case_ids(ERROR_CASES))
def test_user_errors(tmp_path, case, name, content, fragments):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        write(tmp_path, name, content)
    with pytest.raises(InputError) as raised:
        load_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), f"{case}: the message names the file: {message}"
    assert "\n" not in message, f"{case}: one line: {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "b.txt", "One\n")

    def deny(self):
        raise PermissionError(13, "Permission denied", str(self))

    # NOTE: simulated, because chmod 000 does not stop root (test containers often run as root).
    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(InputError, match=r"b\.txt: permission denied; make the file readable"):
        load_file(path)


# ---------------------------------------------------------------- real data (../shared/data, read-only)


def test_dalpiaz_stories_load_with_published_counts(shared_data):
    folder = shared_data / "dalpiaz_user_stories"
    table = (folder / "SOURCE.md").read_text(encoding="utf-8")
    counts = {name: int(n) for name, n in re.findall(r"(g\d\d-[\w-]+) \| (\d+)", table)}  # two per table row
    files = sorted((folder / "stories").glob("*.txt"))
    assert len(counts) == len(files) == 22, "dalpiaz: the README lists every file"
    for path in files:
        loaded = load_file(path)
        assert len(loaded.items) == counts[path.stem], f"dalpiaz {path.name}: item count"
        assert loaded.notes == () and loaded.skipped == (), f"dalpiaz {path.name}: clean load"
    assert len(load_file(folder / "stories" / "g03-loudoun.txt").items) == 58, "dalpiaz g03: 58 stories"
    assert sum(counts.values()) == 1680, "dalpiaz: 1,680 stories in all"


def _expected_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as the csv module reads them, independently of the loader."""
    csv.field_size_limit(2**31 - 1)
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_jira_storypoint_csvs_load(shared_data):
    files = sorted((shared_data / "jira_storypoints").glob("*/*.csv"))
    folders = {path.parent.name for path in files}
    assert folders == {"choetkiertikul2018_deep_se", "tawosi2022_tawos_deep_se"}, "jira: both data sets found"
    n_items = n_expected = 0
    for path in files:
        loaded = load_file(path)
        rows = _expected_rows(path)
        where = f"{path.parent.name}/{path.name}"
        assert len(loaded.items) == len(rows), f"{where}: one item per row"
        assert [i.key for i in loaded.items] == [r["issuekey"] for r in rows], f"{where}: keys from issuekey"
        points = [float(row["storypoint"]) for row in rows]
        assert [i.estimate for i in loaded.items] == points, f"{where}: estimates from storypoint"
        assert all(
            item.description == ("" if row["description"].strip() in ("", "NULL") else _plain(row["description"]))
            for item, row in zip(loaded.items, rows)
        ), f"{where}: descriptions converted from wiki markup, NULL and blank empty"
        if "created" in rows[0]:
            assert all(item.created for item in loaded.items), f"{where}: every created date read"
        assert loaded.skipped == () and loaded.notes == (), f"{where}: clean load, got {loaded.notes[:2]}"
        assert {"key", "title", "description", "estimate"} <= loaded.info.fields, f"{where}: fields"
        n_items += len(loaded.items)
        n_expected += len(rows)
    assert n_items == n_expected == 47_785, "jira story points: 23,313 + 24,472 issues"


def test_binary_file_is_refused_with_one_line(tmp_path):
    import random

    from backlog_health.errors import InputError
    from backlog_health.sources.files import load_file

    path = tmp_path / "backlog.txt"
    path.write_bytes(random.Random(7).randbytes(3000))
    with pytest.raises(InputError, match="not a text file"):
        load_file(path)


def test_half_characters_in_json_never_reach_the_reports(tmp_path):
    """JSON may escape a lone surrogate ("\\ud800"): it becomes U+FFFD, and every report can be written."""
    from backlog_health.config import load_config
    from backlog_health.engine import analyze
    from backlog_health.report import render, reporters

    path = tmp_path / "snap.json"
    path.write_text(
        '{"items": [{"key": "A-1", "title": "As a user, I want \\ud800 to log in", "labels": ["x\\udc00"]}]}',
        encoding="utf-8",
    )
    loaded = load_file(path)
    item = loaded.items[0]
    assert item.title == "As a user, I want \ufffd to log in" and item.labels == ("x\ufffd",)
    result = analyze(loaded, load_config(directory=None))
    for reporter in reporters().values():
        render(reporter, result).encode("utf-8")
