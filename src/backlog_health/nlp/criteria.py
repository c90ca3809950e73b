"""Find the acceptance criteria an item states, whatever markup its source used.

Descriptions come as plain text, Markdown (GitHub) or Jira wiki markup. Criteria are the list items,
Given/When/Then scenarios or lines under a heading such as "Acceptance criteria", "AC", "Definition of Done"
or "Scenario: …", plus Given/When/Then scenarios anywhere. Code blocks and HTML comments never count.
Pure text processing, linear in the length of the text: no spaCy, no I/O.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["Section", "extract_acceptance_criteria", "split_sections"]

# NOTE: extraction stops after this many criteria (duplicates included). No backlog item states that many;
# the bound keeps a pasted log or a generated list of megabytes fast.
_MAX_CRITERIA = 1000


@dataclass(frozen=True)
class Section:
    """A heading and the text under it, up to the next heading."""

    heading: str | None  # heading text without markup or trailing colon; None before the first heading
    body: str  # the lines under the heading as written (markup kept), blank lines around trimmed


# ---------------------------------------------------------------------------------------------------------------
# Vocabulary: the headings the tool understands, as a PO would write them.

# Phrases that name acceptance criteria wherever they stand in a heading ("Product acceptance criteria").
_AC_PHRASES = [
    r"acceptance[ \t]+criteri(?:a|on|ons|as)",
    r"acceptance[ \t]+tests?",
    r"definition[ \t]+of[ \t]+done",
    r"done[ \t]+criteria",
    r"success[ \t]+criteria",
    r"conditions?[ \t]+of[ \t]+satisfaction",
    r"test[ \t]+criteria",
]
# Short labels that name acceptance criteria only as a label ("AC:", "DoD"). "ACs" but not "ACS" or "acs",
# which name other things (a cloud service, an npm package).
_AC_LABELS = [
    *_AC_PHRASES,
    r"done[ \t]+when",
    "scenarios",
    "acceptance",
    "a/c",
    r"a\.c\.",
    "(?-i:ACs|Acs)",
    "ac",
    "dod",
]
# Labels of other sections: they end an acceptance-criteria section even without heading markup.
_OTHER_LABELS = [
    *(
        rf"{kind}[ \t]+notes?"
        for kind in (
            "technical",
            "tech",
            "implementation",
            "dev",
            "developer",
            "design",
            "additional",
            "other",
            "release",
            "qa",
            "testing",
            "test",
        )
    ),
    "notes?",
    "nb",
    r"out[ \t]+of[ \t]+scope",
    r"not[ \t]+in[ \t]+scope",
    r"non[- \t]?goals?",
    r"open[ \t]+questions?",
    "questions?",
    "assumptions?",
    "dependenc(?:y|ies)",
    "risks?",
    "references?",
    "links?",
    "resources?",
    "attachments?",
    r"mock[- \t]?ups?",
    "designs?",
    "screenshots?",
    r"steps[ \t]+to[ \t]+reproduce",
    r"to[ \t]+reproduce",
    r"repro(?:duction)?[ \t]+steps",
    "steps",
    r"expected[ \t]+(?:results?|behaviou?r|outcome)",
    r"actual[ \t]+(?:results?|behaviou?r|outcome)",
    "environment",
    r"work[- \t]?arounds?",
    r"sub[- \t]?tasks?",
    "tasks?",
    r"to[- \t]?dos?",
    r"implementation(?:[ \t]+(?:details|plan))?",
    r"technical[ \t]+(?:details|design|approach)",
    "proposals?",
    r"proposed[ \t]+solutions?",
    "solutions?",
    "approach",
    "details",
    "comments?",
    "remarks?",
    r"see[ \t]+also",
    r"related(?:[ \t]+issues)?",
    "documentation",
    "description",
    r"original[ \t]+description",
    r"old[ \t]+description",
    "summary",
    "background",
    "context",
    "narrative",
    r"user[ \t]+stor(?:y|ies)",
    "stor(?:y|ies)",
    "overview",
    r"problem(?:[ \t]+statement)?",
    "goals?",
    "objectives?",
    "motivation",
    "rationale",
    "feature",
    r"nice[ \t]+to[ \t]+haves?",
    "edit(?:ed)?",
    "update[ds]?",
    r"how[ \t]+to[ \t]+test",
    r"to[ \t]+test",
    r"test[ \t]+(?:plan|steps)",
    "spec(?:ification)?",
    "examples?",
]


def _alternation(patterns: list[str]) -> str:
    """One regex alternative per pattern, grouped by first letter so the engine tries few per position."""
    groups: dict[str, list[str]] = {}
    for pattern in patterns:
        first = pattern[0]
        groups.setdefault(first if first.isalpha() else pattern, []).append(pattern)
    parts = []
    for first, members in groups.items():
        if len(members) == 1 or not first.isalpha():
            parts.extend(members)
        else:
            parts.append(f"{first}(?:{'|'.join(member[1:] for member in members)})")
    return "|".join(parts)


_AC_PHRASE = _alternation(_AC_PHRASES)
_AC_LABEL = _alternation(_AC_LABELS)
_OTHER_LABEL = _alternation(_OTHER_LABELS)
_LABEL = re.compile(
    rf"""(?:(?P<open>\*\*|__|\*|_)[ \t]*)?
    (?:(?P<ac>{_AC_LABEL})|(?P<other>{_OTHER_LABEL}))(?![^\W_]|/)   # a whole word ("_AC_" is emphasis)
    (?:[ \t]*\([^()\n]{{1,40}}\))?           # "Definition of Done (DoD)"
    (?:[ \t]*(?P<colon>:))?
    (?(open)[ \t]*(?P=open))                 # the same emphasis closes it: "*Acceptance Criteria:*"
    (?(colon)|(?:[ \t]*(?P<sep>:|[-–—](?=\s)))?)  # "Notes - …" (but "AC: - item" is a list)
    [ \t]*(?P<rest>.*)""",
    re.IGNORECASE | re.VERBOSE,
)
_AC_IN_HEADING = re.compile(_AC_PHRASE, re.IGNORECASE)
# Gherkin: "Scenario: name", "Scenario Outline: name", "Scenario 2 - name".
_SCENARIO_LABEL = re.compile(
    r"(?:\*\*|\*|__|_)?[ \t]*scenario(?:[ \t]+outline)?(?:[ \t]*#?\d+)?[*_]{0,2}[ \t]*(?:[:.\-–—]|$)",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------------------------------
# Line shapes. Every pattern is anchored, or bounded by a class that excludes its own delimiter, so no
# input makes one backtrack over the text again and again.

_NEWLINES = re.compile(r"\r\n?")
# Code and comments: never criteria, never headings. Every whole-text pattern below starts with a literal
# character ("\n" stands for a line start), which the regex engine finds fast; "^" would try every offset.
_JIRA_CODE_START = re.compile(r"\{(code|noformat)(?::[^{}\n]*)?\}", re.IGNORECASE)
_JIRA_CODE_END = {
    "code": re.compile(r"\{code\}", re.IGNORECASE),
    "noformat": re.compile(r"\{noformat\}", re.IGNORECASE),
}
_FENCE_START = re.compile(r"\n[ \t]{0,3}(`{3,}|~{3,})")
_FENCE_END = {"`": re.compile(r"\n[ \t]{0,3}`{3,}[ \t]*(?=\n|$)"), "~": re.compile(r"\n[ \t]{0,3}~{3,}[ \t]*(?=\n|$)")}
# Signs of Jira wiki markup, where "# item" is a numbered list item, not a heading.
_JIRA_HINTS = (
    re.compile(r"\n[ \t]*(?:h[1-6]\.|bq\.)", re.IGNORECASE),
    re.compile(r"\{(?:code|noformat|quote|panel|color)", re.IGNORECASE),
    re.compile(r"\[[^\[\]\n|]+\|[^\[\]\n]+\]"),
    re.compile(r"\(/\)"),
)
# NOTE: a pattern scanning the whole text must not retry its alternatives after every leading space: a
# blanked code block is one long run of spaces. "(?=(?P<ws>[ \t]*))(?P=ws)" takes the spaces once (an
# atomic group), and no two adjacent parts of a pattern may match the same spaces.
_ANY_LABEL = rf"(?:(?:\*\*|__|\*|_)[ \t]*)?(?:{_alternation([*_AC_LABELS, *_OTHER_LABELS, 'scenario'])})(?![^\W_]|/)"
_WS = r"(?=(?P<ws>[ \t]*))(?P=ws)"
_QUOTE_PREFIX = rf"{_WS}(?:(?:>[ \t]*)+|bq\.[ \t]+)?"
# Lines that may be headings; everything else is skipped without looking at it line by line.
_CANDIDATE_COMMON = (
    rf"\n{_QUOTE_PREFIX}(?:h[1-6]\.|<h[1-6]|{_ANY_LABEL}"
    r"|(?:\*\*[^*\n]+\*\*|__[^_\n]+__|\*[^*\s][^*\n]*\*)[ \t]*(?::[ \t]*)?$"
    rf"|(?:[*•+-]+|\d{{1,3}}[.)]|\#+)[ \t]+[*_]{{0,2}}(?:{_alternation([*_AC_LABELS, *_OTHER_LABELS])})"
    r"|(?:={3,}|-{3,})[ \t]*$"
)
_CANDIDATE = re.compile(rf"{_CANDIDATE_COMMON}|\#)", re.IGNORECASE | re.MULTILINE)
_CANDIDATE_JIRA = re.compile(rf"{_CANDIDATE_COMMON})", re.IGNORECASE | re.MULTILINE)
_COLON_LINE_END = re.compile(r":[ \t]*(?=\n|$)")
_QUOTE = re.compile(rf"{_WS}(?:(?:>[ \t]?)+|bq\.[ \t]+)", re.IGNORECASE)
_JIRA_HEADING = re.compile(rf"{_WS}h([1-6])\.(?![\d.])[ \t]*(.*)$", re.IGNORECASE)
_ATX = re.compile(r"[ \t]{0,3}(#{1,6})[ \t]+(\S.*)$")
_ATX_AT = re.compile(rf"{_QUOTE_PREFIX}(#{{1,6}})[ \t]+\S", re.IGNORECASE)
_HTML_HEADING = re.compile(rf"{_WS}<h([1-6])\b[^>\n]*>([^<\n]*)</h\2>[ \t]*$", re.IGNORECASE)
_SETEXT = re.compile(r"[ \t]{0,3}(?:={3,}|-{3,})[ \t]*$")
_BOLD_LINE = re.compile(rf"{_WS}(?:\*\*([^*\n]+)\*\*|__([^_\n]+)__|\*([^*\s][^*\n]*)\*)[ \t]*(?::[ \t]*)?$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BLANK_ASCII = {code: " " for code in range(128) if code != ord("\n")}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_SPACE = re.compile(r"\S")
# A list item: bullets (also Jira's nested "**", "##", "#-"), numbers "1." "1)" "(1)" "a)", Jira's checklist
# icons "(/)" "(x)" "(on)" "(off)".
_ITEM = re.compile(rf"{_WS}([*#•‣◦▪+-]+|\d{{1,3}}[.)]|\(\d{{1,3}}\)|[a-z]\)|\((?:/|x|on|off)\))[ \t]+(\S.*)$")
_BULLETS = "*#•‣◦▪+-"
_LIST_START = re.compile(r"(?:[*#•+-]+|\d{1,3}[.)])[ \t]+\S")
_CHECKBOX = re.compile(r"\[[ xX✓✔]\][ \t]*")
_CHECKLIST = re.compile(rf"\n{_WS}(?:[*#+-]+[ \t]+)?\[[ xX✓✔]\][ \t]*(\S.*)")
_TABLE_ROW = re.compile(r"[ \t]*\|")
# Bullets run together on one line ("AC: * a * b", as exports that lost their line breaks write them).
_INLINE_BULLET = re.compile(r"(?<=\S)[ \t]+([*#]+|•)[ \t]+(?=\S)")
_INLINE_DASH = re.compile(r"(?<=\S)[ \t]+(-{1,2})[ \t]+(?=[A-Z])")
# Struck-through text (Jira -x-, Markdown ~~x~~) is a criterion someone withdrew.
_STRUCK = re.compile(r"(?:-(?=[^\s-])[^\n]*(?<=[^\s-])-|~~[^\n]*~~)$")
_STEP = re.compile(
    rf"{_WS}(?:>[ \t]?)*(?:[*#•+-]+[ \t]+|\d{{1,3}}[.)][ \t]+)?(?:\[[ xX]\][ \t]*)?[*_]{{0,2}}"
    r"(given|when|then|and|but)\b[*_]{0,2}[ \t]*:?[ \t]*(.*)$",
    re.IGNORECASE,
)
_STEP_START = re.compile(
    rf"\n{_WS}(?:>[ \t]?)*(?:[*#•+-]+[ \t]+|\d{{1,3}}[.)][ \t]+)?(?:\[[ xX]\][ \t]*)?[*_]{{0,2}}given\b",
    re.IGNORECASE,
)
_WORD_WHEN = re.compile(r"\bwhen\b", re.IGNORECASE)
# "then" as a Gherkin step, not the "and then" of a sequence of actions.
_WORD_THEN = re.compile(r"(?<!and )(?<!or )\bthen\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][ \t]+(?=[\"'(\[]?[A-Z])")
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "incl.", "no.", "mr.", "mrs.", "dr."})

# Inline markup, removed from each criterion.
_HTML_TAG = re.compile(
    r"</?(?:a|b|i|u|s|p|br|em|strong|del|ins|code|kbd|span|div|sub|sup|ul|ol|li|small|mark|font|details|"
    r"summary|hr|img|h[1-6]|pre|blockquote|table|thead|tbody|tr|td|th)\b[^<>\n]*>",
    re.IGNORECASE,
)
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\n]*\)")
_JIRA_IMAGE = re.compile(r"!(?=\S)[^!\s|]+\.(?:png|jpe?g|gif|svg|bmp|webp)(?:\|[^!\n]*)?!", re.IGNORECASE)
# Link texts exclude "[" so that "[[[[…" cannot make a match rescan the rest of the line from every "[".
_MD_LINK = re.compile(r"\[([^\[\]\n]+)\]\([^()\s]*(?:[ \t]+\"[^\"\n]*\")?\)")
_JIRA_LINK = re.compile(r"\[([^\[\]|\n]*)\|[ \t]*([^\[\]\n]*)\]")
_BRACKET_URL = re.compile(r"\[[ \t]*((?:https?|ftp)://[^\[\]\s]+)[ \t]*\]|\[~([^\[\]\n]+)\]")
_JIRA_MACRO = re.compile(r"\{(?:color|quote|panel|anchor|status)(?::[^{}\n]*)?\}", re.IGNORECASE)
# Jira's emoticons: "(/)" is never prose; "(x)", "(i)", "(on)" … only at either end of a criterion, since
# "repo (x)" or "(i) first" inside a sentence are words, not icons.
_ICON_ANYWHERE = re.compile(r"\(/\)")
_ICON = r"\((?:x|on|off|!|\?|i|y|n|\+|-|\*[rgby]?|flag|flagoff)\)"
_ICON_AT_EDGE = re.compile(rf"^(?:[ \t]*{_ICON})+|(?:[ \t]*{_ICON})+[ \t]*$")
_EMPHASIS = (
    re.compile(r"\*\*([^*\n]+)\*\*"),
    re.compile(r"__([^_\n]+)__"),
    re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"),
    re.compile(r"(?<![\w+])\+(?=\S)([^+\n]+?)(?<=\S)\+(?![\w+])"),
    re.compile(r"`+([^`\n]+)`+"),
)
# Struck-through words inside a criterion were withdrawn too.
_STRIKE = (re.compile(r"~~[^~\n]+~~"), re.compile(r"(?<![\w-])-(?=[^\s-])[^-\n]+?(?<=[^\s-])-(?![\w-])"))
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~^<>])")
_PRIVATE = 0xE000  # escaped characters wait in the Unicode private-use area while markup is removed
_UNPROTECT = {_PRIVATE + ord(c): c for c in "\\`*_{}[]()#+-.!|~^<>"}
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?](?:\s|$))")
_SPACES = re.compile(r"\s+")
# Only complete entities: "&section=5" in a URL is not "§ion=5".
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,31});")
_NOT_WORD = re.compile(r"[\W_]+")


# ---------------------------------------------------------------------------------------------------------------
# Public API


def extract_acceptance_criteria(description: str | None, field: str | None = None) -> tuple[str, ...]:
    """One clean string per acceptance criterion: the dedicated field's first, then the description's new ones."""
    found: list[str] = []
    seen: set[str] = set()
    # NOTE: the tracker's dedicated field is acceptance criteria by definition, so all of it reads as an AC
    # section (headings inside it still count); the description then adds what the field does not state.
    for text, implicit in ((field, True), (description, False)):
        if not text or not text.strip():
            continue
        for criterion in _extract(text, implicit_ac=implicit):
            key = _NOT_WORD.sub(" ", criterion.casefold()).strip()
            if key and key not in seen:
                seen.add(key)
                found.append(criterion)
    return tuple(found)


def split_sections(text: str | None) -> list[Section]:
    """Split text at its headings: Markdown, Jira wiki, HTML, bold lines and labels such as "Notes:"."""
    if not text or not text.strip():
        return []
    scan = _scan(text)
    sections = []
    for block in scan.blocks:
        body = scan.raw[block.start : block.end]
        if block.heading is not None and block.heading.inline:
            body = f"{block.heading.inline}\n{body}"
        body = _trim_blank_lines(body)
        if block.heading is not None or body:
            sections.append(Section(None if block.heading is None else block.heading.text, body))
    return sections


# ---------------------------------------------------------------------------------------------------------------
# Scanning: hide code and comments, find the headings, cut the text into blocks.


@dataclass(frozen=True)
class _Heading:
    """A heading line, as the extractor needs to know it."""

    text: str  # heading text, clean
    ac: bool  # it introduces acceptance criteria
    known: bool  # a known label of another section ("Notes", "Out of scope")
    level: int | None  # 1–6 for Markdown, Jira and HTML headings; None for bold lines and plain labels
    bold: bool  # a whole-line bold heading ("*Expectations*")
    inline: str  # text after the label on the same line ("AC: users can …"), else ""
    gherkin: bool = False  # a Gherkin "Scenario: …" heading: only its Given/When/Then steps are criteria


@dataclass(frozen=True)
class _Block:
    """A heading (None at the start of the text) and the offsets of the text under it."""

    heading: _Heading | None
    start: int
    end: int


@dataclass(frozen=True)
class _Scan:
    """The text, the same text with code and comments blanked (offsets unchanged), and its blocks."""

    raw: str
    masked: str
    blocks: list[_Block]


def _scan(text: str) -> _Scan:
    """Cut the text into blocks at its headings (never inside code blocks or HTML comments)."""
    raw = _NEWLINES.sub("\n", text)
    masked, visible = _mask(raw)
    lines = f"\n{raw}"
    jira = any(hint.search(lines) for hint in _JIRA_HINTS)
    starts, hash_lines = _candidate_lines(masked, visible, jira)
    listed = _hash_list_lines(masked, hash_lines)
    n = len(masked)
    blocks: list[_Block] = []
    heading: _Heading | None = None
    body_start = 0
    bare_ac_end = -1  # end of the previous candidate line when it was a bare AC heading ("AC:")
    seen: dict[tuple[str, bool], _Heading | None] = {}  # a line repeated in a long text is read once
    for start in starts:
        if start < body_start or start in listed:
            continue  # the underline of a setext heading already taken, or an item of a "#" list
        end = _line_end(masked, start)
        line = masked[start:end]
        after_ac = bare_ac_end >= 0 and masked[bare_ac_end:start].isspace()
        bare_ac_end = -1
        heading_start, body_from = start, end + 1
        if _SETEXT.match(line):
            found = _setext_above(masked, start, body_start)
            if found is not None:
                heading_start = masked.rfind("\n", 0, start - 1) + 1
        else:
            key = (line, after_ac)
            found = seen[key] if key in seen else seen.setdefault(key, _heading_at(line, jira, after_ac))
            if found is None and end < n and _SETEXT.match(masked, end + 1, _line_end(masked, end + 1)):
                found = _setext_above(masked, end + 1, body_start)
                body_from = _line_end(masked, end + 1) + 1
        if found is None:
            continue
        blocks.append(_Block(heading, body_start, max(heading_start - 1, body_start)))
        heading, body_start = found, min(body_from, n)
        if found.ac and not found.inline:
            bare_ac_end = end
    blocks.append(_Block(heading, body_start, n))
    if blocks[0].heading is None and blocks[0].end <= blocks[0].start:
        blocks.pop(0)
    return _Scan(raw, masked, blocks)


def _mask(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Text with code blocks and HTML comments blanked (newlines kept, so offsets stay put), and the spans left."""
    out: list[str] = []
    visible: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    lines = "\n" + text  # offset i here is a line start in text when this has "\n" at i
    comment, jira, fence = -1, None, None
    while True:
        # The next start of each kind, searched again only once the scan has passed the previous one.
        if 0 <= comment < pos or comment == -1:
            comment = text.find("<!--", pos)
            comment = n if comment < 0 else comment
        if jira is not None and jira.start() < pos or jira is None and pos == 0:
            jira = _JIRA_CODE_START.search(text, pos)
        if fence is not None and fence.start() < pos or fence is None and pos == 0:
            fence = _FENCE_START.search(lines, pos)
        starts = [comment, jira.start() if jira else n, fence.start() if fence else n]
        start = min(starts)
        if start >= n:
            out.append(text[pos:])
            visible.append((pos, n))
            return "".join(out), visible
        if start == starts[0]:
            end = text.find("-->", start + 4)
            end = n if end < 0 else end + 3
        elif start == starts[1]:
            close = _JIRA_CODE_END[jira.group(1).lower()].search(text, jira.end())
            end = n if close is None else close.end()
        else:
            # A fence closes at a line of the same fence character; an unclosed one runs to the end.
            close = _FENCE_END[fence.group(1)[0]].search(text, _line_end(text, start))
            end = n if close is None else close.end()
        out.append(text[pos:start])
        visible.append((pos, start))
        hidden = text[start:end].translate(_BLANK_ASCII)
        out.append(hidden if hidden.isascii() else _NON_ASCII.sub(" ", hidden))
        pos = end


