"""The story's parts hold the wrong thing: a purpose as the means, a feature as the ends, or no action at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

KIND = "means_ends"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
PARAMS = {
    "look_for": Param(
        str,
        "what to flag: a purpose in the means, a feature in the ends, or a means without an action",
        choices=("purpose_in_means", "feature_in_ends", "bare_means"),
    ),
    "verbs": Param(list, "verbs that name a purpose (for the means) or a user action (for the ends)", default=[]),
    "objects": Param(list, "objects that make a verb a purpose ('save time', 'save money')", default=[]),
    "object_verbs": Param(list, "verbs that name a purpose only with one of `objects` ('save')", default=[]),
    "max_words": Param(int, "longest means without a verb that counts as bare ('reports')", default=2),
}
# Prepositions that add the feature to a purpose: "reduce no-shows by sending reminders".
_HOW = {"by", "with", "using", "through", "via", "from", "in"}
_VERB_TAGS = {"VB", "VBP", "VBZ", "VBD", "VBG", "VBN"}


def _span(ctx: ItemContext, part: str) -> Span | None:
    span = ctx.part_span(part)
    if ctx.doc is None or span is None:
        return None
    return ctx.doc.char_span(span[0], span[1], alignment_mode="expand")


def _main_verb(span: Span) -> Token | None:
    """The first verb of the part, skipping 'can', 'to', 'be able to'."""
    return next((t for t in span if t.pos_ in {"VERB", "AUX"} and t.tag_ in _VERB_TAGS and t.dep_ != "aux"), None)


def _says_how(verb: Token) -> bool:
    """The verb comes with the means to reach it: a 'by/with/using …' phrase or a second clause."""
    return any(child.dep_ in {"advcl", "xcomp", "conj"} for child in verb.children) or any(
        token.dep_ == "prep" and token.lower_ in _HOW for token in verb.subtree
    )


def _purpose(span: Span, rule: Rule) -> str | None:
    """'save time', 'be more productive', 'improve my results' as the whole means."""
    verb = _main_verb(span)
    if verb is None or _says_how(verb):
        return None
    word = verb.lower_
    if word in {"be", "become", "feel", "stay"}:
        # NOTE: only the user's own state counts ("be more productive"), not a property of the product
        # ("the data to be up to date"), and "be able to" is a way of asking, not a purpose.
        if verb.i != span.start:
            return None
        states = [c for c in verb.children if c.dep_ in {"acomp", "attr"} and c.pos_ == "ADJ" and c.lower_ != "able"]
        return span.doc[verb.i : states[0].i + 1].text if states else None
    objects = [c for c in verb.children if c.dep_ in {"dobj", "obj"}]
    if word in {v.lower() for v in rule.params["verbs"]}:
        return span.doc[verb.i : (objects[0].i + 1 if objects else verb.i + 1)].text
    if word in {v.lower() for v in rule.params["object_verbs"]}:
        wanted = {o.lower() for o in rule.params["objects"]}
        hit = next((o for o in objects if o.lower_ in wanted), None)
        return span.doc[verb.i : hit.i + 1].text if hit else None
    return None


def _feature(span: Span, rule: Rule) -> str | None:
    """'so that I can click the button': the benefit is one more user action on the product."""
    verbs = {v.lower() for v in rule.params["verbs"]}
    verb = _main_verb(span)
    if verb is None or verb.lower_ not in verbs:
        return None
    end = max((t.i for t in verb.subtree if t.i < span.end), default=verb.i)
    return span.doc[verb.i : min(end + 1, verb.i + 6)].text


def _bare(span: Span, limit: int) -> str | None:
    """'I want reports': no action, and too few words to say what the user does with them."""
    words = [t for t in span if not t.is_punct]
    after = span.doc[span.end] if span.end < len(span.doc) else None
    # NOTE: a noun followed by more of the sentence ("DataMapper to refetch …") is not bare.
    if after is not None and not after.is_punct and after.lower_ not in {"so", "in"}:
        return None
    if not words or len(words) > limit or any(t.pos_ in {"VERB", "AUX"} for t in words):
        return None
    if any(t.pos_ in {"DET", "NUM", "ADJ", "ADP"} for t in words) or words[-1].pos_ not in {"NOUN", "PROPN"}:
        return None
    return span.text


_ADVICE = {
    "purpose_in_means": "Move '{hit}' to the 'so that' part and say which feature gets the user there: "
    "'I want <feature>, so that {hit}'.",
    "feature_in_ends": "'{hit}' is another feature, not the reason; ask why the user wants it and write "
    "that after 'so that'.",
    "bare_means": "Say what the user wants to do with '{hit}': 'I want to <see / export / receive …> {hit}'.",
}


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the story once when the part holds the wrong thing."""
    if ctx.story is None:
        return
    mode = rule.params["look_for"]
    span = _span(ctx, "ends" if mode == "feature_in_ends" else "means")
    if span is None:
        return
    if mode == "purpose_in_means":
        hit = _purpose(span, rule)
    elif mode == "feature_in_ends":
        hit = _feature(span, rule)
    else:
        hit = _bare(span, rule.params["max_words"])
    if hit:
        yield rule.finding(match=hit, excerpt=ctx.story.text[:200], suggestion=_ADVICE[mode].format(hit=hit))
