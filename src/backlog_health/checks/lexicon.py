"""The story or its acceptance criteria use a term from a lexicon (vague, subjective or open-ended words)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Doc

KIND = "lexicon"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
EXTENDS = "terms"
PARAMS = {
    "terms": Param(dict, "lexicon: a file under rules/ or a mapping of term to the question to ask"),
    "fields": Param(
        list, "where to look: story, acceptance_criteria", default=["story", "acceptance_criteria"]
    ),
    "skip_role": Param(bool, "ignore terms inside the role ('As a power user')", default=True),
    "skip_ends": Param(bool, "ignore terms inside the benefit ('so that I find relevant offers')", default=True),
}


@lru_cache(maxsize=32)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of all terms, longest first, matched on word boundaries."""
    escaped = sorted((re.escape(term).replace(r"\ ", r"\s+") for term in terms), key=len, reverse=True)
    # NOTE: "how many" and "how fast" ask a question; they are not vague claims.
    return re.compile(rf"(?<![\w-])(?<!how )(?:{'|'.join(escaped)})(?![\w-])", re.IGNORECASE)


def _is_name(text: str, start: int, end: int, doc: Doc | None = None) -> bool:
    """True when the match is part of a name: capitalised mid-sentence, or tagged as a proper noun."""
    before = text[:start].rstrip()
    if text[start].isupper() and before and before[-1] not in ".!?:;\"'(-•*" and not text[:end].isupper():
        return True
    if doc is not None and doc.has_annotation("TAG"):
        span = doc.char_span(start, end, alignment_mode="expand")
        return span is not None and all(token.pos_ == "PROPN" for token in span)
    return False


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the story and the acceptance criteria once each, naming every term found and its question."""
    terms: dict[str, str] = rule.params["terms"]
    if not terms:
        return
    pattern = _pattern(tuple(terms))
    fields = rule.params["fields"]
    if "story" in fields:
        # NOTE: the role names a person and the benefit a motive; neither is a requirement to test.
        skipped = [
            span
            for part, wanted in (("role", rule.params["skip_role"]), ("ends", rule.params["skip_ends"]))
            if wanted and (span := ctx.part_span(part))
        ]
        found = [
            match
            for match in pattern.finditer(ctx.text)
            if not any(begin <= match.start() < stop for begin, stop in skipped)
            and not _is_name(ctx.text, match.start(), match.end(), ctx.doc)
        ]
        yield from _finding(rule, terms, [m.group(0) for m in found], "title", ctx.text)
    if "acceptance_criteria" in fields:
        hits = [
            (m.group(0), text)
            for text in ctx.acceptance_criteria
            for m in pattern.finditer(text)
            if not _is_name(text, m.start(), m.end())
        ]
        excerpt = " · ".join(dict.fromkeys(text for _, text in hits))
        yield from _finding(rule, terms, [word for word, _ in hits], "acceptance_criteria", excerpt)


def _finding(
    rule: Rule, terms: dict[str, str], words: list[str], field: str, excerpt: str
) -> Iterator[Finding]:
    """One finding for all distinct terms of one field."""
    distinct = list(dict.fromkeys(" ".join(word.lower().split()) for word in words))
    if not distinct:
        return
    questions = [
        terms.get(term) or f"What exactly does '{term}' mean here, and how would you test it?"
        for term in distinct
    ]
    where = " in the acceptance criteria" if field == "acceptance_criteria" else ""
    yield rule.finding(
        match=", ".join(f"'{term}'" for term in distinct) + where,
        excerpt=excerpt[:300],
        suggestion="Ask: " + " ".join(f"({term}) {q}" for term, q in zip(distinct, questions, strict=True)),
        field=field,
    )