def _next_text_line(text: str, pos: int) -> int:
    """Start of the first line at or after offset pos that is not blank (or the end of the text)."""
    m = _NON_SPACE.search(text, pos)
    return len(text) if m is None else text.rfind("\n", 0, m.start()) + 1


def _line_end(text: str, start: int) -> int:
    """Offset of the newline ending the line that starts at start (or the end of the text)."""
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _candidate_lines(masked: str, visible: list[tuple[int, int]], jira: bool) -> tuple[list[int], list[int]]:
    """Start offsets of the lines that may be headings, in order, and of those among them that start with "#"."""
    lines = "\n" + masked  # offset i here is the start of a line of masked when lines[i] is "\n"
    starts: set[int] = set()
    hash_lines: list[int] = []
    candidate = _CANDIDATE_JIRA if jira else _CANDIDATE
    for start, end in visible:  # a line starting inside code or a comment is blank
        for m in candidate.finditer(lines, start, end + 1):
            starts.add(m.start())
            if not jira and _ATX_AT.match(masked, m.start()):
                hash_lines.append(m.start())
    # "The acceptance criteria for this issue are as follows:" introduces criteria like a heading does.
    for m in _COLON_LINE_END.finditer(masked):
        line_start = masked.rfind("\n", 0, m.start()) + 1
        if m.start() - line_start < 200 and _AC_IN_HEADING.search(masked, line_start, m.start()):
            starts.add(line_start)
    return sorted(starts), hash_lines


