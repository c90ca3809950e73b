"""Backlog files read into BacklogItems: one reader per extension (.txt, .csv, .json), one shared decoder."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import charset_normalizer

from backlog_health.errors import InputError
from backlog_health.model import BacklogItem, Link, SkippedItem, SourceInfo
from backlog_health.sources import Loaded

FIELD_NAMES = frozenset(field.name for field in dataclasses.fields(BacklogItem))
TITLE_FROM_DESCRIPTION_CHARS = 120  # a title made from a description's first line is cut here
EXAMPLES_IN_NOTE = 5  # how many offending values a note quotes

# ---------------------------------------------------------------- decoding (shared by every reader)

# NOTE: UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Three or more accented Latin-1 letters in a row: how Cyrillic, Greek or CJK bytes look when read as cp1252.
CP1252_MOJIBAKE = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ffŠšŽžŒœŸƒ]{3,}")


def decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """Text of a file's bytes with LF line ends and no NULs, and notes on what was guessed or removed."""
    notes: list[str] = []
    text = _decode_bytes(raw, name, notes)
    if _looks_binary(text):
        raise InputError(f"{name}: not a text file (binary content); export the backlog as CSV, TXT or JSON")
    n_nuls = text.count("\x00")
    if n_nuls:
        text = text.replace("\x00", "")
        notes.append(f"{name}: removed {n_nuls} NUL character(s); check that the file is a text file")
    return text.replace("\r\n", "\n").replace("\r", "\n"), notes


# Control characters (other than tabs and line breaks) and replaced bytes: in text there are next to none; in a
# binary file read as text, one character in eight or so.
_BINARY_SHARE = 0.05
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")  # and DOS's end-of-file mark


def _looks_binary(text: str, sample: int = 65_536) -> bool:
    """Whether decoded text is really binary data: many control characters or undecodable bytes."""
    head = text[:sample]
    if not head:
        return False
    # NOTE: NULs are not counted: UTF-16 read without its BOM has them between the letters, and they are removed.
    odd = sum(1 for char in head if ("\x00" < char < " " and char not in _TEXT_CONTROLS) or char in "\x7f\ufffd")
    return odd >= 16 and odd / len(head) > _BINARY_SHARE


def _decode_bytes(raw: bytes, name: str, notes: list[str]) -> str:
    """Decode by BOM, else as UTF-8, else by a guess that the notes announce."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return _decode_as(raw[len(bom) :], encoding, name, notes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        encoding = _guess_encoding(raw)
        notes.append(f"{name}: not UTF-8; decoded as {encoding} — save the file as UTF-8 to be sure")
        return _decode_as(raw, encoding, name, notes)


def _decode_as(raw: bytes, encoding: str, name: str, notes: list[str]) -> str:
    """Decode strictly; on bad bytes replace them rather than refuse the whole file."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        notes.append(f"{name}: some bytes are not valid {encoding}; they were replaced by '\ufffd'")
        return raw.decode(encoding, errors="replace")


def _guess_encoding(raw: bytes) -> str:
    """cp1252 when the bytes read as plausible cp1252, else charset-normalizer's guess (cp1252 if none)."""
    # NOTE: a non-UTF-8 backlog is almost always a Windows export. charset-normalizer alone misreads short
    # cp1252 files ("smart quotes" came out as cp852 or big5), so it only decides when cp1252 fails or
    # produces the letter soup that non-Latin text turns into.
    try:
        if not CP1252_MOJIBAKE.search(raw.decode("cp1252")):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    match = charset_normalizer.from_bytes(raw).best()
    return match.encoding if match else "cp1252"


# ---------------------------------------------------------------- values shared by CSV and JSON

EMPTY_VALUES = frozenset({"", "null"})  # "NULL" is how the real story-point exports write nothing
NO_ESTIMATE_VALUES = EMPTY_VALUES | {"none", "-", "?"}
NUMBER = re.compile(r"\d+(?:[.,]\d*)?|[.,]\d+")  # "3", "3.0", "0,5"; no signs, exponents or "1_000"

# Tried in order after ISO 8601. Month-first before day-first: the real exports (TAWOS) are US-style.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S.%f%z",  # Jira REST, "+0000" offsets that Python 3.10's fromisoformat refuses
    "%Y-%m-%dT%H:%M:%S%z",
    "%d/%b/%y %I:%M %p",  # Jira CSV export: 27/Nov/23 3:04 PM
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%b/%y",
    "%d/%b/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)

