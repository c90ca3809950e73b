"""An item that states more than one user story: two wishes, to be ordered, estimated and accepted apart."""

from __future__ import annotations

import re
from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding, StoryParts
from backlog_health.nlp.story import find_stories
from backlog_health.rules import Rule

KIND = "several_stories"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "same_above": Param(
        float,
        "two wishes of which the shorter shares more of its words than this with the other are one",
        default=0.7,
        maximum=1,
    ),
}

_WORD = re.compile(r"[a-z0-9]+")
_STEPS = re.compile(r":\s*[-*•]\s")
_FILLER = frozenset({"a", "an", "the", "to", "be", "able", "my", "our", "i", "we", "of", "and", "for", "in", "on"})


def _words(story: StoryParts) -> frozenset[str]:
    if _STEPS.search(story.text):  # NOTE: "As a user I should be able to: - download …" lists test steps
        return frozenset()
    return frozenset(_WORD.findall((story.means or "").lower())) - _FILLER


def _same(a: frozenset[str], b: frozenset[str], above: float) -> bool:
    """One wish restated: most words of the shorter one are in the other."""
    return len(a & b) / min(len(a), len(b)) > above


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item when its title and description state user stories with different wishes."""
    distinct: list[StoryParts] = []
    for story in find_stories(ctx.item.title, ctx.item.description):
        words = _words(story)
        if not words:
            continue
        # NOTE: a description that restates the title's story (or words it a little differently) is one story.
        if not any(_same(words, _words(seen), rule.params["same_above"]) for seen in distinct):
            distinct.append(story)
    if len(distinct) > 1:
        second = distinct[1]
        yield rule.finding(
            match=str(len(distinct)),
            excerpt=second.text[:200],
            field="description",
            suggestion="Move each story to an item of its own: " + "; ".join(s.text[:80] for s in distinct[:3]),
        )