def _hash_list_lines(masked: str, starts: list[int]) -> set[int]:
    """Starts of "# …" lines that are a numbered list (Jira wiki or plain text), not Markdown headings."""
    # A paragraph (no blank line inside) with two "# " lines, or a "# " line and deeper "## " ones, is a list:
    # Markdown titles follow each other without text between only in outlines, and those go deeper.
    groups: list[list[tuple[int, int]]] = []
    previous_end = -1
    for start in starts:
        m = _ATX_AT.match(masked, start)
        if m is None:
            continue
        if previous_end < 0 or _BLANK_LINE.search(masked, previous_end, start + 1):
            groups.append([])
        groups[-1].append((start, len(m.group(2))))
        previous_end = _line_end(masked, start)
    listed: set[int] = set()
    for group in groups:
        per_depth = Counter(depth for _, depth in group)
        if per_depth[1] > 1 or (per_depth[1] == 1 and len(group) > 1):
            listed.update(start for start, _ in group)
    return listed


def _setext_above(masked: str, underline: int, body_start: int) -> _Heading | None:
    """The Markdown setext heading ("Title" over "-----") whose underline starts at offset underline."""
    if underline == 0:
        return None
    start = masked.rfind("\n", 0, underline - 1) + 1
    line = masked[start : underline - 1]
    if start < body_start or not line.strip() or _ITEM.match(line):
        return None
    # A paragraph's last line over "---" is a rule under a paragraph, not a one-line title.
    if start > 0 and masked[masked.rfind("\n", 0, start - 1) + 1 : start - 1].strip():
        return None
    return _make_heading(line.strip(), 1 if "=" in masked[underline : underline + 4] else 2, bold=False)


