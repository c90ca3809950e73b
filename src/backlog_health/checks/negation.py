"""The story's requirement is a negative statement: it says what must not happen instead of what should."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.checks.lexicon import lowered, parsed_view
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Token

KIND = "negation"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
PARAMS = {
    "idioms": Param(
        list,
        "negations that do not negate the requirement ('not only', 'whether or not')",
        default=[
            "not only",
            "or not",
            "if not",
            "not just",
            "not necessarily",
            "no longer",
            "no longer than",
            "no more than",
            "no later than",
            "not later than",
            "not more than",
            "not exceed",
            "no matter",
        ],
    ),
}
# Clauses that describe data or conditions ("invoices that are not paid", "if the file is not found"): testable filters.
_SUBORDINATE = frozenset({"relcl", "acl", "advcl", "pcomp", "csubj"})


def _governor(token: Token) -> Token:
    """The verb a negation belongs to: its head, or for 'no' the verb of the noun it determines."""
    head = token.head
    if token.lower_ == "no" and head.pos_ in {"NOUN", "PROPN"}:
        head = head.head
    return head


def _in_main_clause(verb: Token, means: set[int]) -> bool:
    """True when the verb and every verb above it inside the means is a main clause, not a condition or a filter."""
    current = verb
    while current.i in means:
        if current.dep_ in _SUBORDINATE:
            return False
        if current.head.i == current.i:
            break
        current = current.head
    return True


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a negated means ("I want the app not to log me out", "no ads"); ask for the positive requirement."""
    # NOTE: a title that is not a story ("Export does not work") reports a defect; only a story's means asks.
    if ctx.story is None:
        return
    view = parsed_view(ctx)
    if view is None:
        return
    tokens = view.means
    means = {token.i for token in tokens if token.i not in view.purpose}
    text = " ".join(view.text.lower().split())
    idioms = lowered(tuple(rule.params["idioms"]))
    found = []
    for token in tokens:
        if token.i not in means:
            continue
        # NOTE: "never" is an absolute as much as a negation; the totality rule names it.
        negation = (token.dep_ == "neg" and token.lower_ != "never") or (
            token.lower_ == "no" and token.dep_ == "det" and token.head.dep_ != "pobj"  # "images with no text"
        )
        governor = _governor(token)
        # NOTE: "server time and not local time" contrasts two things; only a negated verb is a negative requirement.
        if not negation or governor.pos_ not in {"VERB", "AUX"} or not _in_main_clause(governor, means):
            continue
        phrase = token.doc[max(token.i - 2, 0) : token.i + 3].text.lower()
        if any(idiom in phrase for idiom in idioms if idiom in text):
            continue
        found.append(token.doc[token.i : min(token.i + 3, tokens[-1].i + 1)].text)
    if found:
        yield rule.finding(
            match=", ".join(f"'{phrase}'" for phrase in dict.fromkeys(found)),
            excerpt=view.text[:300],
            suggestion="Ask: what should happen instead? State it positively ('the session stays open for 8 hours' "
            "rather than 'I am not logged out'), and keep the negative as an acceptance criterion if it matters.",
        )
