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
    "one_action": Param(
        list,
        "verb pairs that name one action",
        default=["drag and drop", "copy and paste", "cut and paste", "find and replace", "search and replace",
                 "mix and match", "pick and choose", "sign up and sign in", "log in and log out"],
    ),
    "action_verbs": Param(
        dict, "verbs of user actions, recognised even where the tagger reads them as nouns", default={}
    ),
}
# Words between a conjunction and the second verb that do not change the reading.
_PHRASE_POS = {"DET", "ADJ", "NOUN", "PROPN", "NUM", "PRON", "PART", "ADV"}
_FILLERS = {"to", "also", "then", "be", "able", "can", "could", "i", "we", "should", "will", "would"}


def _is_verb(token: Token) -> bool:
    return token.pos_ == "VERB" or token.tag_ in {"VB", "VBP"}


def _is_action(token: Token, verbs: dict[str, str]) -> bool:
    return _is_verb(token) or token.lower_ in verbs


def _second_action(conj: Token, end: int, verbs: dict[str, str], parallel: bool) -> Token | None:
    """The first word after the conjunction, skipping fillers, when it starts a second action.

    A word the tagger reads as a verb counts. A lexicon verb the tagger misreads ("add and delete
    items", where "delete" comes out as an adjective) counts right after a bare first verb, or when
    the means itself starts with a verb ("view orders and print receipts").
    """
    doc = conj.doc
    before = doc[conj.i - 1] if conj.i > 0 else None
    for token in doc[conj.i + 1 : end]:
        if token.lower_ in _FILLERS:
            continue
        if _is_verb(token):
            return token
        bare_first = before is not None and _is_action(before, verbs)
        return token if token.lower_ in verbs and (bare_first or parallel) else None
    return None


def _object_end(token: Token, end: int) -> int:
    """Index after the noun phrase that follows a verb ("delete [the old items]")."""
    doc, i = token.doc, token.i + 1
    while i < end and (doc[i].pos_ in _PHRASE_POS or doc[i].lower_ in {"for", "of", "to", "from", "on", "in"}):
        i += 1
    while i > token.i + 1 and doc[i - 1].pos_ in {"ADP", "DET", "PART", "ADV"}:
        i -= 1
    return min(i, token.i + 8)


def _split(left: str, right: str) -> tuple[str, str]:
    """Two means, the shared object given to a bare first verb ("add and delete items")."""
    left, right = left.strip(" ,;"), right.strip(" ,;")
    right_words = right.split()
    if right_words and right_words[0].lower() in _FILLERS:
        right_words = right_words[1:]
    if len(left.split()) == 1 and len(right_words) > 1:
        left = f"{left} {' '.join(right_words[1:])}"
    return left, " ".join(right_words)


def _one_action(doc, first: Token, conj: Token, second: Token, phrases: set[str]) -> bool:
    """True for fixed pairs that name one action ("drag and drop", "copy and paste")."""
    return doc[first.i : second.i + 1].text.lower() in phrases or f"{first.lower_} {conj.lower_} {second.lower_}" in phrases


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a means with two action verbs joined by a conjunction; suggest the two stories."""
    span = ctx.part_span("means")
    if ctx.doc is None or span is None or ctx.story is None or ctx.story.means is None:
        return
    start, end = span
    doc, verbs = ctx.doc, rule.params["action_verbs"]
    conjunctions = {word.lower() for word in rule.params["conjunctions"]}
    phrases = {phrase.lower() for phrase in rule.params["one_action"]}
    tokens = [t for t in doc if start <= t.idx < end]
    if not tokens:
        return
    end_i = tokens[-1].i + 1
    # NOTE: after "I want to" the means starts with a verb whatever the tagger says of it.
    parallel = ctx.story.template.split("…")[-2 if ctx.story.ends else -1].strip().endswith(" to") or _is_action(
        tokens[0], verbs
    )
    for token in tokens[1:]:
        if token.lower_ not in conjunctions:
            continue
        earlier = doc[tokens[0].i : token.i]
        first = next((t for t in reversed(earlier) if _is_action(t, verbs)), tokens[0] if parallel else None)
        second = _second_action(token, end_i, verbs, parallel)
        if first is None or second is None or _one_action(doc, first, token, second, phrases):
            continue
        # NOTE: "estimated or re-estimated" names one action twice, prefixed.
        if second.i + 1 < len(doc) and doc[second.i + 1].text == "-":
            continue
        means = ctx.story.means
        cut = token.idx - start
        left, right = _split(means[:cut], means[cut + len(token.text) :])
        excerpt = doc[first.i : _object_end(second, end_i)].text
        story = ctx.story.text
        yield rule.finding(
            match=excerpt,
            suggestion=f"Split it into two stories: '{story.replace(means, left, 1)}' and "
            f"'{story.replace(means, right, 1)}'",
        )
        return