def _heading_at(line: str, jira: bool, after_ac: bool) -> _Heading | None:
    """The heading this line is, or None."""
    quote = _QUOTE.match(line)
    if quote:
        line = line[quote.end() :]
    stripped = line.strip()
    first = stripped[:1]
    if first in ("h", "H"):
        m = _JIRA_HEADING.match(line)
        if m:
            return _make_heading(m.group(3), int(m.group(2)), bold=False)
    elif first == "#":
        m = _ATX.match(line)
        if m:
            depth, text = len(m.group(1)), m.group(2).rstrip("# \t")
            found = _label(text)
            if found or _is_hash_heading(text, depth, jira, after_ac):
                return _make_heading(text, depth, bold=False, label=found)
            return None
    elif first == "<":
        m = _HTML_HEADING.match(line)
        if m:
            return _make_heading(m.group(3), int(m.group(2)), bold=False)
    if first in ("*", "_"):
        m = _BOLD_LINE.match(line)
        if m:
            text = m.group(2) or m.group(3) or m.group(4)
            found = _label(text)
            if found or _AC_IN_HEADING.search(text) or _looks_like_title(text):
                return _make_heading(text, None, bold=True, label=found)
    item = _ITEM.match(line)
    if item:
        # "1. Acceptance criteria" used as a heading inside a numbered outline.
        found = _label(item.group(3))
        return _make_heading(item.group(3), None, bold=False, label=found) if found and not found[2] else None
    found = _label(stripped)
    if found:
        return _make_heading(stripped, None, bold=False, label=found)
    if _SCENARIO_LABEL.match(stripped):
        return _Heading(_clean(stripped).rstrip(":"), True, False, None, False, "", gherkin=True)
    if stripped.endswith(":") and _AC_IN_HEADING.search(stripped):
        return _Heading(_clean(stripped).rstrip(":"), True, False, None, False, "")
    return None


