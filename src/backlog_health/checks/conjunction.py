"""The story's means joins two actions with a conjunction: it holds more than one feature."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Token

KIND = "conjunction"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
EXTENDS = "action_verbs"
PARAMS = {
    "conjunctions": Param(
        list, "words that join two features", default=["and", "or", "&", "+", "/", "and/or"]
    ),
    "action_verbs": Param(
        dict, "verbs of user actions, recognised even where the tagger reads them as nouns", default={}
    ),
}
# Words between a conjunction and the second verb that do not change the reading.
_FILLERS = {"to", "also", "then", "be", "able", "can", "could", "i", "we", "should", "will", "would"}


def _is_verb(token: Token) -> bool:
    return token.pos_ == "VERB" or token.tag_ in {"VB", "VBP"}


def _second_action(conj: Token, end: int, verbs: dict[str, str]) -> Token | None:
    """The first word after the conjunction, skipping fillers, when it starts a second action.

    A word the tagger reads as a verb counts; a lexicon verb the tagger misreads ("add and delete
    items", where "delete" comes out as an adjective) counts only right after a bare first verb.
    """
    doc = conj.doc
    before = doc[conj.i - 1] if conj.i > 0 else None
    for token in doc[conj.i + 1 : end]:
        if token.lower_ in _FILLERS:
            continue
        if _is_verb(token):
            return token
        bare_first = before is not None and (_is_verb(before) or before.lower_ in verbs)
        return token if token.lower_ in verbs and bare_first else None
    return None


def _split(means: str, left: str, right: str) -> tuple[str, str]:
    """Two means, the shared object given to a bare first verb ("add and delete items")."""
    left, right = left.strip(" ,;"), right.strip(" ,;")
    right_words = right.split()
    if len(left.split()) == 1 and len(right_words) > 1:
        left = f"{left} {' '.join(right_words[1:])}"
    return left, right


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a means with two action verbs joined by a conjunction; suggest the two stories."""
    span = ctx.part_span("means")
    if ctx.doc is None or span is None or ctx.story is None or ctx.story.means is None:
        return
    start, end = span
    doc, verbs = ctx.doc, rule.params["action_verbs"]
    conjunctions = {word.lower() for word in rule.params["conjunctions"]}
    tokens = [t for t in doc if start <= t.idx < end]
    if not tokens:
        return
    end_i = tokens[-1].i + 1
    for token in tokens:
        if token.lower_ not in conjunctions:
            continue
        first = next(
            (t for t in reversed(doc[tokens[0].i : token.i]) if _is_verb(t) or t.lower_ in verbs), None
        )
        second = _second_action(token, end_i, verbs)
        if first is None or second is None:
            continue
        means = ctx.story.means
        cut = token.idx - start
        left, right = _split(means, means[:cut], means[cut + len(token.text) :])
        excerpt = doc[first.i : min(second.i + 3, end_i)].text
        story = ctx.story.text
        suggestion = f"Split it into two stories: '{story.replace(means, left, 1)}' and '{story.replace(means, right, 1)}'"
        yield rule.finding(match=excerpt, suggestion=suggestion)
        return
