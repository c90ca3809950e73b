"""The story's requirement is in the passive voice and never says who acts: "the order is cancelled" (by whom?)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.checks.lexicon import lowered, parsed_view
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Token

KIND = "passive_voice"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
PARAMS = {
    "obvious": Param(
        list,
        "participles whose actor is never in doubt or that describe a state ('based', 'shown', 'required')",
        default=[
            "based",
            "called",
            "named",
            "located",
            "known",
            "required",
            "needed",
            "allowed",
            "permitted",
            "supported",
            "related",
            "interested",
            "involved",
            "composed",
            "associated",
            "linked",
            "attached",
            "displayed",
            "shown",
            "listed",
            "highlighted",
            "sorted",
            "grouped",
            "ordered",
            "stored",
            "saved",
            "kept",
            "logged",
            "used",
            "given",
            "provided",
            "included",
            "contained",
            "expected",
            "designed",
            "considered",
            "made",
            "done",
            "affected",
            "concerned",
            "signed",
            "authenticated",
            "authorized",
            "authorised",
            "enabled",
            "disabled",
            "set",
            "filled",
            "written",
            "formatted",
            "labelled",
            "labeled",
            "marked",
            "tagged",
            "limited",
            "restricted",
            "encrypted",
            "hashed",
            "notified",
            "informed",
            "alerted",
            "reminded",
            "assured",
            "prompted",
            "redirected",
            "taken",
            "presented",
            "emailed",
            "asked",
            "relied",
        ],
    ),
    "receivers": Param(
        list,
        "subjects that receive the action from the system ('I want to be notified')",
        default=["i", "me", "we", "us", "you"],
    ),
}
_PERSONS = frozenset({"nsubjpass", "nsubj"})


def _subject(verb: Token) -> Token | None:
    """The passive subject, or the subject the verb inherits from 'want' ("I want to be notified")."""
    for child in verb.children:
        if child.dep_ in _PERSONS:
            return child
    if verb.dep_ in {"xcomp", "ccomp"}:
        for child in verb.head.children:
            if child.dep_ in {"nsubj", "dobj"}:
                return child
    return None


def _passives(tokens: list[Token]) -> list[Token]:
    """Passives that state what must happen: "orders to be cancelled", "should be approved", in order.

    Passives that report a past or present event in a relative clause ("images that were scanned") describe
    the data, not the feature, so they are left alone.
    """
    verbs = {
        token.head.i: token.head
        for token in tokens
        if token.dep_ == "auxpass" and token.lower_ in {"be", "get"} and token.head.tag_ == "VBN"
    }
    return [verbs[i] for i in sorted(verbs) if not _describes(verbs[i])]


def _describes(verb: Token) -> bool:
    """True for a verb in a relative clause or an embedded question, or joined to one ("… shown and can be filtered")."""
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    # "I want to know which data will be collected": an embedded question asks about the data.
    if verb.dep_ in {"ccomp", "pcomp", "csubj"} and any(
        t.tag_ in {"WDT", "WP", "WRB"} for t in verb.subtree if t.i < verb.i
    ):
        return True
    # NOTE: "the list of items to be estimated" names a kind of item, as a relative clause would.
    if verb.dep_ in {"acl", "relcl"} and verb.head.dep_ == "pobj":
        return True
    # NOTE: "orders to be cancelled" is often parsed as a relative clause, but an infinitive states a wish.
    return verb.dep_ in {"relcl", "acl"} and not any(child.lower_ == "to" for child in verb.children)


def _stem(participle: str) -> str:
    """The participle without its ending, to find the verb elsewhere: estimated → estimat, shown → show."""
    for ending in ("ied", "ed", "en", "n", "d"):
        if participle.endswith(ending) and len(participle) - len(ending) >= 3:
            return participle[: -len(ending)]
    return participle


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag passive participles with no 'by …' agent when the actor could be the user, another role or the system."""
    # NOTE: a title that is not a story ("Export is broken") reports a state; only a story's means asks for one.
    if ctx.story is None:
        return
    view = parsed_view(ctx)
    if view is None:
        return
    tokens = view.means
    obvious = lowered(tuple(rule.params["obvious"]))
    receivers = lowered(tuple(rule.params["receivers"]))
    criteria = " ".join(ctx.acceptance_criteria).lower()
    ends = (ctx.story.ends or "").lower()
    hidden = []
    for verb in _passives(tokens):
        # NOTE: "indexed automatically" names the system as the actor.
        if verb.lower_ in obvious or any(
            child.dep_ == "agent" or child.lower_ == "automatically" for child in verb.children
        ):
            continue
        subject = _subject(verb)
        if subject is not None and subject.lower_ in receivers:
            continue
        # NOTE: a criterion may name the actor ("cancelled by the customer"); then the story is clear enough.
        if re.search(rf"\b{re.escape(verb.lower_)}\s+by\b", criteria):
            continue
        # NOTE: the benefit may name who does it ("… to be estimated, so that the team can estimate it").
        if ends and _stem(verb.lower_) in ends:
            continue
        hidden.append(verb)
    if not hidden:
        return
    words = list(dict.fromkeys(verb.text for verb in hidden))
    yield rule.finding(
        match=", ".join(f"'{word}'" for word in words),
        excerpt=view.text[:300],
        suggestion="Ask: "
        + " ".join(f"{word} by whom: the user, another role, or the system?" for word in words)
        + " Say it in the active voice or add 'by …'.",
    )