def _is_hash_heading(text: str, depth: int, jira: bool, after_ac: bool) -> bool:
    """Whether a lone "# …" line is a Markdown heading rather than a numbered list item."""
    # Jira wiki numbers items with "#"; a "#" line right under "Acceptance criteria:" is its first item.
    if jira or (depth == 1 and after_ac):
        return False
    # A title is short and unpunctuated; "# Add drivers in both projects." is an item.
    return not (text.endswith((".", ";", ",")) or len(text.split()) > 12)


def _looks_like_title(text: str) -> bool:
    """Whether a whole-line bold text reads as a section title rather than an emphasised sentence."""
    return len(text.split()) <= 8 and not text.rstrip(" :").endswith((".", "!", "?"))


def _label(text: str) -> tuple[bool, str, str] | None:
    """(is_ac, label, inline content) when text starts with a section label, else None."""
    m = _LABEL.match(text.strip())
    if m is None:
        return None
    rest = m.group("rest").strip()
    is_ac = m.group("ac") is not None
    # Without a colon, text after the label makes a sentence ("Acceptance criteria for this Jira is …"),
    # unless it is a list run on after the label ("Acceptance criteria # Be able to …").
    if rest and not (m.group("colon") or m.group("sep")) and not (is_ac and _LIST_START.match(rest)):
        return None
    return is_ac, _SPACES.sub(" ", m.group("ac") or m.group("other")), rest


