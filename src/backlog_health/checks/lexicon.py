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
    from spacy.tokens import Doc, Token

KIND = "lexicon"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
EXTENDS = "terms"
PARAMS = {
    "terms": Param(dict, "lexicon: a file under rules/ or a mapping of term to the question to ask"),
    "fields": Param(list, "where to look: story, acceptance_criteria", default=["story", "acceptance_criteria"]),
    "skip_role": Param(bool, "ignore terms inside the role ('As a power user')", default=True),
    "skip_ends": Param(bool, "ignore terms inside the benefit ('so that I find relevant offers')", default=True),
    "skip_purpose": Param(
        bool, "ignore terms inside a purpose clause of the means ('…, enabling me to plan better')", default=True
    ),
    "not_after": Param(
        list,
        "words that, right before a term, make it part of a phrase another rule names ('as appropriate')",
        default=[],
    ),
    "predicative_only": Param(
        list,
        "adjectives that count only after a linking verb ('must be secure'): before a noun they name a "
        "technical property ('a secure cookie', 'a simple type')",
        default=[],
    ),
    "pos": Param(
        list,
        "parts of speech a one-word term must have in the parsed story (ADJ, ADV, or tags such as VBN); empty: any",
        default=[],
    ),
    "skip_measured": Param(
        bool,
        "ignore a term followed by a number or a limit ('fast (under 2 s)', 'quickly, within 3 s')",
        default=True,
    ),
    "patterns": Param(
        dict,
        "regular expressions (case-insensitive) mapped to the question to ask, for shapes a word list cannot name",
        default={},
    ),
}

# A number or a limit right after the term, or after its noun in brackets: "quickly, within 3 seconds",
# "fast (under 2 s)", "a fast checkout (under 2 s)".
_MEASURED = re.compile(
    r"(?:(?:\s+[\w-]+){0,3}?\s*[(:,–—]|[\s-]*)[\s(:,–—-]*"
    r"(?:(?:in|under|within|below|above|over|at\s+most|at\s+least|less\s+than|more\s+than|no\s+more\s+than|"
    r"up\s+to|than|of|to|by|per|max(?:imum)?|min(?:imum)?|i\.e\.|e\.g\.|p\d\d)[\s:,]+)?"
    r"(?:[<>≤≥~]=?\s*)?\d",
    re.IGNORECASE,
)
_NOUN_ROLES = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos"})
_NOUN_MODIFIERS = frozenset({"det", "poss", "compound", "nummod"})
# A standard named in brackets right after the term: "secure (OWASP ASVS level 2)".
_REFERENCE = re.compile(r"\s*\((?:[^()]*\d|[A-Z]{2,})[^()]*\)")


@lru_cache(maxsize=32)
def _pattern(terms: tuple[str, ...], patterns: tuple[str, ...] = ()) -> re.Pattern[str]:
    """One alternation of all terms, longest first, matched on word boundaries, then the raw patterns."""
    escaped = sorted((re.escape(term).replace(r"\ ", r"\s+") for term in terms), key=len, reverse=True)
    words = rf"(?<![\w-])(?<!how )(?:{'|'.join(escaped)})(?![\w-])" if escaped else ""
    # NOTE: "how many" and "how fast" ask a question; they are not vague claims.
    alternatives = [words] if words else []
    alternatives += [f"(?:{pattern})" for pattern in patterns]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _is_name(text: str, start: int, end: int, doc: Doc | None = None) -> bool:
    """True when the match is part of a name: capitalised mid-sentence, or tagged as a proper noun."""
    before = text[:start].rstrip()
    if text[start].isupper() and before and before[-1] not in ".!?:;\"'(-•*" and not text[:end].isupper():
        return True
    if doc is not None and doc.has_annotation("TAG"):
        span = doc.char_span(start, end, alignment_mode="expand")
        return span is not None and all(token.pos_ == "PROPN" for token in span)
    return False


def _has_pos(doc: Doc | None, start: int, end: int, wanted: frozenset[str]) -> bool:
    """True when a one-word match has one of the wanted parts of speech (or when it cannot be told)."""
    if not wanted or doc is None or not doc.has_annotation("TAG"):
        return True
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) != 1:
        return True
    token = span[0]
    return (token.pos_ in wanted or token.tag_ in wanted) and not _used_as_noun(token)


def _used_as_noun(token: Token) -> bool:
    """True for a word heading a noun phrase whatever its tag: "log a 24-hour fast", "track my fast"."""
    if not token.doc.has_annotation("DEP") or token.dep_ not in _NOUN_ROLES:
        return False
    return any(child.dep_ in _NOUN_MODIFIERS for child in token.children)


def is_measured(text: str, end: int) -> bool:
    """True when a number, a limit or a named standard follows the term: it is made measurable on the spot."""
    after = text[end : end + 60]
    return bool(_MEASURED.match(after) or _REFERENCE.match(after))


