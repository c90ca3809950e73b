"""The story is not a well-formed sentence: written in capitals, cut off, or a list of keywords."""

from __future__ import annotations

import re
from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "sentence_form"
SCOPE = "item"
REQUIRES = frozenset({"pos"})
PARAMS = {
    "min_caps_words": Param(int, "flag capitals only in stories with at least this many words in capitals", default=5),
    "caps_share": Param(float, "share of words in capitals that counts as shouting", default=0.8, maximum=1),
    "dangling_words": Param(list, "words a sentence cannot end with ('and', 'the', 'so that')"),
    "min_keywords": Param(int, "flag a means that lists this many items and has no verb", default=3),
}
_WORD = re.compile(r"[^\W\d_]{2,}")
_UPPER_WORD = re.compile(r"\b[A-Z]{2,}\b")
_CUT = re.compile(r"(?:[,;:\-–(/&+]|\.\.\.|…)\s*$")


def _shouting(text: str, minimum: int, share: float) -> bool:
    """Most words are in capitals (acronyms alone do not count)."""
    upper = _UPPER_WORD.findall(text)
    if len(upper) < minimum:
        return False
    words = _WORD.findall(text)
    upper = [word for word in words if word.isupper()]
    return len(upper) >= minimum and len(upper) >= share * len(words)


def _dangling(text: str, phrases: set[str]) -> str | None:
    """The sentence stops on a comma, an ellipsis or words that cannot end it ('and', 'so that')."""
    if _CUT.search(text.strip()):
        return text.strip()[-20:]
    # NOTE: a preposition may end an English sentence ("what it belongs to"); only words that always
    # need a continuation count.
    words = text.strip().rstrip(".!?\"' ").lower().split()
    for size in (3, 2, 1):
        if len(words) > size and " ".join(words[-size:]) in phrases:
            return " ".join(text.strip().rstrip(".!?\"' ").split()[-size - 3 :])
    return None


def _keywords(ctx: ItemContext, minimum: int) -> str | None:
    """A means that lists keywords ('login, search, cart, profile') without a verb."""
    means = ctx.story.means if ctx.story else None
    if not means or sum(means.count(mark) for mark in ",;/|") + 1 < minimum:
        return None
    span = ctx.part_span("means")
    if ctx.doc is None or span is None:
        return None
    tokens = [t for t in ctx.doc if span[0] <= t.idx < span[1]]
    if any(t.pos_ in {"VERB", "AUX"} for t in tokens):
        return None
    separators = sum(1 for t in tokens if t.text in {",", ";", "/", "|"})
    return means if separators + 1 >= minimum else None


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the story once, with the first problem found."""
    story = ctx.story
    if story is None:
        return
    params = rule.params
    text = story.text
    problem: tuple[str, str] | None = None
    if _shouting(text, params["min_caps_words"], params["caps_share"]):
        problem = ("written in capitals", "Write it in sentence case; capitals read as shouting and are hard to read.")
    elif cut := _dangling(text, {word.lower() for word in params["dangling_words"]}):
        problem = (f"cut off at '{cut.strip()}'", "Finish the sentence, or remove the words left hanging at the end.")
    elif listed := _keywords(ctx, params["min_keywords"]):
        problem = (
            f"a list of keywords: '{listed[:80]}'",
            "Say what the user wants to do with these, one story per action: 'I want to <verb> <object>'.",
        )
    if problem is None:
        return
    yield rule.finding(match=problem[0], excerpt=text[:200], suggestion=problem[1])