def _make_heading(text: str, level: int | None, *, bold: bool, label: tuple[bool, str, str] | None = None) -> _Heading:
    """A heading from its text (and its label, when already read): AC, a known label, a scenario, any title."""
    found = label or _label(text)
    if found:
        is_ac, label, inline = found
        return _Heading(label, is_ac, not is_ac, level, bold, inline)
    clean = _clean(text).rstrip(": \t")
    if _SCENARIO_LABEL.match(text):
        return _Heading(clean, True, False, level, bold, "", gherkin=True)
    return _Heading(clean, _AC_IN_HEADING.search(text) is not None, False, level, bold, "")


def _trim_blank_lines(text: str) -> str:
    """Text without the blank lines at either end (indentation of the first line kept)."""
    start = 0
    for m in re.finditer(r"[ \t]*\n", text):
        if m.start() != start:
            break
        start = m.end()
    return text[start:].rstrip()


# ---------------------------------------------------------------------------------------------------------------
# Extraction


def _extract(text: str, *, implicit_ac: bool) -> list[str]:
    """Criteria of one text in document order; implicit_ac reads text before any heading as criteria."""
    scan = _scan(text)
    has_headings = any(block.heading is not None for block in scan.blocks)
    found: list[str] = []
    done: dict[tuple[str, bool], list[str]] = {}  # a repeated section is read once
    in_ac, ac_level = implicit_ac, None
    for block in scan.blocks:
        if len(found) >= _MAX_CRITERIA:
            break
        heading = block.heading
        body = scan.masked[block.start : block.end]
        if heading is not None and heading.gherkin:
            # NOTE: "Scenario:" also heads a bug's steps to reproduce ("Scenario: 1. create a route …"), so
            # under it only Given/When/Then steps count; it leaves an enclosing AC section open.
            found.extend(_criteria_outside(body, checklists=False, allow_when=True))
            continue
        if heading is not None:
            if heading.ac:
                in_ac, ac_level = True, heading.level
            elif not (in_ac and _subordinate(heading, ac_level)):
                in_ac = False
            if heading.ac and heading.inline and not _LIST_START.match(heading.inline):
                # NOTE: "AC: users can export" is a one-line field: that line is the criterion and the
                # lines after it are ordinary text. A run-on list ("AC: * a * b") goes on like a section.
                found.extend(_criteria_in_section(heading.inline))
                found.extend(_criteria_outside(body, checklists=False))
                in_ac = False
                continue
            if heading.inline:
                body = f"{heading.inline}\n{body}"
        # NOTE: outside an AC section, checklist items ("- [ ] …") count only when the description has no
        # headings at all: then the checklist is its only structure and says what "done" means. Under any
        # other heading ("Tasks", "Checklist") it is a to-do list. Jira's (/) (x) icons outside AC sections
        # mark test results, not criteria.
        key = (body, in_ac)
        if key not in done:
            done[key] = _criteria_in_section(body) if in_ac else _criteria_outside(body, checklists=not has_headings)
        found.extend(done[key])
    return found[:_MAX_CRITERIA]


def _subordinate(heading: _Heading, ac_level: int | None) -> bool:
    """Whether a heading only groups criteria inside the AC section (a deeper level, or a bold sub-title)."""
    # NOTE: any other heading ends the section, but "### Login" under "## Acceptance criteria" (or a bold
    # "**Errors**" line there) names a group of criteria: a PO reads the criteria under it as part of the AC.
    if ac_level is None or heading.known:
        return False
    if heading.level is not None:
        return heading.level > ac_level
    return heading.bold


@dataclass
class _Unit:
    """One piece of an AC section: a list item, a plain line or a scenario."""

    kind: str  # "item", "plain" or "scenario"
    text: str
    depth: int = 0


def _criteria_in_section(text: str) -> list[str]:
    """Criteria of an AC section: its scenarios and list items, and else its lines and sentences."""
    return _compose(_units(text))


def _units(text: str) -> list[_Unit]:
    """Read the section's lines into items, plain lines and scenarios, joining lazy continuation lines."""
    units: list[_Unit] = []
    last_item: _Unit | None = None  # the item an unmarked line right below it continues (as in Markdown)
    no_scenario_until = 0
    pos, n = 0, len(text)
    while pos < n and len(units) < _MAX_CRITERIA:
        end = _line_end(text, pos)
        line = text[pos:end]
        quote = _QUOTE.match(line) if line.lstrip()[:1] in (">", "b", "B") else None
        if quote:
            line = line[quote.end() :]
        if not line.strip():
            last_item, pos = None, _next_text_line(text, end)
            continue
        if pos >= no_scenario_until:
            scenario, after = _scenario_at(text, pos, allow_when=True)
            if scenario is not None:
                units.append(_Unit("scenario", scenario))
                last_item, pos = None, after
                continue
            no_scenario_until = after  # no line of this run starts a scenario either
        pos, depth = end + 1, 1
        if _TABLE_ROW.match(line):
            continue
        item = _ITEM.match(line)
        if item:
            marker = item.group(2)
            depth = len(item.group(1).expandtabs(4)) // 2 + (len(marker) if marker[0] in _BULLETS else 1)
            if marker[0].isdigit():
                (_, head), *more = _split_numbered(item.group(3), int(marker[:-1]), marker[-1])
            else:
                (_, head), *more = _split_run_on(item.group(3), dashes=marker[0] == "-")
            # NOTE: an icon and a status ("(/) DONE") on a line of their own mark progress, not a criterion.
            last_item = None if marker.startswith("(") and _STATUS_ONLY.match(head.strip(" *_")) else _item(head, depth)
            if last_item is not None:
                units.append(last_item)
        else:
            (_, head), *more = _split_run_on(line.strip(), dashes=False)
            plain = "" if _struck(head) else _clean(head)
            if plain and last_item is not None and not plain.endswith(":"):
                last_item.text = _SPACE_BEFORE_PUNCT.sub(r"\1", f"{last_item.text} {plain}")
            elif plain:
                units.append(_Unit("plain", plain))
                last_item = None
        for marker, piece in more:
            last_item = _item(piece, depth if marker.isdigit() else len(marker))
            if last_item is not None:
                units.append(last_item)
    return units


