"""The story or its acceptance criteria use a term from a lexicon (vague, subjective or open-ended words)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "lexicon"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
EXTENDS = "terms"
PARAMS = {
    "terms": Param(dict, "lexicon: a file under rules/ or a mapping of term to the question to ask"),
    "fields": Param(list, "where to look: story, acceptance_criteria", default=["story", "acceptance_criteria"]),
    "skip_role": Param(bool, "ignore terms inside the role ('As a power user')", default=True),
}


@lru_cache(maxsize=32)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of all terms, longest first, matched on word boundaries."""
    escaped = sorted((re.escape(term).replace(r"\ ", r"\s+") for term in terms), key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(escaped)})(?![\w-])", re.IGNORECASE)


def _is_proper_noun(ctx: ItemContext, start: int, end: int) -> bool:
    """True when the match is part of a name (needs part-of-speech tags; False without them)."""
    doc = ctx.doc
    if doc is None or not doc.has_annotation("TAG"):
        return False
    span = doc.char_span(start, end, alignment_mode="expand")
    return span is not None and all(token.pos_ == "PROPN" for token in span)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag each distinct lexicon term once per field, with the question a PO should ask."""
    terms: dict[str, str] = rule.params["terms"]
    if not terms:
        return
    pattern = _pattern(tuple(terms))
    fields = rule.params["fields"]
    seen: set[tuple[str, str]] = set()
    if "story" in fields:
        role = ctx.part_span("role") if rule.params["skip_role"] else None
        for match in pattern.finditer(ctx.text):
            if role and role[0] <= match.start() < role[1]:
                continue
            if _is_proper_noun(ctx, match.start(), match.end()):
                continue
            yield from _finding(rule, terms, match.group(0), "title", seen)
    if "acceptance_criteria" in fields:
        for criterion in ctx.acceptance_criteria:
            for match in pattern.finditer(criterion):
                yield from _finding(rule, terms, match.group(0), "acceptance_criteria", seen)


def _finding(rule: Rule, terms: dict[str, str], found: str, field: str, seen: set[tuple[str, str]]):
    term = " ".join(found.lower().split())
    if (term, field) in seen:
        return
    seen.add((term, field))
    question = terms.get(term) or f"What exactly does '{found}' mean here, and how would you test it?"
    yield rule.finding(match=found, suggestion=f"Ask: {question}", field=field)
