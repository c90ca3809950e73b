"""The story's template has a slip: a doubled word ("so that so that") or a finished result instead of a need."""

from __future__ import annotations

import re
from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "template_glitch"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
USES = frozenset({"pos", "parse"})
PARAMS = {
    "repeats_allowed": Param(
        list,
        "words that may repeat in good English ('that that', 'had had')",
        default=["that", "had", "is", "do", "very", "bye", "no", "yes"],
    ),
    "perfect_wish": Param(bool, "flag a wish for finished work ('I want to have created …')", default=True),
    "adjectives": Param(
        list,
        "participles that usually describe a thing ('to have updated codes', 'to have limited access')",
        default=[
            "updated",
            "increased",
            "improved",
            "reduced",
            "limited",
            "extended",
            "enhanced",
            "advanced",
            "detailed",
            "automated",
            "customized",
            "customised",
            "integrated",
            "simplified",
            "dedicated",
            "restricted",
            "related",
            "shared",
            "saved",
            "selected",
            "filtered",
            "preferred",
            "personalized",
            "personalised",
            "unlimited",
            "guaranteed",
            "combined",
            "centralized",
            "centralised",
            "structured",
            "localized",
            "localised",
            "encrypted",
            "signed",
            "printed",
            "scheduled",
            "recorded",
            "archived",
        ],
    ),
}
_REPEAT = re.compile(
    r"(?<![\w-])((?:so that|i want(?: to)?|as an?|the|to|a|an|and|of|for|i)|\w+)\s+\1(?![\w-])", re.IGNORECASE
)
_PERFECT = re.compile(r"\b(?:want|need|would like|wish)\s+to\s+have\s+(\w+)", re.IGNORECASE)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the first doubled word and a wish for finished work."""
    story = ctx.story
    if story is None:
        return
    allowed = {word.lower() for word in rule.params["repeats_allowed"]}
    for match in _REPEAT.finditer(story.text):
        word = match.group(1)
        if word.lower() in allowed or word.isdigit():
            continue
        yield rule.finding(match=match.group(0), suggestion=f"Write '{word}' once.")
        return
    if not rule.params["perfect_wish"]:
        return
    perfect = _PERFECT.search(story.text)
    adjectives = {word.lower() for word in rule.params["adjectives"]}
    if (
        perfect
        and perfect.group(1).lower() not in adjectives
        and _is_participle(ctx, perfect.start(1), perfect.group(1))
    ):
        yield rule.finding(
            match=perfect.group(0),
            suggestion="State the need, not the finished work: 'I want to …' what the user will be able to do.",
        )


def _is_participle(ctx: ItemContext, start: int, word: str) -> bool:
    """Whether the word after "to have" is a past participle ("created"), by the tagger when it ran."""
    doc = ctx.doc
    if doc is not None and doc.has_annotation("TAG") and doc.text == ctx.story.text:
        span = doc.char_span(start, start + len(word))
        if span is not None:
            token = span[0]
            # NOTE: "to have updated error codes", "read-only access": the participle describes a thing wanted.
            hyphen = token.i + 1 < len(doc) and doc[token.i + 1].text == "-"
            return token.tag_ == "VBN" and token.dep_ != "amod" and not hyphen
    return word.lower().endswith(("ed", "en")) or word.lower() in {"written", "built", "done", "made", "set"}
