"""The item says it waits for another item: 'after PROJ-12 is done', 'depends on story 4', 'same as above'."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "dependency"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
PARAMS = {
    "triggers": Param(list, "words that introduce what the item waits for ('depends on', 'after')"),
    "item_words": Param(list, "nouns that name another backlog item ('story', 'ticket')"),
    "back_references": Param(list, "phrases that point at a neighbouring item ('same as above')", default=[]),
    "headings": Param(list, "description headings that list dependencies ('Depends on:')", default=[]),
    "none_words": Param(
        list,
        "answers under a heading that mean no dependency ('none', 'n/a')",
        default=["none", "n/a", "na", "-", "no", "nothing", "tbd"],
    ),
}


@lru_cache(maxsize=32)
def _reference(item_words: tuple[str, ...]) -> str:
    """Another item: '#12', 'story 4', 'the previous story', or a bare tracker key (group 'bare')."""
    nouns = "|".join(sorted((re.escape(word) for word in item_words), key=len, reverse=True))
    return (
        rf"(?:#\d+\b|(?:(?:user\s+)?(?:{nouns})s?)\s*(?:#|no\.?\s*)?(?:\d+|[A-Z][A-Z0-9]{{1,9}}-\d+)\b"
        rf"|the\s+(?:previous|preceding|above|earlier|other|parent|related|first|last|next)\s+(?:{nouns})\b"
        rf"|(?P<bare>\b[A-Z][A-Z0-9]{{1,9}})-\d+\b)"
    )


@lru_cache(maxsize=32)
def _patterns(
    triggers: tuple[str, ...], item_words: tuple[str, ...], back: tuple[str, ...], headings: tuple[str, ...]
) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str] | None]:
    """A trigger followed by a reference; a back reference; a dependency heading with its answer."""
    words = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in sorted(triggers, key=len, reverse=True))
    # NOTE: item nouns are matched case-insensitively, a bare key only in capitals ('PROJ-12').
    waits = re.compile(rf"(?<![\w-])(?i:{words})\s+(?i:the\s+)?{_reference(item_words)}")
    refs = "|".join(re.escape(b).replace(r"\ ", r"\s+") for b in back)
    back_pattern = re.compile(rf"(?<![\w-])(?:{refs})(?![\w-])", re.IGNORECASE) if back else None
    heads = "|".join(re.escape(h) for h in headings)
    heading = re.compile(rf"(?im)^[ \t\-*#]*(?:{heads})[ \t]*:[ \t]*(.*)$") if headings else None
    return waits, back_pattern, heading


@lru_cache(maxsize=32)
def _item_mention(item_words: tuple[str, ...]) -> re.Pattern[str]:
    """A reference to another item, or just a noun that names one ('the login story')."""
    nouns = "|".join(re.escape(word) for word in item_words)
    return re.compile(rf"{_reference(item_words)}|(?i:\b(?:{nouns})s?\b)")


def _own_project(key: str) -> str | None:
    """The project prefix of a tracker key ('PROJ' of 'PROJ-12')."""
    match = re.fullmatch(r"([A-Z][A-Z0-9]{1,9})-\d+", key.strip())
    return match.group(1) if match else None


def _is_reference(match: re.Match[str], own: str | None) -> bool:
    """A bare key counts only with the item's own project prefix: 'after COVID-19' names no issue."""
    return match.group("bare") is None or match.group("bare") == own


def _heading_answer(
    text: str, pattern: re.Pattern[str] | None, none_words: set[str], item_words: tuple[str, ...]
) -> str | None:
    """The first dependency heading that names another item, on its line or the next.

    A heading that lists libraries or tools ("Dependencies: Java 17") is about the build, not the backlog.
    """
    if pattern is None:
        return None
    names_item = _item_mention(item_words)
    for match in pattern.finditer(text):
        answer = match.group(1).strip()
        if not answer:
            rest = text[match.end() :].lstrip("\n").splitlines()
            answer = rest[0].strip() if rest else ""
        word = answer.strip(" .:-*").lower()
        if (
            word
            and word not in none_words
            and not word.startswith(("none", "no ", "n/a"))
            and names_item.search(answer)
        ):
            return f"{match.group(0).strip()} {answer if not match.group(1).strip() else ''}".strip()[:120]
    return None


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the first place where the item says it waits for or leans on another item."""
    waits, back, heading = _patterns(
        tuple(rule.params["triggers"]),
        tuple(rule.params["item_words"]),
        tuple(rule.params["back_references"]),
        tuple(rule.params["headings"]),
    )
    own = _own_project(ctx.item.key)
    story_text = ctx.story.text if ctx.story else ctx.item.title
    found: tuple[str, str] | None = None
    for field, text in (("title", story_text), ("description", ctx.item.description)):
        hit = next((m for m in waits.finditer(text or "") if _is_reference(m, own)), None)
        if hit:
            found = (field, hit.group(0))
            break
    # NOTE: "same as above" in the story leans on the item before it; inside a description it may
    # point at the description's own text, so only the story is checked for it.
    if found is None and back is not None and (hit := back.search(story_text)):
        found = ("title", hit.group(0))
    if found is None:
        answer = _heading_answer(
            ctx.item.description or "", heading, set(rule.params["none_words"]), tuple(rule.params["item_words"])
        )
        if answer:
            found = ("description", answer)
    if found is None:
        return
    field, match = found
    yield rule.finding(
        match=" ".join(match.split()),
        excerpt=" ".join(match.split())[:200],
        suggestion="Make the story stand on its own: write out what it needs from the other item, split or "
        "reorder the work so it can be built first, or link the items and plan them together.",
        field=field,
    )