STATUS_CATEGORIES = ("todo", "in_progress", "done")
# Jira's status category names and their API keys, normalized.
STATUS_CATEGORY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "todo": "todo",
        "new": "todo",
        "inprogress": "in_progress",
        "indeterminate": "in_progress",
        "done": "done",
    }
)
DONE_STATUSES = frozenset({"done", "closed", "resolved", "released", "wontdo", "wontfix", "cancelled", "canceled"})
IN_PROGRESS_STATUSES = frozenset(
    {
        "inprogress",
        "inreview",
        "indevelopment",
        "review",
        "codereview",
        "testing",
        "intesting",
        "qa",
        "blocked",
    }
)


def _normalize(name: str) -> str:
    """Lowercase letters and digits only: "Custom field (Story Points)" -> "customfieldstorypoints"."""
    return "".join(char for char in name.casefold() if char.isalnum())


def _is_empty(value: str) -> bool:
    """Blank or "NULL": a cell that says nothing."""
    return value.strip().lower() in EMPTY_VALUES


def parse_estimate(value: str) -> tuple[float | None, bool]:
    """Story points of a cell, and whether the cell was readable (empty counts as readable)."""
    text = value.strip()
    if text.lower() in NO_ESTIMATE_VALUES:
        return None, True
    if not NUMBER.fullmatch(text):
        return None, False
    return float(text.replace(",", ".")), True


def parse_date(value: str, formats: Iterable[str] = DATE_FORMATS) -> tuple[datetime | None, str | None]:
    """A timezone-aware datetime from ISO 8601 or one of the formats, and the format that matched (None for ISO).

    NOTE: times without a zone (CSV exports) are taken as UTC so that all item dates compare.
    """
    text = " ".join(value.split())
    if not text:
        return None, None
    parsed, matched = None, None
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        for date_format in formats:
            try:
                parsed, matched = datetime.strptime(text, date_format), date_format
                break
            except ValueError:
                continue
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed, matched


def status_category_of(status: str | None, category: str | None = None) -> str | None:
    """The normalized status category: the source's own when it has one, else derived from the status name."""
    if category and _normalize(category) in STATUS_CATEGORY_NAMES:
        return STATUS_CATEGORY_NAMES[_normalize(category)]
    if not status:
        return None
    name = _normalize(status)
    if name in DONE_STATUSES:
        return "done"
    return "in_progress" if name in IN_PROGRESS_STATUSES else "todo"


def _http_url(value: str | None) -> str | None:
    """The URL when it is http(s), since reports turn it into a link; None otherwise."""
    if value and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def _duplicate_note(name: str, items: Iterable[BacklogItem]) -> list[str]:
    """One note naming keys used by more than one item, or none."""
    counts = Counter(item.key for item in items)
    duplicated = [key for key, count in counts.items() if count > 1]
    if not duplicated:
        return []
    shown = ", ".join(duplicated[:EXAMPLES_IN_NOTE])
    more = f" and {len(duplicated) - EXAMPLES_IN_NOTE} more" if len(duplicated) > EXAMPLES_IN_NOTE else ""
    return [f"{name}: {len(duplicated)} key(s) appear on more than one item ({shown}{more}); all are kept"]


def _examples(values: list[str]) -> str:
    """The first few offending values, quoted and cut short, for a note."""
    return ", ".join(repr(value[:40]) for value in values[:EXAMPLES_IN_NOTE])


def _loaded(
    name: str,
    items: list[BacklogItem],
    fields: Iterable[str],
    skipped: Iterable[SkippedItem] = (),
    notes: Iterable[str] = (),
) -> Loaded:
    """What a reader returns: the items and the file's SourceInfo (only real BacklogItem fields)."""
    info = SourceInfo(kind="file", location=name, query=None, fields=frozenset(fields) & FIELD_NAMES)
    return Loaded(info=info, items=tuple(items), skipped=tuple(skipped), notes=tuple(notes))


# ---------------------------------------------------------------- .txt


