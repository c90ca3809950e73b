"""The acceptance criteria only repeat the story ("I want to export orders as CSV" → "User can export orders as CSV")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "criteria_repeat_story"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "min_words": Param(int, "ignore criteria with fewer content words than this", default=2),
    "new_words_per": Param(
        int,
        "a criterion repeats the story when it adds at most one new content word per this many",
        default=4,
        minimum=1,
    ),
}

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# NOTE: function words, modals and the words every story and criterion use ("user", "able", "want") carry no
# requirement: two texts that differ only in them say the same thing.
_STOP = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "there", "it", "its", "i", "me", "my", "mine", "we", "us"}
    | {"our", "you", "your", "he", "him", "his", "she", "her", "they", "them", "their", "to", "of", "in", "on"}
    | {"at", "by", "for", "from", "with", "as", "into", "onto", "about", "and", "or", "so", "if", "then", "than"}
    | {"be", "is", "are", "was", "were", "been", "being", "am", "do", "does", "did", "have", "has", "had", "can"}
    | {"could", "should", "must", "will", "would", "shall", "may", "might", "want", "wants", "wanted", "like"}
    | {"need", "needs", "able", "possible", "ability", "allow", "allows", "allowed", "let", "lets", "user"}
    | {"users", "also", "just", "only", "all", "any", "some", "each", "via", "using", "use"}
)
# A value the criterion pins down (a number, a quoted name) is new information even when its words are not.
_VALUE = re.compile(r"\d+(?:[.,]\d+)?|\"[^\"]+\"|“[^”]+”|'[^'\s][^']*'")
# Where a story run on into its description ends: the criteria heading.
_AC_HEADING = re.compile(r"\bacceptance\s+criteri|\bAC\s*:|\bdefinition\s+of\s+done\b", re.IGNORECASE)
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    """A crude stem, enough to match "exports", "exported" and "export"."""
    word = word.split("'")[0]
    if len(word) > 4:
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix):
                word = word[: -len(suffix)] + replacement
                break
    return word[:-1] if len(word) >= 4 and word.endswith("e") else word


def content_words(text: str, ignore: frozenset[str] = frozenset()) -> frozenset[str]:
    """The stems of the words of a text that carry meaning."""
    stems = (_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOP)
    return frozenset(stem for stem in stems if stem and stem not in ignore)


def repeats(criterion: str, story: frozenset[str], ignore: frozenset[str], rule: Rule) -> bool:
    """Whether the criterion says (nearly) only what the story says."""
    words = content_words(criterion, ignore)
    if len(words) < rule.params["min_words"]:
        return False
    return len(words - story) <= len(words) // rule.params["new_words_per"]


def _means(means: str) -> str:
    """The story's means without the criteria it ran on into (a story written without a line break)."""
    heading = _AC_HEADING.search(means)
    return means[: heading.start()] if heading else means


def _new_values(criterion: str, story: str) -> bool:
    """Whether the criterion names a number or a quoted value the story does not."""
    return any(value.strip("\"'“”") not in story for value in _VALUE.findall(criterion))


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a story whose every criterion only repeats what the story wants."""
    # NOTE: one restating criterion among others that add detail is a harmless summary line; the defect is
    # criteria that add nothing, so the item is flagged only when all of them repeat the story.
    if ctx.story is None or not ctx.story.means or not ctx.acceptance_criteria:
        return
    ignore = content_words(ctx.story.role or "")
    means = _means(ctx.story.means)
    story = content_words(means, ignore)
    if not story or not all(
        repeats(text, story, ignore, rule) and not _new_values(text, means) for text in ctx.acceptance_criteria
    ):
        return
    excerpt = " · ".join(ctx.acceptance_criteria)[:300]
    yield rule.finding(
        match=excerpt[:80],
        excerpt=excerpt,
        suggestion=(
            f"The story already says '{means.strip()}'. Add what the team will check: which data, which "
            "limits, what the user sees when it works and when it fails."
        ),
        field="acceptance_criteria",
    )