def _keep(ctx_doc: Doc | None, text: str, match: re.Match[str], terms: dict[str, str], rule: Rule) -> bool:
    """Whether a match is a real use of the term here."""
    start, end = match.span()
    if _is_name(text, start, end, ctx_doc):
        return False
    if rule.params["skip_measured"] and is_measured(text, end):
        return False
    previous = text[:start].split()[-1:]
    if previous and previous[0].lower() in rule.params["not_after"]:
        return False
    # NOTE: parts of speech tell "a fast checkout" (vague) from "a 24-hour fast" or "secure the door".
    term = " ".join(match.group(0).lower().split())
    if term in terms and " " not in term:
        if term in rule.params["predicative_only"] and not _is_predicative(ctx_doc, start, end, text):
            return False
        return _has_pos(ctx_doc, start, end, frozenset(rule.params["pos"]))
    return True


def _is_predicative(doc: Doc | None, start: int, end: int, text: str) -> bool:
    """True for an adjective said of something ('must be secure'), not one naming a kind ('secure cookie')."""
    if doc is None or not doc.has_annotation("DEP"):
        return bool(re.search(r"\b(?:be|is|are|was|were|been|being|remain|remains|stay|stays)\s+$", text[:start]))
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) != 1:
        return False
    token = span[0]
    if token.dep_ == "conj":
        token = token.head
    return token.dep_ in {"acomp", "oprd", "attr", "ccomp", "xcomp"}


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the story and the acceptance criteria once each, naming every term found and its question."""
    terms: dict[str, str] = rule.params["terms"]
    patterns: dict[str, str] = rule.params["patterns"]
    if not terms and not patterns:
        return
    pattern = _pattern(tuple(terms), tuple(patterns))
    fields = rule.params["fields"]
    if "story" in fields:
        # NOTE: the role names a person and the benefit a motive; neither is a requirement to test.
        skipped = [
            span
            for part, wanted in (("role", rule.params["skip_role"]), ("ends", rule.params["skip_ends"]))
            if wanted and (span := ctx.part_span(part))
        ]
        if rule.params["skip_purpose"]:
            skipped += _spans(ctx.doc, purpose_clauses(means_tokens(ctx)))
        found = [
            match
            for match in pattern.finditer(ctx.text)
            if not any(begin <= match.start() < stop for begin, stop in skipped)
            and _keep(ctx.doc, ctx.text, match, terms, rule)
        ]
        yield from _finding(rule, terms, patterns, [m.group(0) for m in found], "title", ctx.text)
    if "acceptance_criteria" in fields:
        hits = [
            (m.group(0), text)
            for text in ctx.acceptance_criteria
            for m in pattern.finditer(text)
            if _keep(None, text, m, terms, rule)
        ]
        excerpt = " · ".join(dict.fromkeys(text for _, text in hits))
        yield from _finding(rule, terms, patterns, [word for word, _ in hits], "acceptance_criteria", excerpt)


def _spans(doc: Doc | None, indices: set[int]) -> list[tuple[int, int]]:
    """Character spans of the given tokens."""
    if doc is None:
        return []
    return [(doc[i].idx, doc[i].idx + len(doc[i].text) + 1) for i in sorted(indices)]


def _question(term: str, terms: dict[str, str], patterns: dict[str, str]) -> str:
    """The lexicon's question for a matched term, or the one of the pattern it matched."""
    if term in terms:
        return terms[term] or f"What exactly does '{term}' mean here, and how would you test it?"
    for regex, question in patterns.items():
        if re.fullmatch(regex, term, re.IGNORECASE):
            return question
    return f"What exactly does '{term}' mean here, and how would you test it?"


def _finding(
    rule: Rule, terms: dict[str, str], patterns: dict[str, str], words: list[str], field: str, excerpt: str
) -> Iterator[Finding]:
    """One finding for all distinct terms of one field."""
    distinct = list(dict.fromkeys(" ".join(word.lower().split()) for word in words))
    if not distinct:
        return
    questions = [_question(term, terms, patterns) for term in distinct]
    where = " in the acceptance criteria" if field == "acceptance_criteria" else ""
    yield rule.finding(
        match=", ".join(f"'{_short(term)}'" for term in distinct) + where,
        excerpt=excerpt[:300],
        suggestion="Ask: " + " ".join(f"({_short(term)}) {q}" for term, q in zip(distinct, questions, strict=True)),
        field=field,
    )


def _short(term: str) -> str:
    """A long pattern match shortened to its start and end ('such as PDF … …')."""
    return term if len(term) <= 40 else f"{term[:18]} … {term[-14:]}"


def means_tokens(ctx: ItemContext) -> list[Token]:
    """Tokens of what the story asks for: its means, or the whole parsed title when it is not a story."""
    if ctx.doc is None:
        return []
    if ctx.story is None:
        return list(ctx.doc)
    span = ctx.part_span("means")
    if span is None:
        return []
    start, end = span
    return [token for token in ctx.doc if start <= token.idx < end]


def purpose_clauses(tokens: list[Token]) -> set[int]:
    """Token indices of purpose clauses inside the means ("… to provide users with X", ", enabling me to …").

    They say why the user wants the feature, like the benefit, so vague words there describe a motive.
    """
    inside: set[int] = set()
    for token in tokens:
        if token.dep_ != "advcl" or token.i in inside:
            continue
        infinitive = any(child.dep_ == "aux" and child.lower_ == "to" for child in token.children)
        start = token.left_edge.i
        participle = token.tag_ == "VBG" and start > 0 and token.doc[start - 1].text == ","
        if infinitive or participle:
            inside.update(t.i for t in token.subtree)
    return inside