def read_txt(text: str, name: str) -> Loaded:
    """One story per non-blank line; the key is the line number, so blank lines still count."""
    items: list[BacklogItem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            items.append(BacklogItem(key=str(number), title=line.strip(), rank=len(items) + 1))
    return _loaded(name, items, {"title"})


# ---------------------------------------------------------------- .csv

DELIMITERS = ",;\t|"
ONE_COLUMN = "\x1f"  # ASCII unit separator: splits nothing, for files whose header has no delimiter
MAX_CELL_CHARS = 2**31 - 1  # the C long limit of csv.field_size_limit on every platform
SNIFF_LINES, SNIFF_CHARS = 10, 64 * 1024

# Header names per field, normalized, in order of preference; the first one present wins.
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "key": ("issuekey", "key", "id", "issueid"),
        "title": ("summary", "title", "userstory", "story", "name", "text"),
        "description": ("description", "body", "details"),
        "type": ("issuetype", "type", "kind"),
        "status": ("status",),
        "status_category": ("statuscategory",),
        "priority": ("priority",),
        "estimate": (
            "customfieldstorypoints",
            "customfieldstorypointestimate",
            "storypoints",
            "storypoint",
            "estimate",
            "points",
            "size",
        ),
        "labels": ("labels", "label", "tags"),
        "sprint": ("sprint",),
        "parent": ("customfieldepiclink", "epiclink", "epic", "parent", "parentkey"),
        "created": ("created",),
        "updated": ("updated",),
        "assignee": ("assignee",),
        "url": ("url", "link", "issueurl"),
        "acceptance_criteria_field": ("acceptancecriteria", "customfieldacceptancecriteria", "ac"),
    }
)
TITLE_HEADERS = "Summary, Title, User story, Story, Name or Text"
TEXT_FIELDS = ("type", "status", "priority", "assignee")  # plain one-line text, first non-empty column wins


@dataclasses.dataclass
class _CsvState:
    """What reading one file's rows learns: odd values for one note each, and the file's date format."""

    bad_estimates: list[str] = dataclasses.field(default_factory=list)
    bad_dates: list[str] = dataclasses.field(default_factory=list)
    ragged_rows: list[int] = dataclasses.field(default_factory=list)
    date_formats: list[str] = dataclasses.field(default_factory=lambda: list(DATE_FORMATS))

    def date(self, value: str | None) -> datetime | None:
        """A date cell; an unreadable one is remembered for the note and left empty."""
        if value is None:
            return None
        parsed, used = parse_date(value, self.date_formats)
        if used:
            # A file writes all its dates alike: trying the last match first makes 50,000 rows fast.
            self.date_formats.remove(used)
            self.date_formats.insert(0, used)
        if parsed is None:
            self.bad_dates.append(value)
        return parsed

    def notes(self, name: str) -> list[str]:
        """One note per kind of odd value, counting them and quoting a few."""
        notes = []
        if self.bad_estimates:
            notes.append(
                f"{name}: {len(self.bad_estimates)} estimate(s) are not numbers "
                f"({_examples(self.bad_estimates)}); they count as not estimated"
            )
        if self.bad_dates:
            notes.append(
                f"{name}: {len(self.bad_dates)} date(s) could not be read "
                f"({_examples(self.bad_dates)}); use ISO dates like 2023-11-27 15:04"
            )
        if self.ragged_rows:
            rows = ", ".join(str(row) for row in self.ragged_rows[:EXAMPLES_IN_NOTE])
            notes.append(
                f"{name}: {len(self.ragged_rows)} row(s) have more or fewer cells than the header "
                f"(row {rows}); check the delimiter and the quotes"
            )
        return notes


def _printable(text: str) -> str:
    """Text safe for a one-line message: control and replacement characters dropped."""
    return "".join(ch for ch in text if ch.isprintable() and ch != "\ufffd")


def read_csv(text: str, name: str) -> Loaded:
    """One item per data row; columns mapped by header name (Jira export or plain headers)."""
    # NOTE: process-wide, but only ever raised: Jira descriptions of several MB are real (TAWOS APSTUD).
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = next((row for row in rows if any(cell.strip() for cell in row)), [])
    columns = _map_columns(header)
    if "title" not in columns:
        shown = [_printable(cell.strip())[:30] for cell in header[:8] if cell.strip()]
        found = ", ".join(shown)[:160] or "nothing"
        raise InputError(f"{name}: no title column (found: {found}); name one column {TITLE_HEADERS}")
    items: list[BacklogItem] = []
    skipped: list[SkippedItem] = []
    state = _CsvState()
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue  # blank lines and ",,,," rows that spreadsheets append: not items, not worth a word
        if len(row) != len(header):
            state.ragged_rows.append(number)
        item = _row_item(row, columns, number, len(items) + 1, state)
        (items if isinstance(item, BacklogItem) else skipped).append(item)
    if not items and not skipped:
        raise InputError(f"{name}: only a header row, no items; add one row per backlog item below it")
    # A derived status category needs only the status column.
    fields = set(columns) | ({"status_category"} if "status" in columns else set())
    notes = state.notes(name) + _duplicate_note(name, items)
    return _loaded(name, items, fields, skipped, notes)


