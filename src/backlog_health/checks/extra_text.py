"""The story holds more than role, means and ends: notes in brackets, quotes, extra sentences and clauses, asides."""

from __future__ import annotations

import re
from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "extra_text"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
USES = frozenset({"parse"})
PARAMS = {
    "brackets": Param(bool, "flag text in (round) or [square] brackets", default=True),
    "sentences": Param(bool, "flag sentences after the story", default=True),
    "min_chars": Param(int, "ignore bracketed text shorter than this, such as item(s)", default=3),
    "asides": Param(
        list,
        "words that open an aside or an example inside the story",
        default=["e.g.", "eg.", "i.e.", "for example", "for instance", "note:", "nb:", "btw"],
    ),
    "second_benefit": Param(bool, "flag a benefit that states a second reason ('so that … so that …')", default=True),
    "quotes": Param(int, "flag quoted passages of at least this many words (0: never)", default=3),
    "clauses": Param(
        bool,
        "flag a second clause with its own subject ('…, and I expect it to fail') and asides (', which …')",
        default=True,
    ),
}
_WISHES = {"want", "wants", "need", "needs", "like", "wish", "would", "'d"}
_MODALS = {"should", "must", "will", "shall", "can", "could", "would", "may", "might", "'ll"}
_QUOTED = re.compile(r"[\"“„]([^\"“”„]+)[\"”“]")
_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}")
# A second reason inside the benefit: "so that I can X, so that Y", "so that X in order to Y".
_SECOND_REASON = re.compile(r"(?:^|[\s,;])(so\s+that|in\s+order\s+to|so\s+as\s+to)\b.*", re.IGNORECASE)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag bracketed notes and sentences beyond the story; suggest where they belong."""
    story = ctx.story
    if story is None:
        return
    pieces: list[str] = []
    if rule.params["brackets"]:
        for match in _BRACKETS.finditer(story.text):
            inner = (match.group(1) or match.group(2) or match.group(3) or "").strip()
            if len(inner) >= rule.params["min_chars"]:
                pieces.append(match.group(0))
    if rule.params["quotes"]:
        pieces.extend(
            match.group(0)
            for match in _QUOTED.finditer(story.text)
            if len(match.group(1).split()) >= rule.params["quotes"]
        )
    if rule.params["sentences"] and story.extra:
        pieces.append(story.extra)
    if rule.params["clauses"] and ctx.doc is not None and ctx.doc.has_annotation("DEP"):
        pieces.extend(_clauses(ctx))
    text = story.text.lower()
    for aside in rule.params["asides"]:
        at = re.search(rf"(?<!\w){re.escape(aside.lower())}(?!\w)", text)
        if at:
            pieces.append(_clip(story.text[at.start() :], 80))
            break
    if rule.params["second_benefit"] and story.ends:
        second = _SECOND_REASON.search(story.ends)
        if second:
            pieces.append(_clip(story.ends[second.start(1) :], 120))
    if pieces:
        excerpt = " … ".join(pieces)[:300]
        yield rule.finding(
            match=excerpt,
            suggestion=f"Keep the story to role, means and ends; move '{excerpt}' to the description or the "
            "acceptance criteria.",
        )


def _clip(text: str, limit: int) -> str:
    """The text up to `limit` characters, cut between words and marked as cut."""
    if len(text) <= limit:
        return text.rstrip(" ,.;")
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;") + " …"


def _clauses(ctx: ItemContext) -> Iterator[str]:
    """A second clause with its own subject next to the wish, and non-restrictive asides inside the means."""
    span = ctx.part_span("means")
    if span is None:
        return
    start, end = span
    doc = ctx.doc
    tokens = [t for t in doc if start <= t.idx < end]
    if not tokens:
        return
    inside = {t.i for t in tokens}
    for token in tokens:
        # NOTE: "I want to delete X and I expect it to fail": the second clause is not part of the wish; it is
        # a criterion or a note. A second wish ("… and I want …") is a second story, not extra text.
        subject = next((c for c in token.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        finite = token.tag_ in {"VBZ", "VBP", "VBD"} or any(c.lower_ in _MODALS for c in token.children)
        if subject is not None and finite and token.lower_ not in _WISHES:
            # NOTE: joined to the wish itself, or the root of a comma splice ("…, the import should keep photos").
            joined = (token.dep_ == "conj" and token.head.i not in inside) or token.dep_ == "ROOT"
            opener = subject.left_edge.i - 1
            if joined and opener in inside and opener > tokens[0].i and doc[opener].lower_ in {"and", "but", ",", ";"}:
                yield doc[opener + 1 : tokens[-1].i + 1].text.strip(" ,;")
                return
        aside = token.lower_ in {"which", "who", "whom", "whose"} and doc[token.i - 1].text in {",", ";"}
        if aside and token.i > 0 and "relcl" in {token.head.dep_, token.dep_}:
            yield doc[token.i - 1 : tokens[-1].i + 1].text.strip(" ,;")[:120]
            return