def _item(text: str, depth: int) -> _Unit | None:
    """A list item unit, or None when the item is struck through (withdrawn) or empty."""
    if _struck(text):
        return None
    text = text.strip()
    checkbox = _CHECKBOX.match(text)
    text = _clean(text[checkbox.end() :] if checkbox else text)
    return _Unit("item", text, depth) if text else None


def _split_run_on(text: str, *, dashes: bool) -> list[tuple[str, str]]:
    """Split "a * b ** c" into ("", "a"), ("*", "b"), ("**", "c"); dashes also splits "a - B" runs."""
    if "*" not in text and "#" not in text and "•" not in text and not (dashes and "-" in text):
        return [("", text)]
    pieces: list[tuple[str, str]] = []
    marker, pos = "", 0
    for m in (_INLINE_DASH if dashes else _INLINE_BULLET).finditer(text):
        after = text[m.end() : m.end() + 1]
        if after.isdigit() and (m.group(1)[0] == "#" or text[m.start() - 1 : m.start()].isdigit()):
            continue  # "issue # 12", "2 * 3"
        pieces.append((marker, text[pos : m.start()]))
        marker, pos = m.group(1), m.end()
        if len(pieces) >= _MAX_CRITERIA:
            return pieces
    pieces.append((marker, text[pos:]))
    if dashes:
        # A dash-list line may also run "*" bullets on: split each piece again.
        return [(sub or mark, p) for mark, piece in pieces for sub, p in _split_run_on(piece, dashes=False)]
    return pieces


def _split_numbered(text: str, number: int, closer: str) -> list[tuple[str, str]]:
    """Split item "1." text "a 2. b 3. c" into its items; only the next numbers, in order, split it."""
    pieces: list[tuple[str, str]] = []
    marker, pos = "", 0
    while len(pieces) < _MAX_CRITERIA:
        number += 1
        found = text.find(f" {number}{closer} ", pos)
        if found < 0:
            break
        pieces.append((marker, text[pos:found]))
        marker, pos = str(number), found + len(f" {number}{closer} ")
    pieces.append((marker, text[pos:]))
    return pieces


def _compose(units: list[_Unit]) -> list[str]:
    """Turn units into criteria; a lead-in prefixes each item it introduces ("Users can see: the total")."""
    found: list[str] = []
    # NOTE: an item with sub-items introduces them ("Filters" + "** accept quoted strings" reads
    # "Filters: accept quoted strings") unless it is a full sentence of its own (ends in . ! ?): then it
    # is a criterion and so is each sub-item. Open items: [depth, text, is_lead_in, has_sub_items].
    parents: list[list] = []
    lead: str | None = None  # a plain line ending in ":" waiting for the items it introduces
    lead_used = False

    def prefix() -> str:
        """The lead-ins the next item reads under."""
        parts = [lead] if lead else []
        return " ".join(parts + [_colon(text) for _, text, is_lead, _ in parents if is_lead])

    def close_items(depth: int) -> None:
        """Close the open items at depth or deeper; a lead-in that got no sub-items is a criterion itself."""
        while parents and parents[-1][0] >= depth:
            _, text, is_lead, has_sub_items = parents.pop()
            if is_lead and not has_sub_items:
                found.append(_join(prefix(), text))

    for unit in units:
        if unit.kind == "item":
            close_items(unit.depth)
            if parents:
                parents[-1][3] = True
            lead_used = lead_used or lead is not None
            sentence = unit.text.endswith((".", "!", "?"))
            if sentence:
                found.append(_join(prefix(), unit.text))
            parents.append([unit.depth, unit.text, not sentence, False])
            continue
        close_items(0)
        pending = lead if lead and not lead_used else None
        lead = None
        if unit.kind == "scenario":
            found.extend([pending, unit.text] if pending else [unit.text])
            continue
        # "The domain is created with this format:" + "NAME-version" reads as one criterion.
        text = _join(pending, unit.text) if pending else unit.text
        if text.endswith(":"):
            lead, lead_used = text, False
        else:
            found.extend(_sentences(text))
    close_items(0)
    if lead and not lead_used:
        found.extend(_sentences(lead))
    return [criterion for criterion in found if _has_words(criterion)]


def _colon(text: str) -> str:
    """A lead-in as it reads before what it introduces: ending in a colon."""
    return text if text.endswith(":") else f"{text}:"


def _join(prefix: str | None, text: str) -> str:
    """A lead-in and what it introduces, as one criterion."""
    return f"{prefix} {text}" if prefix else text


def _criteria_outside(text: str, *, checklists: bool, allow_when: bool = False) -> list[str]:
    """Criteria outside any AC section: Given/When/Then scenarios, and checklist items if allowed."""
    found: list[str] = []
    if allow_when:
        pos = _next_text_line(text, 0)
        while pos < len(text) and len(found) < _MAX_CRITERIA:
            scenario, pos = _scenario_at(text, pos, allow_when=True)
            if scenario is not None:
                found.append(scenario)
            pos = _next_text_line(text, pos)
    else:
        resume = 0
        for m in _STEP_START.finditer(f"\n{text}"):
            if m.start() < resume:
                continue  # a line of the scenario just read
            scenario, resume = _scenario_at(text, m.start(), allow_when=False)
            if scenario is not None:
                found.append(scenario)
                if len(found) >= _MAX_CRITERIA:
                    break
    if checklists:
        for m in _CHECKLIST.finditer(f"\n{text}"):
            if not _struck(m.group(2)):
                item = _clean(m.group(2))
                if _has_words(item):
                    found.append(item)
    return found