def _delimiter(text: str) -> str:
    """The delimiter: csv.Sniffer's pick if the header line has it, else the one the header line has most."""
    header = _first_nonblank_line(text)
    if not any(delimiter in header for delimiter in DELIMITERS):
        return ONE_COLUMN  # NOTE: a lone "title" column must not split stories at their commas
    sample = "\n".join(text[:SNIFF_CHARS].split("\n")[:SNIFF_LINES])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    # Sniffer is fooled by long multi-line cells; the header line, one short line of names, is not.
    return sniffed if sniffed and sniffed in header else max(DELIMITERS, key=header.count)


def _map_columns(header: list[str]) -> dict[str, tuple[int, ...]]:
    """Column indexes per field: the first alias the header carries, with all its repeats (Jira's Labels)."""
    names = [_normalize(cell) for cell in header]
    columns: dict[str, tuple[int, ...]] = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            indexes = tuple(index for index, name in enumerate(names) if name == alias)
            if indexes:
                columns[field] = indexes
                break
    return columns


def _cells(row: list[str], indexes: tuple[int, ...]) -> list[str]:
    """Non-empty values of these columns in a row; short rows just lack the missing cells."""
    return [row[index] for index in indexes if index < len(row) and not _is_empty(row[index])]


def _row_item(
    row: list[str], columns: dict[str, tuple[int, ...]], number: int, rank: int, state: _CsvState
) -> BacklogItem | SkippedItem:
    """The item of one data row, or why it cannot be one."""

    def cells(field: str) -> list[str]:
        """Every non-empty value of the field's columns."""
        return _cells(row, columns.get(field, ()))

    def first(field: str) -> str | None:
        """The first non-empty value of the field's columns, stripped."""
        values = cells(field)
        return values[0].strip() if values else None

    key = first("key") or str(number)
    description = (cells("description") or [""])[0]
    title = " ".join((first("title") or "").split())  # a summary is one line, even if the cell is not
    if not title:
        title = _first_nonblank_line(description)[:TITLE_FROM_DESCRIPTION_CHARS].rstrip()
    if not title:
        return SkippedItem(key=key, reason=f"row {number}: no summary or description")
    estimate, readable = parse_estimate(first("estimate") or "")
    if not readable:
        state.bad_estimates.append(first("estimate") or "")
    text = {field: first(field) for field in TEXT_FIELDS}
    sprints = cells("sprint")
    return BacklogItem(
        key=key,
        title=title,
        description=_plain(description),
        status_category=status_category_of(text["status"], first("status_category")),
        rank=rank,
        estimate=estimate,
        labels=_labels(cells("labels")),
        parent=first("parent"),
        sprint=sprints[-1].strip() if sprints else None,  # Jira lists past sprints first
        created=state.date(first("created")),
        updated=state.date(first("updated")),
        url=_http_url(first("url")),
        acceptance_criteria_field=first("acceptance_criteria_field"),
        **text,
    )


def _plain(description: str) -> str:
    """A description as plain text: Jira's CSV export writes wiki markup, which is converted."""
    from backlog_health.sources.markup import looks_like_wiki, wiki_to_text

    return wiki_to_text(description) if looks_like_wiki(description) else description


def _first_nonblank_line(text: str) -> str:
    """The first line with something on it, stripped; reads lazily since a file may be 40 MB."""
    return next((line.strip() for line in io.StringIO(text) if line.strip()), "")


def _labels(values: list[str]) -> tuple[str, ...]:
    """Labels from one cell per label (Jira's repeated column) or ","/";"-separated lists; spaces stay."""
    labels = (label.strip() for value in values for label in re.split(r"[,;]", value))
    return tuple(dict.fromkeys(label for label in labels if label))


# ---------------------------------------------------------------- .json


