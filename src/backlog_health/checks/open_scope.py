"""The story's means has an open or epic-sized scope: 'manage X', 'handle all …', 'everything', a very long means."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

KIND = "open_scope"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
PARAMS = {
    "bundle_verbs": Param(list, "verbs that bundle several features over their object ('manage users')", default=[]),
    "open_phrases": Param(list, "phrases that leave the scope open ('everything', 'any kind of')", default=[]),
    "max_words": Param(int, "flag a means longer than this many words (0: off)", default=0),
}
_OBJECT_DEPS = {"dobj", "obj", "dative"}
# Where the goal ends when the story runs on into notes or a list: a line break, a bullet, a new sentence.
_GOAL_END = re.compile(r"\n|\s[-*•]\s|[.!?](?:\s|$)")


@lru_cache(maxsize=32)
def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of the phrases, longest first, on word boundaries."""
    if not phrases:
        return None
    escaped = sorted((re.escape(p).replace(r"\ ", r"\s+") for p in phrases), key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(escaped)})(?![\w-])", re.IGNORECASE)


def _means(ctx: ItemContext) -> Span | None:
    span = ctx.part_span("means")
    if ctx.doc is None or span is None:
        return None
    return ctx.doc.char_span(span[0], span[1], alignment_mode="expand")


def _bundle(means: Span, verbs: set[str]) -> str | None:
    """'manage my subscriptions': a bundling verb with its object."""
    for token in means:
        if token.lower_ not in verbs or not (token.pos_ == "VERB" or token.tag_ in {"VB", "VBP"}):
            continue
        objects = [child for child in token.children if child.dep_ in _OBJECT_DEPS]
        if objects:
            return means.doc[token.i : _phrase_end(objects[0], means)].text
    return None


def _phrase_end(noun: Token, means: Span) -> int:
    """Index after a noun and what it holds ('user accounts and roles'), within the means."""
    last = max((t.i for t in noun.subtree), default=noun.i)
    return min(last + 1, means.end, noun.i + 6)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the means once, naming the wording that makes the scope open."""
    if ctx.story is None or not ctx.story.means:
        return
    # NOTE: a story written in a description may run on into a list of notes; only its goal counts.
    means_text = _GOAL_END.split(ctx.story.means, maxsplit=1)[0]
    hit: str | None = None
    pattern = _phrases(tuple(rule.params["open_phrases"]))
    if pattern is not None and (match := pattern.search(means_text)):
        hit = match.group(0)
    verbs = {verb.lower() for verb in rule.params["bundle_verbs"]}
    if hit is None and verbs and (means := _means(ctx)) is not None:
        hit = _bundle(means, verbs)
    limit = rule.params["max_words"]
    if hit is None and limit and len(means_text.split()) > limit:
        hit = f"{len(means_text.split())} words"
    if hit is None:
        return
    yield rule.finding(
        match=hit,
        excerpt=means_text[:200],
        suggestion="List the concrete things the user does (for 'manage': add, change, remove, …), write one "
        "story for each, and estimate those; keep the broad one as an epic if it helps.",
    )
