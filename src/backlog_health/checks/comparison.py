"""The story compares or ranks without a reference: "faster", "more secure", "the best" with no "than" or number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.checks.lexicon import lowered, parsed_view
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Token

KIND = "comparison"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
PARAMS = {
    "ordinal": Param(
        list,
        "comparatives and superlatives that name an order, not a quality ('latest', 'older', 'upper')",
        default=[
            "latest",
            "earliest",
            "newest",
            "oldest",
            "last",
            "later",
            "earlier",
            "older",
            "newer",
            "former",
            "latter",
            "further",
            "furthest",
            "farther",
            "upper",
            "inner",
            "outer",
            "elder",
            "eldest",
            "sooner",
            "nearest",
            "closest",
            "next",
            "rather",
        ],
    ),
    "nouns": Param(
        list,
        "nouns in -er or -ier that the tagger may read as comparatives ('identifier', 'supplier')",
        default=[
            "identifier",
            "modifier",
            "qualifier",
            "classifier",
            "multiplier",
            "supplier",
            "carrier",
            "barrier",
            "frontier",
            "cashier",
            "courier",
            "premier",
            "tier",
            "outlier",
            "dossier",
            "cavalier",
            "soldier",
        ],
    ),
    "fixed": Param(
        list,
        "phrases where the comparison is a name, not a claim",
        default=[
            "most recent",
            "most recently",
            "least recently",
            "best practice",
            "best practices",
            "best effort",
            "lower case",
            "upper case",
            "higher level",
            "lower level",
            "higher priority",
            "lower priority",
            "'d better",
            "most likely",
            "more likely",
            "had better",
            "no longer",
            "any longer",
            "no more",
            "any more",
            "more or less",
            "at best",
            "at least",
            "at most",
            "most of",
            "more of",
            "best match",
            "least privilege",
        ],
    ),
    "ranked_superlatives": Param(
        list,
        "superlatives that judge quality on their own, whatever noun they qualify",
        default=["best", "worst", "greatest", "finest", "ultimate"],
    ),
    "quality_nouns": Param(
        list,
        "nouns that make any superlative a judgement ('the highest quality')",
        default=[
            "quality",
            "standard",
            "standards",
            "level",
            "performance",
            "accuracy",
            "precision",
            "reliability",
            "security",
            "safety",
            "experience",
            "efficiency",
            "speed",
            "usability",
        ],
    ),
}
_DEGREE_TAGS = frozenset({"JJR", "RBR", "JJS", "RBS"})
_PERIPHRASTIC = {"more": "comparative", "less": "comparative", "most": "superlative", "least": "superlative"}
_DESCRIBING = frozenset({"amod", "acomp", "advmod", "oprd", "xcomp", "ccomp", "conj", "attr", "npadvmod", "dep"})
_REFERENCES = frozenset({"than", "compared", "versus", "vs", "vs.", "relative", "baseline"})


def _degree(token: Token, means: set[int]) -> tuple[str, Token] | None:
    """("comparative" | "superlative", last token) for a comparison starting at this token."""
    doc = token.doc
    word = token.lower_
    if word in _PERIPHRASTIC:
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        # NOTE: "most properties" counts things; "the most relevant" ranks. Only a degree word that modifies
        # the next adjective ranks, and "more cross-platform" is a compound the tagger splits.
        if (
            following is not None
            and following.i in means
            and following.pos_ in {"ADJ", "ADV"}
            and following.tag_ not in {"JJR", "RBR", "JJS", "RBS"}
            and token.dep_ == "advmod"
            and token.head.i == following.i
            and (following.i + 1 >= len(doc) or doc[following.i + 1].text != "-")
        ):
            return _PERIPHRASTIC[word], following
        return None
    # NOTE: the tagger reads some nouns and names as comparatives ("as identifier", "ClientResourceManager");
    # a real one has the comparative ending and modifies or describes something.
    if not token.is_alpha or not token.text[1:].islower() or token.dep_ not in _DESCRIBING:
        return None
    if token.dep_ == "amod" and token.head.pos_ not in {"NOUN", "PROPN"}:
        return None
    # NOTE: "repotracker", "scheduler": long words in -er are nouns; comparatives of long adjectives use "more".
    if token.tag_ in {"JJR", "RBR"} and (_short_comparative(word) or word in {"worse", "less"}):
        return "comparative", token
    if token.tag_ in {"JJS", "RBS"} and (word.endswith("est") or word in {"best", "worst"}):
        return "superlative", token
    return None


def _short_comparative(word: str) -> bool:
    """An -er form short enough to be a comparative ("faster", "healthier"), not a noun ("repotracker")."""
    return word.endswith("er") and len(word) <= (10 if word.endswith("ier") else 9)


def _has_reference(token: Token, first: Token) -> bool:
    """True when 'than', 'compared with' or a number follows in the same sentence, or a factor precedes ("30 % faster")."""
    sentence_end = token.sent.end if token.doc.has_annotation("SENT_START") else len(token.doc)
    after = token.doc[token.i + 1 : sentence_end]
    if any(t.lower_ in _REFERENCES for t in after):
        return True
    before = token.doc[max(first.i - 3, 0) : first.i]
    if any(t.lower_ in {"%", "times", "twice", "x"} or any(ch.isdigit() for ch in t.text) for t in before):
        return True
    # NOTE: "first" is like_num in spaCy; only a real number or a numeral counts as a target.
    return any(t.pos_ == "NUM" or any(ch.isdigit() for ch in t.text) for t in after[:6])


def _is_judgement(degree: str, first: Token, last: Token, rule: Rule) -> bool:
    """A superlative ranks by quality: 'the best', 'the most relevant', 'the highest quality', 'fastest possible'."""
    if degree == "comparative" or first.lower_ in {"most", "least"}:
        return True
    if last.lower_ in rule.params["ranked_superlatives"]:
        return True
    doc = last.doc
    following = doc[last.i + 1] if last.i + 1 < len(doc) else None
    if following is not None and following.lower_ == "possible":
        return True
    return last.head.lower_ in rule.params["quality_nouns"]


def _is_name(token: Token) -> bool:
    """Inside a name: tagged as a proper noun, or capitalised mid-sentence ('Best Buy')."""
    return token.pos_ == "PROPN" or (token.text[:1].isupper() and not token.is_sent_start and not token.is_upper)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag comparatives with no 'than' or number and superlatives that judge quality, in what the story asks."""
    view = parsed_view(ctx, "TAG")
    if view is None:
        return
    tokens = view.means
    tokens = tuple(token for token in tokens if token.i not in view.purpose)
    means = {token.i for token in tokens}
    ordinal = lowered(tuple(rule.params["ordinal"])) | lowered(tuple(rule.params["nouns"]))
    fixed = lowered(tuple(rule.params["fixed"]))
    found: list[tuple[str, str]] = []
    skip_until = -1
    for token in tokens:
        # NOTE: the cheap test first: most tokens are neither a comparison nor a degree word.
        if token.tag_ not in _DEGREE_TAGS and token.lower_ not in _PERIPHRASTIC:
            continue
        if token.i <= skip_until or _is_name(token) or token.lower_ in ordinal:
            continue
        doc = token.doc
        previous = doc[token.i - 1].lower_ if token.i > 0 else ""
        following = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
        if f"{token.lower_} {following}" in fixed or f"{previous} {token.lower_}" in fixed:
            continue
        if following == "-":  # NOTE: "best-effort", "higher-order": a compound name, not a claim.
            continue
        degree = _degree(token, means)
        if degree is None:
            continue
        kind, last = degree
        if token.dep_ == "conj" and token.head.lower_ in ordinal:  # "upper and lower letters"
            continue
        if last.lower_ in ordinal or _has_reference(last, token) or not _is_judgement(kind, token, last, rule):
            continue
        skip_until = last.i
        found.append((kind, doc[token.i : last.i + 1].text))
    if not found:
        return
    words = list(dict.fromkeys(text for _, text in found))
    questions = [
        f"'{text}': {text} than what, and by how much?"
        if kind == "comparative"
        else f"'{text}': by which measure, and what result counts?"
        for kind, text in dict.fromkeys(found)
    ]
    yield rule.finding(
        match=", ".join(f"'{word}'" for word in words),
        excerpt=view.text[:300],
        suggestion="Ask: " + " ".join(questions) + " Name the reference or the target number.",
    )