def read_json(text: str, name: str) -> Loaded:
    """The `items` of a JSON report (a snapshot), or a bare list of item objects."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{name}: invalid JSON at line {error.lineno}, column {error.colno} ({error.msg}); "
            f"fix it there or save the report again"
        ) from None
    elements = data.get("items") if isinstance(data, dict) else data
    if not isinstance(elements, list):
        raise InputError(f"{name}: no 'items' list; give a JSON report of backlog-health or a list of items")
    items: list[BacklogItem] = []
    skipped: list[SkippedItem] = []
    fields: set[str] = set()
    for position, element in enumerate(elements, start=1):
        if not isinstance(element, dict):
            skipped.append(SkippedItem(key=str(position), reason=f"item {position}: not a JSON object"))
            continue
        # A report element carries the full snapshot under "item"; its top-level fields are a subset.
        source = element["item"] if isinstance(element.get("item"), dict) else element
        try:
            items.append(item_from_dict(source))
        except ValueError as error:
            key = _scalar_text(source.get("key")) or str(position)
            skipped.append(SkippedItem(key=key, reason=f"item {position}: {error}"))
            continue
        fields.update(source)
    # NOTE: a report says which fields its original source could fill; that beats the keys present.
    original = data.get("source", {}).get("fields") if isinstance(data, dict) else None
    if isinstance(original, list) and all(isinstance(name_, str) for name_ in original):
        fields = set(original)
    return _loaded(name, items, fields, skipped, _duplicate_note(name, items))


def item_from_dict(data: Mapping[str, Any]) -> BacklogItem:
    """The BacklogItem of a `to_dict()` dict; unknown keys ignored, missing or malformed values defaulted.

    Raises ValueError when the dict has no key or no title, the two fields without a default.
    """
    key, title = _scalar_text(data.get("key")), _scalar_text(data.get("title"))
    if not key or not key.strip():
        raise ValueError("no key")
    if not title or not title.strip():
        raise ValueError("no title")
    text = {
        name: _scalar_text(data.get(name))
        for name in (
            "type",
            "status",
            "priority",
            "parent",
            "sprint",
            "assignee",
            "acceptance_criteria_field",
        )
    }
    category = data.get("status_category")
    return BacklogItem(
        key=key,
        title=title,
        description=_scalar_text(data.get("description")) or "",
        status_category=category if category in STATUS_CATEGORIES else None,
        rank=_json_rank(data.get("rank")),
        estimate=_json_estimate(data.get("estimate")),
        labels=_json_labels(data.get("labels")),
        components=_json_labels(data.get("components")),
        subtasks=_json_labels(data.get("subtasks")),
        n_subtasks=_json_count(data.get("n_subtasks")),
        n_comments=_json_count(data.get("n_comments")),
        created=parse_date(data["created"])[0] if isinstance(data.get("created"), str) else None,
        updated=parse_date(data["updated"])[0] if isinstance(data.get("updated"), str) else None,
        touched=parse_date(data["touched"])[0] if isinstance(data.get("touched"), str) else None,
        url=_http_url(_scalar_text(data.get("url"))),
        links=_json_links(data.get("links")),
        **text,
    )


def _json_count(value: Any) -> int | None:
    """A non-negative count, or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _scalar_text(value: Any) -> str | None:
    """Strings as they are, numbers as text (GitHub keys are numbers), anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _json_rank(value: Any) -> int | None:
    """An integer rank, also from digits in a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdecimal() else None


def _json_estimate(value: Any) -> float | None:
    """A finite number, also from a string the CSV reader would accept."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    return parse_estimate(value)[0] if isinstance(value, str) else None


def _json_labels(value: Any) -> tuple[str, ...]:
    """A list of labels; a lone string is one label."""
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(label for label in (_scalar_text(entry) for entry in value) if label)
    return ()


def _json_links(value: Any) -> tuple[Link, ...]:
    """Links that have a kind and a key; anything else is dropped."""
    if not isinstance(value, list):
        return ()
    links = []
    for entry in value:
        if not isinstance(entry, dict):
            continue
        kind, key = _scalar_text(entry.get("kind")), _scalar_text(entry.get("key"))
        category = entry.get("status_category")
        if kind and key:
            links.append(Link(kind, key, category if category in STATUS_CATEGORIES else None))
    return tuple(links)


# ---------------------------------------------------------------- entry point

Reader = Callable[[str, str], Loaded]
READERS: Mapping[str, Reader] = MappingProxyType({".txt": read_txt, ".csv": read_csv, ".json": read_json})


def load_file(path: str | os.PathLike[str]) -> Loaded:
    """Read a backlog file; every problem the user must fix is an InputError of one line."""
    name = os.fspath(path)
    file = Path(path)
    if not file.exists():
        raise InputError(f"{name}: no such file; check the path")
    if file.is_dir():
        raise InputError(f"{name}: is a directory; give a backlog file (.txt, .csv or .json)")
    extension = file.suffix.lower()
    reader = READERS.get(extension)
    if reader is None:
        kind = f"'{extension}'" if extension else "(no extension)"
        raise InputError(f"{name}: unsupported file type {kind}; use .txt, .csv or .json (a JSON report or snapshot)")
    try:
        raw = file.read_bytes()
    except PermissionError:
        raise InputError(f"{name}: permission denied; make the file readable for your user") from None
    except OSError as error:
        raise InputError(f"{name}: cannot be read ({error.strerror or error}); check the file") from None
    text, notes = decode(raw, name)
    if not text.strip():
        raise InputError(
            f"{name}: the file is empty; add the backlog items (one story per line, "
            f"a CSV with a header row, or a JSON report)"
        )
    loaded = reader(text, name)
    return dataclasses.replace(loaded, notes=tuple(notes) + loaded.notes)
