"""Tracker markup to plain text with its structure kept: Jira ADF (Cloud), Jira wiki (Data Center, CSV), Markdown.

Wiki markup and Markdown are first read into ADF nodes (as Jira Cloud itself converts wiki markup), so one
writer produces the text of all three, in the shape `nlp.story` and `nlp.criteria` read:

- blocks (paragraphs, headings, lists, tables) are separated by one blank line; inside a block, lines stay as
  the tracker broke them (hard breaks, and line ends in wiki markup);
- a heading is one line, "## Acceptance criteria", with as many "#" as its level;
- a paragraph wholly in bold is kept as "**Acceptance criteria:**";
- list items are "- item" and "1. item", nested items indented two spaces per level, further lines of an item
  indented under it; checklist items are "- [ ] item" and "- [x] item" ("2. [x] item" in a numbered list);
- a table row is one line, its non-empty cells joined by " | ";
- links read as their text (the URL only when it is the text), mentions as "@Name", emoji as their text,
  cards as their URL; quotes, panels, expands and layouts as their inner text;
- code blocks, media, comments and struck-through text are dropped;
- no control characters, no trailing spaces, no runs of spaces inside a line, at most one blank line in a row.

Pure functions, no I/O; none raises on malformed input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from backlog_health.sources._to_adf import looks_like_wiki, markdown_to_adf, wiki_to_adf

__all__ = ["adf_to_text", "looks_like_wiki", "markdown_to_text", "wiki_to_text"]

# NOTE: headings keep a Markdown "#" prefix. The criteria extractor knows a heading by its markup; a plain
# line is a heading to it only when it is a known label ("Notes"), so "## Business rules" ends an acceptance
# criteria section where a bare "Business rules" line would be read as one more criterion.
# NOTE: a paragraph wholly in bold keeps its "**": trackers use bold lines as headings ("*Acceptance
# criteria*" in Jira), and the extractor reads a short bold line as a heading and a long one as text.
# NOTE: struck-through text is dropped, not unwrapped: it is what someone withdrew ("~~CSV~~ Excel export"),
# and the extractor would otherwise read a withdrawn criterion as a live one.
# NOTE: table rows have no leading "|": the extractor skips "| … |" rows as layout, while a table in a
# converted description is content (criteria are often written as one). Empty cells are dropped.
# NOTE: paragraphs inside a list item are lines of the item, not blank-line separated: the extractor joins an
# unmarked line to the item above it, and a blank line would cut it off.

# ---------------------------------------------------------------------------------------------------------------
# Public API


def adf_to_text(document: dict | None) -> str:
    """Plain text of an Atlassian Document Format document (a Jira Cloud rich-text field), or of a node list."""
    # NOTE: Jira's REST API v2 returns the same fields as wiki markup strings; take those too.
    if isinstance(document, str):
        return wiki_to_text(document)
    nodes = [document] if isinstance(document, dict) else document
    return _tidy(_join(_adf_blocks(nodes, 0)))


# NOTE: comments are dropped, but a suppression marker written as one ("<!-- bh-ignore AM01: reason -->") is a
# team's decision the checks must see; it becomes a line of its own.
_MARKER_COMMENT = re.compile(r"<!--\s*(bh-ignore\b.*?)-->", re.IGNORECASE | re.DOTALL)


def _keep_markers(text: str) -> str:
    """Suppression markers in comments turned into plain lines, before the comments are dropped."""
    if "bh-ignore" not in text.lower():
        return text
    return _MARKER_COMMENT.sub(lambda match: "\n\n" + " ".join(match.group(1).split()) + "\n\n", text)


def wiki_to_text(text: str | None) -> str:
    """Plain text of Jira wiki markup (Jira Data Center / Server fields, Jira CSV exports)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    return adf_to_text(wiki_to_adf(_clean(_keep_markers(text))))