def _step(line: str) -> tuple[str, str] | None:
    """(keyword, rest) when the line is a Gherkin step ("- **Given** a cart" → ("given", "a cart"))."""
    m = _STEP.match(line)
    return None if m is None else (m.group(2).lower(), m.group(3))


def _scenario_at(text: str, pos: int, *, allow_when: bool) -> tuple[str | None, int]:
    """The scenario whose first step starts at offset pos as one criterion, and the offset after its run."""
    n = len(text)
    end = _line_end(text, pos)
    first = _step(text[pos:end])
    if first is None or first[0] not in (("given", "when") if allow_when else ("given",)):
        return None, end + 1
    one_line = _says_then(*first)  # "Given a cart, when I sign in, then I see it"
    steps, keywords = [first], {first[0]}
    after = pos = end + 1
    while pos < n:
        end = _line_end(text, pos)
        line = text[pos:end]
        if not line.strip():
            # Blank lines may separate the steps of one scenario, not two scenarios.
            nxt = _next_text_line(text, end)
            following = _step(text[nxt : _line_end(text, nxt)]) if nxt < n else None
            if following is None or _starts_new(following, keywords):
                break
            pos = nxt
            continue
        step = _step(line)
        if step is None or (one_line and step[0] not in ("and", "but")) or _starts_new(step, keywords):
            break
        steps.append(step)
        keywords.add(step[0])
        after = pos = end + 1
    if one_line or "then" in keywords:
        return _join_steps(steps), after
    return None, after


def _starts_new(step: tuple[str, str], keywords: set[str]) -> bool:
    """Whether a Given or When step begins another scenario rather than continuing this one."""
    keyword, rest = step
    if keyword not in ("given", "when"):
        return False
    return "then" in keywords or (keyword == "given" and "when" in keywords) or _says_then(keyword, rest)


def _says_then(keyword: str, rest: str) -> bool:
    """Whether one step line holds a whole scenario: "Given …, when …, then …" or "When …, then …"."""
    start = 0
    if keyword == "given":
        when = _WORD_WHEN.search(rest)
        if when is None:
            return False
        start = when.end()
    elif keyword != "when":
        return False
    return _WORD_THEN.search(rest, start) is not None


def _join_steps(steps: list[tuple[str, str]]) -> str:
    """ "Given a cart" + "And I am signed out" + "When …" → "Given a cart and I am signed out, when …"."""
    parts: list[str] = []
    for n, (keyword, rest) in enumerate(steps):
        rest = _clean(rest).rstrip(".;,")
        if n == 0:
            parts.append(f"{keyword.capitalize()} {rest}".rstrip())
        elif keyword in ("and", "but", "given"):
            parts.append(f" {'and' if keyword == 'given' else keyword} {rest}".rstrip())
        else:
            parts.append(f", {keyword} {rest}".rstrip())
    return "".join(parts)


def _sentences(text: str) -> list[str]:
    """Split a line into sentences, not at abbreviations such as "e.g."."""
    if "." not in text and "!" not in text and "?" not in text:
        return [text]
    pieces: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        word = text[start : m.start() + 1].rsplit(None, 1)[-1]
        if word.lower() in _ABBREVIATIONS or (len(word) == 2 and word[0].isupper()):
            continue  # "e.g. Foo", an initial as in "J. Smith"
        pieces.append(text[start : m.start() + 1].strip())
        start = m.end()
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]


def _struck(text: str) -> bool:
    """Whether the whole text is struck through (its closing mark may hide in a link: "-… [x|url]-")."""
    return _STRUCK.match(text.strip().rstrip(" .])*_")) is not None


# A status word alone: with a tracker icon ("(/) DONE") it marks progress and states nothing to check.
_STATUS_ONLY = re.compile(r"^(?:done|fixed|wip|in progress|resolved|complete|completed|ok)[.!]?$", re.IGNORECASE)


def _has_words(text: str) -> bool:
    """Whether text has a letter or digit (not just leftover markup)."""
    return any(c.isalnum() for c in text)


def _clean(text: str) -> str:
    """Text without inline markup, icons and escapes, whitespace collapsed."""
    escaped = "\\" in text
    if escaped:
        # Jira's "\\" breaks a line; "\*" is a literal star, kept out of the markup rules until the end.
        text = _ESCAPE.sub(lambda m: chr(_PRIVATE + ord(m.group(1))), text.replace("\\\\", " "))
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if "!" in text:
        text = _JIRA_IMAGE.sub("", _MD_IMAGE.sub("", text))
    if "[" in text:
        text = _MD_LINK.sub(r"\1", text)
        text = _JIRA_LINK.sub(lambda m: m.group(1).strip() or m.group(2).strip(), text)
        text = _BRACKET_URL.sub(lambda m: m.group(1) or m.group(2), text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    if "{" in text:
        text = _JIRA_MACRO.sub("", _unwrap(text, "{{", "}}"))
    if "(" in text:
        text = _ICON_AT_EDGE.sub("", _ICON_ANYWHERE.sub("", text))
    if "~" in text or "-" in text:
        for pattern in _STRIKE:
            text = pattern.sub("", text)
    if "*" in text or "_" in text or "+" in text or "`" in text:
        for pattern in _EMPHASIS:
            text = pattern.sub(r"\1", text)
    if escaped:
        text = text.translate(_UNPROTECT)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text).strip())
    return text.strip(" \t;,")


def _unwrap(text: str, opener: str, closer: str) -> str:
    """Drop paired delimiters such as Jira's {{monospace}}, keeping their content (one linear pass)."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find(opener, pos)
        if start < 0:
            break
        end = text.find(closer, start + len(opener))
        if end < 0:
            break  # no closer after this opener means none after any later one either
        out.append(text[pos:start])
        out.append(text[start + len(opener) : end])
        pos = end + len(closer)
    out.append(text[pos:])
    return "".join(out)
