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
    "code_comments": Param(
        list,
        "what opens a code comment: a marker right after it belongs to pasted code, not to the item",
        default=["//", "#", "/*", "*", "--", "<!--"],
    ),
}
_FIELDS = (("title", "title"), ("description", "description"), ("acceptance_criteria_field", "acceptance_criteria"))


@lru_cache(maxsize=16)
def _compiled(markers: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each marker compiled once."""
    return tuple(re.compile(marker) for marker in markers)


def _in_code_comment(text: str, start: int, openers: list[str]) -> bool:
    """True when the marker follows a comment opener on its line ("// TODO: remove")."""
    line = text[text.rfind("\n", 0, start) + 1 : start].rstrip()
    return any(line.endswith(opener) or line.lstrip().startswith(opener + " ") for opener in openers) and bool(
        line.strip()
    )


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag every field that still holds a placeholder, naming the markers and where they are."""
    markers: dict[str, str] = rule.params["markers"]
    patterns = _compiled(tuple(markers))
    for attribute, field in _FIELDS:
        text = getattr(ctx.item, attribute) or ""
        if not text:
            continue
        found: dict[str, str] = {}
        for pattern, meaning in zip(patterns, markers.values(), strict=True):
            for match in pattern.finditer(text):
                if not _in_code_comment(text, match.start(), rule.params["code_comments"]):
                    found.setdefault(match.group(0).strip(), meaning)
                    break
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