def markdown_to_text(text: str | None) -> str:
    """Plain text of Markdown (GitHub issue and pull-request bodies)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    return adf_to_text(markdown_to_adf(_shallow(_clean(_keep_markers(text)))))


# NOTE: the Markdown parser stops at 20 levels of nesting and drops everything after (the rest of a body under a
# list nested that deep): deeper indentation and quoting are brought back to where it still reads them.
_DEEP_INDENT = re.compile(r"(?m)^(?:[ \t]{17,}|[ \t]*\t[ \t]*\t[ \t]*\t[ \t]*\t[ \t]*\t)")  # past 16 columns
_DEEP_QUOTE = re.compile(r"(?m)^(?:[ \t]*>){9,}")


def _columns(indent: str) -> int:
    return len(indent.expandtabs(4))


def _shallow(text: str) -> str:
    """Markdown nested at most 8 levels deep (16 columns of indentation, 8 quote markers)."""
    if " " * 17 in text or "\t" in text:
        text = _DEEP_INDENT.sub(lambda m: m.group() if _columns(m.group()) <= 16 else " " * 16, text)
    if ">" * 9 in text or "> >" in text:
        text = _DEEP_QUOTE.sub(">" * 8, text)
    return text


# ---------------------------------------------------------------------------------------------------------------
# The common shape

_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85")  # in this order: CRLF is one break
_SPACES = ("\xa0", "\u2007", "\u202f")  # no-break spaces: editors insert them, the NLP wants plain ones
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")  # all but tab and newline; zero-width
_SPACE_RUN = re.compile(r"  +")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
_BOLD_CELL = re.compile(r"\*\*(.+)\*\*")

# NOTE: each whole-text pass below runs only when a cheap substring test says it can change something:
# on megabytes of text a regex scan costs tenths of a second, an "in" test almost nothing.


def _clean(text: str) -> str:
    """Text with LF line ends, plain spaces and no control or zero-width characters (NUL included)."""
    for line_break in _LINE_BREAKS:
        if line_break in text:
            text = text.replace(line_break, "\n")
    for space in _SPACES:
        if space in text:
            text = text.replace(space, " ")
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def _tidy(text: str) -> str:
    """The final text: clean, no trailing spaces, at most one blank line in a row."""
    text = _clean(text) + "\n"
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_SPACES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")


def _single_spaced(text: str) -> str:
    """Inline text with single spaces and no spaces around its line breaks (struck words leave runs)."""
    if "\t" in text:
        text = text.replace("\t", " ")
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    if " \n" in text or "\n " in text:  # one space at most, runs are single now
        text = text.replace(" \n", "\n").replace("\n ", "\n")
    return text.strip()


def _join(blocks: Iterable[str]) -> str:
    """Blocks separated by one blank line; empty blocks left out."""
    return "\n\n".join(block for block in blocks if block.strip())


def _heading(level: Any, text: str) -> str:
    """A heading line, "## text"; an empty heading is no line at all."""
    text = " ".join(text.split())
    level = min(max(level, 1), 6) if isinstance(level, int) else 1
    return f"{'#' * level} {text}" if text else ""


def _bold_line(text: str) -> str:
    """Text wholly in bold as "**text**" (text of several lines stays plain)."""
    text = text.strip()
    return f"**{text}**" if text and "\n" not in text else text


def _list_item(marker: str, head: str, rest: Iterable[str] = ()) -> str:
    """A list item: the marker before its first line, every later line indented two spaces under it."""
    body = "\n".join(part for part in (head.strip(), *rest) if part.strip())
    if not head.strip():
        return _indent(body)  # an item that only holds a nested list
    first, _, more = body.partition("\n")
    return f"{marker} {first}" + (f"\n{_indent(more)}" if more else "")


def _indent(text: str) -> str:
    """Every non-empty line indented two spaces (one list level)."""
    return "\n".join(f"  {line}" if line.strip() else "" for line in text.split("\n"))


def _table_row(cells: Iterable[str]) -> str:
    """One table row as a line: its non-empty cells, each on one line, joined by " | "."""
    texts = (" ".join(cell.split()) for cell in cells)
    return " | ".join(_unbold(text) for text in texts if text)


def _unbold(cell: str) -> str:
    """A cell's text without the "**" of a cell wholly in bold (a header cell, not a heading)."""
    bold = _BOLD_CELL.fullmatch(cell)
    return bold.group(1) if bold else cell


# ---------------------------------------------------------------------------------------------------------------
# Atlassian Document Format (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/)

