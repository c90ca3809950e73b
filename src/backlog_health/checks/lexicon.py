"""The story or its acceptance criteria use a term from a lexicon (vague, subjective or open-ended words)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

KIND = "lexicon"
SCOPE = "item"
# NOTE: tokens only, so that vague words are still found in reduced mode (no trained pipeline). The part-of-speech
# and dependency filters apply whenever the pipeline has a tagger and parser, which the full rule set loads.
REQUIRES = frozenset({"tokens"})
USES = frozenset({"pos", "parse"})  # names, nouns and measures are told apart when the pipeline has them
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
    "subject_only": Param(
        list,
        "quantifiers that count only on the subject ('all files are encrypted'), not on a list the user asks "
        "for ('view all orders')",
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
        if term in rule.params["subject_only"] and not _on_subject(ctx_doc, start, end):
            return False
        return _has_pos(ctx_doc, start, end, frozenset(rule.params["pos"]))
    return True


def _on_subject(doc: Doc | None, start: int, end: int) -> bool:
    """True for a quantifier of the subject ("all files are encrypted", "any user can delete")."""
    if doc is None or not doc.has_annotation("DEP"):
        return True
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) != 1:
        return True
    token = span[0]
    word = token.head if token.dep_ in {"det", "predet"} else token
    # NOTE: only the subject of what is asked counts: in "a timer that all players can see" or "until all are
    # shown" the quantifier describes a situation, not a promise.
    if word.dep_ in {"nsubj", "nsubjpass"}:
        return word.head.dep_ not in {"relcl", "acl", "advcl"}
    # "I want all files to be scanned": the object of the wish is the subject of the infinitive after it.
    return word.dep_ == "dobj" and any(_is_infinitive(child) for child in word.children)


def _is_infinitive(token: Token) -> bool:
    """A verb with 'to' as its auxiliary ("to be scanned")."""
    return token.pos_ in {"VERB", "AUX"} and any(
        child.dep_ in {"aux", "auxpass"} and child.lower_ == "to" for child in token.children
    )


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
        view = story_view(ctx)
        text = view.text
        # NOTE: the role names a person and the benefit a motive; neither is a requirement to test.
        skipped = [
            view.parts[part]
            for part, wanted in (("role", rule.params["skip_role"]), ("ends", rule.params["skip_ends"]))
            if wanted and part in view.parts
        ]
        # NOTE: most stories hold none of the terms; a set lookup of first words spares the regex scan.
        if not view.words.isdisjoint(_openings(tuple(terms))):
            scan: re.Pattern[str] | None = pattern
        else:
            scan = _pattern((), tuple(patterns)) if patterns else None
        matches = [match for match in scan.finditer(text) if not _inside(match.start(), skipped)] if scan else []
        if matches and rule.params["skip_purpose"] and view.purpose:
            skipped = _spans(ctx.doc, view.purpose)
            matches = [match for match in matches if not _inside(match.start(), skipped)]
        found = [match.group(0) for match in matches if _keep(ctx.doc, text, match, terms, rule)]
        yield from _finding(rule, terms, patterns, found, "title", text)
    if "acceptance_criteria" in fields:
        hits = [
            (m.group(0), text)
            for text in ctx.acceptance_criteria
            for m in pattern.finditer(text)
            if _keep(None, text, m, terms, rule)
        ]
        excerpt = " · ".join(dict.fromkeys(text for _, text in hits))
        yield from _finding(rule, terms, patterns, [word for word, _ in hits], "acceptance_criteria", excerpt)


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(begin <= position < stop for begin, stop in spans)


def _spans(doc: Doc | None, indices: Iterable[int]) -> list[tuple[int, int]]:
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


@dataclass(frozen=True)
class StoryView:
    """What the ambiguity checks read of one parsed item, computed once and shared by them."""

    text: str  # the parsed text
    parts: dict[str, tuple[int, int]]  # character span of each story part present ("role", "means", "ends")
    means: tuple[Token, ...]  # tokens of what the story asks for (the means, or the whole text without a story)
    purpose: frozenset[int]  # token indices of purpose clauses inside the means
    words: frozenset[str]  # lowercased words and word pairs of the text, to skip lexicons that cannot match


_VIEW = "backlog_health.story_view"
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=64)
def lowered(words: tuple[str, ...]) -> frozenset[str]:
    """A rule's word list, lowercased once per run rather than once per item."""
    return frozenset(word.lower() for word in words)


@lru_cache(maxsize=32)
def _openings(terms: tuple[str, ...]) -> frozenset[str]:
    """How each term opens: its word, or its first two words ("if possible"), as the view splits its text."""
    return frozenset(" ".join(found[:2]) for term in terms if (found := _WORD.findall(term.lower())))


def _words_and_pairs(text: str) -> frozenset[str]:
    """The lowercased words of a text and each pair of neighbouring words."""
    words = _WORD.findall(text.lower())
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in pairwise(words))


def story_view(ctx: ItemContext) -> StoryView:
    """The item's view, cached on its parse so that every ambiguity rule reads the doc once."""
    doc = ctx.doc
    # NOTE: Doc.text rebuilds the string on every call and iterating a doc creates its tokens anew; with ten
    # rules per item that doubled the cost of the checks, so the view is kept in the doc's user_data.
    if doc is not None and _VIEW in doc.user_data:
        return doc.user_data[_VIEW]
    text, parts = ctx.text, ctx.part_spans
    means: tuple[Token, ...] = ()
    if doc is not None:
        if ctx.story is None:
            means = tuple(doc)
        elif "means" in parts:
            span = doc.char_span(*parts["means"], alignment_mode="expand")
            means = tuple(span) if span is not None else ()
    view = StoryView(text, parts, means, frozenset(purpose_clauses(means)), _words_and_pairs(text))
    if doc is not None:
        doc.user_data[_VIEW] = view
    return view


def parsed_view(ctx: ItemContext, annotation: str = "DEP") -> StoryView | None:
    """The item's view when its means were parsed with `annotation` ("DEP", "TAG"), else None."""
    view = story_view(ctx)
    if not view.means or not view.means[0].doc.has_annotation(annotation):
        return None
    return view


def means_tokens(ctx: ItemContext) -> list[Token]:
    """Tokens of what the story asks for: its means, or the whole parsed title when it is not a story."""
    return list(story_view(ctx).means)


def purpose_clauses(tokens: Iterable[Token]) -> set[int]:
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
