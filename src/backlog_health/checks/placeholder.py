"""The item still holds a placeholder ("TBD", "TODO", "???", "lorem ipsum", "<insert link>") in its text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "placeholder"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "markers": Param(
        dict, "regular expressions of placeholders, mapped to what they leave open; (?i) makes one case-insensitive"
    ),
    "hints": Param(
        list,
        "lowercase snippets one of which every marker holds; text without any is not scanned (empty: always scan)",
        default=[],
    ),
    "code_comments": Param(
        list,
        "what opens a code comment: a marker right after it belongs to pasted code, not to the item",
        default=["//", "#", "/*", "*", "--", "<!--"],
    ),
}
_FIELDS = (("title", "title"), ("description", "description"), ("acceptance_criteria_field", "acceptance_criteria"))


_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


@lru_cache(maxsize=16)
def _compiled(markers: tuple[str, ...]) -> re.Pattern[str]:
    """All markers as one pattern, one named group each, so that a field is scanned once."""
    groups = []
    for n, marker in enumerate(markers):
        # NOTE: a marker's leading "(?i)" becomes "(?i:…)" so that it applies to that marker alone.
        scoped = _LEADING_FLAGS.sub(lambda m: f"(?{m.group(1)}:", marker)
        groups.append(f"(?P<m{n}>{scoped}{')' if scoped != marker else ''})")
    return re.compile("|".join(groups))


def _in_code_comment(text: str, start: int, openers: list[str]) -> bool:
    """True when the marker follows a comment opener on its line ("// TODO: remove")."""
    line = text[text.rfind("\n", 0, start) + 1 : start].rstrip()
    return any(line.endswith(opener) or line.lstrip().startswith(opener + " ") for opener in openers) and bool(
        line.strip()
    )


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag every field that still holds a placeholder, naming the markers and where they are."""
    markers: dict[str, str] = rule.params["markers"]
    pattern = _compiled(tuple(markers))
    meanings = list(markers.values())
    hints = rule.params["hints"]
    for attribute, field in _FIELDS:
        text = getattr(ctx.item, attribute) or ""
        if not text:
            continue
        folded = text.lower()
        if hints and not any(hint in folded for hint in hints):
            continue
        found: dict[str, str] = {}
        for match in pattern.finditer(text):
            if not _in_code_comment(text, match.start(), rule.params["code_comments"]):
                found.setdefault(match.group(0).strip(), meanings[int(match.lastgroup[1:])])
        if not found:
            continue
        first = min(text.find(word) for word in found)
        excerpt = text[max(first - 60, 0) : first + 120].strip()
        yield rule.finding(
            match=", ".join(f"'{word}'" for word in found) + f" in the {field.replace('_', ' ')}",
            excerpt=excerpt,
            suggestion="Fill in what is missing before the item is planned: "
            + "; ".join(f"'{word}' {meaning}" for word, meaning in found.items()),
            field=field,
        )