# NOTE: the tree is walked recursively down to this depth and flattened below it with an explicit stack, so a
# document nested 10,000 levels deep (hostile or broken) neither hits the recursion limit nor loses its text.
_MAX_DEPTH = 48
_LISTS = frozenset({"bulletList", "orderedList", "taskList", "decisionList"})
_DROPPED = frozenset({"codeBlock", "rule", "media", "mediaSingle", "mediaGroup", "extension", "placeholder"})
_NO_SPACE_AFTER = "([{\"'“‘/"
_NO_SPACE_BEFORE = ".,;:!?)]}\"'”’/"

Node = dict[str, Any]


def _nodes(value: Any) -> list[Node]:
    """The dict nodes of a content list (anything else is ignored)."""
    return [node for node in value if isinstance(node, dict)] if isinstance(value, list) else []


def _attrs(node: Node) -> dict[str, Any]:
    """A node's attributes, {} when missing or malformed."""
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _string(value: Any) -> str:
    """value when it is a string, else ""."""
    return value if isinstance(value, str) else ""


def _is_inline(node: Node) -> bool:
    """Whether a node belongs inside a paragraph (text and atoms; unknown nodes without content)."""
    kind = node.get("type")
    if kind in _INLINE_ATOMS or kind in ("text", "hardBreak"):
        return True
    return kind not in _ADF_BLOCKS and kind not in _DROPPED and not isinstance(node.get("content"), list)


def _adf_blocks(nodes: Any, depth: int) -> list[str]:
    """Blocks of a content list; a run of loose inline nodes (in an unknown container) is one paragraph."""
    blocks: list[str] = []
    run: list[Node] = []
    for node in _nodes(nodes):
        if _is_inline(node):
            run.append(node)
            continue
        if run:
            blocks.append(_adf_paragraph(run))
            run = []
        if depth >= _MAX_DEPTH:
            blocks.append(_flat_text(node))
        elif node.get("type") not in _DROPPED:
            blocks.append(_ADF_BLOCKS.get(node.get("type"), _container)(node, depth + 1))
    if run:
        blocks.append(_adf_paragraph(run))
    return blocks


def _adf_paragraph(nodes: list[Node]) -> str:
    """A paragraph's text, as a bold line when all its text is strong."""
    text = _adf_inline(nodes)
    return _bold_line(text) if _all_strong(nodes) else text


def _all_strong(nodes: list[Node]) -> bool:
    """Whether all the words of inline nodes are strong (and there are words, and no atoms)."""
    if all("marks" not in node for node in nodes):
        return False  # the common case, decided fast
    words = [node for node in nodes if node.get("type") != "text" or _string(node.get("text")).strip()]
    words = [node for node in words if node.get("type") != "hardBreak"]
    return bool(words) and all(node.get("type") == "text" and "strong" in _marks(node) for node in words)


def _adf_inline(nodes: Any) -> str:
    """Text of inline nodes; atoms (mentions, cards, emoji, dates) are set off from words by a space."""
    nodes = _nodes(nodes)
    if len(nodes) == 1 and nodes[0].get("type") == "text" and "marks" not in nodes[0]:
        return _single_spaced(_string(nodes[0].get("text")))  # the common case, decided fast
    parts: list[str] = []
    after_atom = False
    for node in nodes:
        kind = node.get("type")
        atom = kind in _INLINE_ATOMS
        if kind == "text":
            piece = "" if "strike" in _marks(node) else _string(node.get("text"))
        elif kind == "hardBreak":
            piece = "\n"
        elif atom:
            piece = _INLINE_ATOMS[kind](_attrs(node))
        else:
            piece = _string(node.get("text")) or _flat_text(node)
        if piece and parts and (atom or after_atom) and _needs_space(parts[-1], piece):
            parts.append(" ")
        if piece:
            parts.append(piece)
            after_atom = atom
    return _single_spaced("".join(parts))


def _needs_space(before: str, after: str) -> bool:
    """Whether an atom and the text beside it need a space between them ("see" + URL, not URL + ".")."""
    last, first = before[-1:], after[:1]
    return not (last.isspace() or first.isspace() or last in _NO_SPACE_AFTER or first in _NO_SPACE_BEFORE)


