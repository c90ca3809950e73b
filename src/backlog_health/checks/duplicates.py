"""Two or more items have the same text: exact duplicates, ignoring case, spacing, punctuation and keys."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.nlp.story import clean_story_text
from backlog_health.rules import Rule

KIND = "exact_duplicate"
SCOPE = "backlog"
REQUIRES = frozenset()
PARAMS = {
    "min_words": Param(int, "ignore texts shorter than this (too short to be a duplicate)", default=3),
}
_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """The text reduced to lowercase words for comparison."""
    return _NOT_WORD.sub(" ", clean_story_text(text).lower()).strip()


def prepare(ctx: ItemContext, rule: Rule) -> str:
    """The item's text as compared: its normalized story text, or its title."""
    # NOTE: a story's text has its leading issue key removed already; a plain title keeps a leading
    # reference ("LSE-69: Bring … to approval"), which is what tells such titles apart.
    return normalize(ctx.story.text) if ctx.story else _NOT_WORD.sub(" ", ctx.item.title.lower()).strip()


def check(
    contexts: list[ItemContext], rule: Rule, prepared: Sequence[str] | None = None
) -> Iterator[tuple[int, Finding]]:
    """Group items by normalized story text (or title) and flag every member of a group of two or more."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, ctx in enumerate(contexts):
        text = prepared[index] if prepared is not None else prepare(ctx, rule)
        if len(text.split()) >= rule.params["min_words"]:
            groups[text].append(index)
    for members in groups.values():
        if len(members) < 2:
            continue
        for index in members:
            others = [contexts[other].item.key for other in members if other != index]
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            yield (
                index,
                rule.finding(
                    match=shown,
                    excerpt=contexts[index].item.title[:200],
                    suggestion=f"Keep one of {contexts[index].item.key}, {shown}; close the others as duplicates "
                    "or make each say what is different.",
                ),
            )
