"""Jira wiki markup and Markdown read into ADF nodes, so that one writer (markup.adf_to_text) renders all three.

Wiki markup is read as Jira Cloud converts it, in two linear passes: inline markup is resolved over the whole
text with precompiled regexes (each bounded by a class that excludes its own delimiter, so none backtracks),
then the lines are read into blocks. Markdown is parsed by markdown-it-py and read from its flat token stream.
Input text is clean: LF line ends, no control characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["looks_like_wiki", "markdown_to_adf", "wiki_to_adf"]

Node = dict[str, Any]

# Stand-ins for what the inline pass decides and the line pass or the output needs: a whole-line bold (kept
# as "**"), a forced line break ("\\\\"), checklist icons opening an item, and escaped characters ("\*" is a
# literal star). The text reaching this module has no control characters, so these cannot clash with input.
_BOLD, _BREAK = "\x01", "\x02"
_DONE, _TODO = "\x03", "\x04"
_ESCAPED_BASE = 0xF0000
_ESCAPABLE = "*_+-^~?{}[]|!#()"
_STAND_IN = re.compile(f"[{_BOLD}{_BREAK}{_DONE}{_TODO}{chr(_ESCAPED_BASE)}-{chr(_ESCAPED_BASE + 0x7F)}]")
_RESTORE = {
    ord(_BOLD): "**",
    ord(_BREAK): "\n",
    ord(_DONE): "",
    ord(_TODO): "",
    **{_ESCAPED_BASE + ord(c): c for c in _ESCAPABLE},
}

# ---------------------------------------------------------------------------------------------------------------
# Inline pass (whole text)

# NOTE: every pattern starts with a literal ("{", "[", "!", a mark), so the engine jumps from one to the next
# instead of trying every position, and each kind of opener is scanned in one pass: on megabytes of text
# each pass costs a tenth of a second or more.
_MACRO = re.compile(r"\{(?i:(code|noformat|quote|panel|color|anchor))(?::([^{}\n]*))?\}")
_CODE_END = {"code": re.compile(r"\{(?i:code)\}"), "noformat": re.compile(r"\{(?i:noformat)\}")}
_TITLE = re.compile(r"(?:^|\|)[ \t]*title[ \t]*=([^|]*)", re.IGNORECASE)
# An embedded image or attachment, "!name.png|thumbnail!" or "!https://…!"; "Hello!World!" is text.
_IMAGE = re.compile(r"!(?=[^\s!|])(?:[^!\n|]*\.[A-Za-z][A-Za-z0-9]{1,4}|[A-Za-z]+://[^!\n|]*)(?:\|[^!\n]*)?!")
# [text|url|tip], [url], [~user], [^attachment], [#anchor]: (kind, text, url).
_LINK = re.compile(r"\[([~^#]?)([^\[\]|\n]*)(?:\|([^\[\]|\n]*)(?:\|[^\[\]\n]*)?)?\]")
_URL = re.compile(r"[a-z][a-z0-9+.-]*:[^\s]", re.IGNORECASE)
_ICON = re.compile(r"\((?<![\w(]\()(?i:/|x|!|\?|i|y|n|on|off|\+|-|\*[rgby]?|flag|flagoff)\)(?![\w)])")
# Patterns for the start of a line begin with its newline (the text is searched with one put before it).
_CHECK_ICON = re.compile(r"(\n[ \t]*(?:[*#-]+[ \t]+)?)\(([/xX])\)[ \t]*")
_BOLD_LINE = re.compile(r"(\n[ \t]*)\*(?=[^\s*|])([^*\n|]*)(?<=[^\s*|])\*(:?)[ \t]*(?=\n|\Z)")


def _span(mark: str) -> re.Pattern[str]:
    """Jira emphasis: the mark opens after a non-word character and closes before one, hugging the text."""
    m, c = re.escape(mark), re.escape(mark[0])
    # The lookbehind comes after the mark, so that the pattern starts with a literal (see the NOTE above).
    # "|" is never inside: formatting does not cross table cells ("|-|-|" is two cells, not a strike).
    return re.compile(rf"{m}(?<![\w{c}]{m})(?=[^\s{c}|])([^{c}\n|]*?)(?<=[^\s{c}|]){m}(?![\w{c}])")


_STRIKE = _span("-")
_EMPHASIS = tuple((mark, _span(mark)) for mark in ("*", "_", "+", "^", "~", "??"))


def _escape(text: str) -> str:
    """Forced line breaks ("\\\\") as breaks; escaped characters ("\\*") hidden from the markup patterns."""
    # Replacing "\\\\" first reads the text left to right, as Jira does: "\\\\\\*" is a break, then a star.
    text = text.replace("\\\\", _BREAK)
    for char in _ESCAPABLE:
        if "\\" + char in text:
            text = text.replace("\\" + char, chr(_ESCAPED_BASE + ord(char)))
    return text


def _macros(text: str) -> str:
    """Macros in one pass: {code} and {noformat} dropped, {quote} and {panel} block breaks, {color} removed."""
    out: list[str] = []
    pos = 0
    while (macro := _MACRO.search(text, pos)) is not None:
        out.append(text[pos : macro.start()])
        name, pos = macro.group(1).lower(), macro.end()
        if name in _CODE_END:
            # An unclosed block runs to the end, as the criteria extractor reads it.
            end = _CODE_END[name].search(text, pos)
            pos = len(text) if end is None else end.end()
            out.append("\n\n")
        elif name in ("quote", "panel"):
            title = _TITLE.search(macro.group(2) or "")
            line = f"{_BOLD}{title.group(1).strip()}{_BOLD}" if title and title.group(1).strip() else ""
            out.append(f"\n\n{line}\n\n")  # a panel's title reads as a bold line above its text
    out.append(text[pos:])
    return "".join(out)


def _link(m: re.Match[str]) -> str:
    """A link as it reads: its text, else its URL; [~user] as "@user"; [x] and [WIP] stay as they are."""
    kind, label, url = m.group(1), m.group(2).strip(), m.group(3)
    if url is not None:
        return f"{kind}{label}" or url.strip()
    if kind == "~":
        return f"@{label}"
    return label if (kind or _URL.match(label)) and label else m.group(0)


def _check_icon(m: re.Match[str]) -> str:
    """(/) or (x) opening a line or an item makes it a checklist item, done or not."""
    return m.group(1) + (_DONE if m.group(2) == "/" else _TODO)


def _unwrap_mono(text: str) -> str:
    """{{monospace}} unwrapped in one pass (no closer after an opener means none after a later one)."""
    out: list[str] = []
    pos = 0
    while (start := text.find("{{", pos)) >= 0 and (end := text.find("}}", start + 2)) >= 0:
        out.append(text[pos:start])
        out.append(text[start + 2 : end])
        pos = end + 2
    out.append(text[pos:])
    return "".join(out)


# The inline steps in order, each with a string the text must hold for the step to change anything.
_STEPS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("\\", _escape),
    ("{", _macros),
    ("!", lambda text: _IMAGE.sub("", text)),
    ("[", lambda text: _LINK.sub(_link, text)),
    ("(", lambda text: _ICON.sub("", _CHECK_ICON.sub(_check_icon, f"\n{text}")[1:])),
    ("{{", _unwrap_mono),
    ("*", lambda text: _BOLD_LINE.sub(rf"\1{_BOLD}\2\3{_BOLD}", f"\n{text}")[1:]),
    ("-", lambda text: _STRIKE.sub("", text)),
    *((mark, partial(pattern.sub, r"\1")) for mark, pattern in _EMPHASIS),
)


def _inline(text: str) -> str:
    """Text with code dropped and inline markup resolved; block markup (lists, headings, tables) left."""
    for needle, step in _STEPS:
        if needle in text:
            text = step(text)
    return text


# ---------------------------------------------------------------------------------------------------------------
# Line pass

# NOTE: the lines are read for structure up to this many; the rest is kept as one paragraph, its markup
# resolved but its lines not sorted into lists and tables. Structure costs Python work per line, and a
# log of megabytes pasted into a description must not stall a run. The longest description in 47,000 real
# Jira issues (a pasted log too) has 18,000 lines.
_MAX_LINES = 20_000

# One match classifies a line; a line it does not match is paragraph text.
_LINE = re.compile(
    r"""[ \t]*(?:
      (?P<blank>$)
    | (?P<rule>-{3,}|={3,}|_{3,}|\*{3,})[ \t]*$   # "----" is a rule; "====" lines are decoration
    | h(?P<level>[1-6])\.(?![\d.])(?P<heading>.*)
    | bq\.[ \t]+(?P<quote>.*)
    | (?P<row>\|.*)
    | (?P<marker>[*\#-]+)[ \t]+(?P<item>\S.*)
    | (?P<check>[\x03\x04].*)
    )""",
    re.VERBOSE,
)
_CELL_BORDER = re.compile(r"\|\|?")


def _text(text: str) -> Node:
    """A text node, stand-ins restored."""
    # A search first: translate() maps character by character, slow on a megabyte that holds no stand-in.
    return {"type": "text", "text": text.translate(_RESTORE) if _STAND_IN.search(text) else text}


def _row(line: str) -> Node:
    """A table row of a "||head||head||" or "|cell|cell|" line."""
    cells = _CELL_BORDER.split(line.strip("| \t"))
    return {"type": "tableRow", "content": [{"type": "tableCell", "content": [_text(cell)]} for cell in cells]}


class _Reader:
    """Reads lines into ADF blocks: paragraphs, headings, nested lists and tables."""

    def __init__(self) -> None:
        self.blocks: list[Node] = []
        self.lines: list[str] = []  # lines of the open paragraph
        self.rows: list[Node] = []  # rows of the open table
        self.lists: list[tuple[int, Node]] = []  # open lists, outermost first: (marker length, list node)

    def read(self, line: str) -> None:
        """Add one line."""
        m = _LINE.match(line)
        if m is None or (m["marker"] and len(m["marker"]) > 1 and set(m["marker"]) == {"-"}):
            # NOTE: a plain line after a list item ends the list, as in Jira ("*Example call*" after the
            # criteria is a new paragraph); an item goes on over lines only by "\\\\" forced breaks.
            self.close(keep="lines")
            self.lines.append(line)
        elif m["marker"]:
            self.item(len(m["marker"]), m["marker"][-1] == "#", m["item"])
        elif m["check"]:
            self.item(1, False, m["check"])
        elif m["row"]:
            self.close(keep="rows")
            self.rows.append(_row(line))
        else:
            self.close()
            if m["level"]:
                level = int(m["level"])
                self.blocks.append({"type": "heading", "attrs": {"level": level}, "content": [_text(m["heading"])]})
            elif m["quote"]:
                self.blocks.append({"type": "paragraph", "content": [_text(m["quote"])]})

    def item(self, depth: int, ordered: bool, text: str) -> None:
        """Add a list item whose marker has depth characters, opening and closing nested lists as needed."""
        self.close(keep="lists")
        kind = "orderedList" if ordered else "bulletList"
        while self.lists:
            top_depth, top = self.lists[-1]
            if top_depth < depth or (top_depth == depth and top["type"] == kind):
                break
            self.lists.pop()  # a deeper list ends, or "#" follows "*" at the same depth: a new list
        if not self.lists or self.lists[-1][0] < depth:
            # One level deeper whatever the jump ("*" then "***"), as Jira renders it.
            new: Node = {"type": kind, "content": []}
            parent = self.lists[-1][1]["content"][-1]["content"] if self.lists else self.blocks  # the last item
            parent.append(new)
            self.lists.append((depth, new))
        if text[:1] in (_DONE, _TODO):
            state = "DONE" if text[0] == _DONE else "TODO"
            item = {"type": "taskItem", "attrs": {"state": state}, "content": [_text(text)]}
        else:
            item = {"type": "listItem", "content": [{"type": "paragraph", "content": [_text(text)]}]}
        self.lists[-1][1]["content"].append(item)

    def close(self, keep: str = "") -> None:
        """End the open paragraph, table and lists, except the kind named by keep."""
        if keep != "lines" and self.lines:
            self.blocks.append({"type": "paragraph", "content": [_text("\n".join(self.lines))]})
            self.lines = []
        if keep != "rows" and self.rows:
            self.blocks.append({"type": "table", "content": self.rows})
            self.rows = []
        if keep != "lists":
            self.lists = []


def wiki_to_adf(text: str) -> Node:
    """An ADF document of Jira wiki text."""
    reader = _Reader()
    lines = _inline(text).split("\n", _MAX_LINES)
    for line in lines[:_MAX_LINES]:
        reader.read(line)
    reader.close()
    if len(lines) > _MAX_LINES:
        reader.blocks.append({"type": "paragraph", "content": [_text(lines[-1])]})
    return {"type": "doc", "version": 1, "content": reader.blocks}


# ---------------------------------------------------------------------------------------------------------------
# Markdown (CommonMark with GitHub's tables and strikethrough)

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TASK = re.compile(r"\[([ xX])\][ \t]+")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^<>]*>")
# Opening tokens and the ADF node each starts; thead and tbody open nothing (rows go straight into the table).
_MD_NODES = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "bulletList",
    "ordered_list_open": "orderedList",
    "list_item_open": "listItem",
    "table_open": "table",
    "tr_open": "tableRow",
    "th_open": "tableCell",
    "td_open": "tableCell",
    "thead_open": None,
    "tbody_open": None,
}


def markdown_to_adf(text: str) -> Node:
    """An ADF document of Markdown text."""
    # NOTE: markdown-it's flat token stream is read with an explicit stack of open nodes, not through its
    # recursive syntax tree: emphasis nested thousands deep ("*****…") would exhaust the recursion limit.
    doc: Node = {"type": "doc", "version": 1, "content": []}
    stack = [doc]
    for token in _MARKDOWN.parse(text):
        if token.nesting == 1:
            kind = _MD_NODES.get(token.type, token.type.removesuffix("_open"))
            node = stack[-1] if kind is None else _md_node(kind, token)
            if node is not stack[-1]:
                stack[-1]["content"].append(node)
            stack.append(node)
        elif token.nesting == -1 and len(stack) > 1:
            node = stack.pop()
            if node["type"] == "listItem":
                _mark_task(node)
        elif token.type == "inline":
            stack[-1]["content"].extend(_md_inline(token.children or []))
        elif token.type == "html_block":
            stack[-1]["content"].append({"type": "paragraph", "content": _html_text(token.content)})
        # fence, code_block and hr add nothing
    return doc


def _md_node(kind: str, token: Token) -> Node:
    """The ADF node an opening token starts (an unknown one is a container of whatever it holds)."""
    node: Node = {"type": kind, "content": []}
    if kind == "heading":
        node["attrs"] = {"level": int(token.tag[1:])}
    elif kind == "orderedList":
        node["attrs"] = {"order": token.attrGet("start") or 1}
    return node


def _md_inline(tokens: list[Token]) -> list[Node]:
    """ADF inline nodes of a Markdown inline run: bold kept as a mark, struck text and images dropped."""
    nodes: list[Node] = []
    n_strong = n_struck = 0
    for token in tokens:
        kind = token.type
        if kind in ("strong_open", "strong_close"):
            n_strong += token.nesting
        elif kind in ("s_open", "s_close"):
            n_struck += token.nesting
        elif n_struck:
            continue
        elif kind in ("text", "code_inline"):
            nodes.append({"type": "text", "text": token.content, "marks": [{"type": "strong"}] if n_strong else []})
        elif kind in ("softbreak", "hardbreak") or (kind == "html_inline" and _HTML_BREAK.fullmatch(token.content)):
            nodes.append({"type": "hardBreak"})
        # em and link tokens only wrap text; images, comments and other inline HTML add nothing
    return nodes


def _mark_task(item: Node) -> None:
    """Make a list item a checklist item when its text opens with "[ ] " or "[x] "."""
    content = item["content"]
    first = content[0]["content"] if content and content[0]["type"] == "paragraph" else []
    if first and first[0]["type"] == "text" and (task := _TASK.match(first[0]["text"])):
        first[0]["text"] = first[0]["text"][task.end() :]
        item["type"], item["attrs"] = "taskItem", {"state": "TODO" if task.group(1) == " " else "DONE"}


def _html_text(source: str) -> list[Node]:
    """Text of a raw HTML block as inline nodes: comments dropped, tags removed, line breaks and entities kept."""
    text = html.unescape(_HTML_TAG.sub(" ", _HTML_BREAK.sub("\n", _drop_comments(source))))
    return [{"type": "text", "text": "\n".join(line.strip() for line in text.split("\n") if line.strip())}]


def _drop_comments(source: str) -> str:
    """HTML without its comments (an unclosed one runs to the end), in one pass."""
    parts: list[str] = []
    pos = 0
    while (start := source.find("<!--", pos)) >= 0:
        parts.append(source[pos:start])
        end = source.find("-->", start + 4)
        pos = len(source) if end < 0 else end + 3
    parts.append(source[pos:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Detection

# Signs of wiki markup at the start of a line (found after a newline: the text is searched with one before
# it, and a pattern that starts with a literal is searched fast) and anywhere.
_WIKI_LINE = re.compile(
    r"\n[ \t]*(?:(?i:h[1-6]|bq)\.[ \t]|\|\||\*(?=[^\s*])[^*\n]*(?<=[^\s*])\*[ \t]*:?[ \t]*(?:\n|$))"
)
_WIKI_MACRO = re.compile(r"\{(?i:code|noformat|quote|panel|color)(?::[^{}\n]*)?\}")
_WIKI_LINK = re.compile(r"\[[^\[\]|\n]+\|[^\[\]\n]+\]")


def looks_like_wiki(text: Any) -> bool:
    """Whether text shows Jira wiki markup: h1.–h6. lines, {code}-like macros, *bold* lines, [text|url], ||tables||."""
    if not isinstance(text, str):
        return False
    return (
        "(/)" in text
        or _WIKI_MACRO.search(text) is not None
        or _WIKI_LINK.search(text) is not None
        or _WIKI_LINE.search(f"\n{text}") is not None
    )