def _marks(node: Node) -> set[str]:
    """The mark types of a text node ("strong", "strike", "link" …)."""
    return {_string(mark.get("type")) for mark in _nodes(node.get("marks"))}


def _date(attrs: dict[str, Any]) -> str:
    """A date node's day, YYYY-MM-DD (its timestamp is milliseconds since the epoch, as a string)."""
    try:
        return datetime.fromtimestamp(int(attrs.get("timestamp")) / 1000, tz=timezone.utc).date().isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


_INLINE_ATOMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "mention": lambda attrs: f"@{name}" if (name := _string(attrs.get("text")).lstrip("@").strip()) else "",
    "emoji": lambda attrs: _string(attrs.get("text")) or _string(attrs.get("shortName")),
    "inlineCard": lambda attrs: _string(attrs.get("url")),
    "status": lambda attrs: _string(attrs.get("text")),
    "date": _date,
    "mediaInline": lambda attrs: "",
    "inlineExtension": lambda attrs: "",
}


def _adf_list(node: Node, depth: int) -> str:
    """A list's items, one marker each; a taskList nests its sub-lists directly among its items."""
    ordered = node.get("type") == "orderedList"
    order = _attrs(node).get("order")
    number = order if isinstance(order, int) and 0 <= order < 10**9 else 1
    lines: list[str] = []
    for child in _nodes(node.get("content")):
        if child.get("type") in _LISTS:
            lines.append(_indent(_adf_list(child, depth + 1)) if depth < _MAX_DEPTH else _flat_text(child))
            continue
        marker = f"{number}." if ordered else "-"
        if child.get("type") == "taskItem":
            marker += " [x]" if _attrs(child).get("state") == "DONE" else " [ ]"
        content = _nodes(child.get("content"))
        nested_first = bool(content) and not _is_inline(content[0]) and content[0].get("type") != "paragraph"
        blocks = _adf_blocks(content, depth + 1)
        head, rest = ("", blocks) if nested_first else (blocks[0] if blocks else "", blocks[1:])
        lines.append(_list_item(marker, head, rest))
        number += 1
    return "\n".join(line for line in lines if line)


def _adf_table(node: Node, depth: int) -> str:
    """One line per row, cells joined by " | "."""
    return "\n".join(
        _table_row(_join(_adf_blocks(cell.get("content"), depth + 1)) for cell in _nodes(row.get("content")))
        for row in _nodes(node.get("content"))
    )


def _adf_expand(node: Node, depth: int) -> str:
    """An expand's title (as a bold line, like a heading) and its content."""
    title = _bold_line(_string(_attrs(node).get("title")))
    return _join([title, *_adf_blocks(node.get("content"), depth)])


def _container(node: Node, depth: int) -> str:
    """A container (doc, blockquote, panel, layouts, unknown nodes): its content."""
    return _join(_adf_blocks(node.get("content"), depth))


def _card(node: Node, depth: int) -> str:
    """A block or embed card: its URL."""
    return _string(_attrs(node).get("url"))


def _flat_text(root: Node) -> str:
    """All text under a node in document order, on one line (an explicit stack: any depth)."""
    parts: list[str] = []
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or node.get("type") in _DROPPED:
            continue
        kind, content = node.get("type"), node.get("content")
        if kind in _INLINE_ATOMS:
            parts.append(f" {_INLINE_ATOMS[kind](_attrs(node))} ")
        elif kind == "hardBreak":
            parts.append(" ")
        elif isinstance(content, list):
            parts.append(" ")  # between blocks; the text nodes of one paragraph join without a space
            stack.extend(reversed(content))
        elif "strike" not in _marks(node):
            parts.append(_string(node.get("text")))
    return " ".join("".join(parts).split())


_ADF_BLOCKS: dict[str, Callable[[Node, int], str]] = {
    "paragraph": lambda node, depth: _adf_paragraph(_nodes(node.get("content"))),
    "heading": lambda node, depth: _heading(_attrs(node).get("level"), _adf_inline(node.get("content"))),
    **dict.fromkeys(_LISTS, _adf_list),
    "table": _adf_table,
    "expand": _adf_expand,
    "nestedExpand": _adf_expand,
    "blockCard": _card,
    "embedCard": _card,
}
