"""Acceptance criteria whose outcome is a judgement ("works well", "is fast") or a placeholder ("Done")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "criteria_untestable"
SCOPE = "item"
REQUIRES = frozenset()
EXTENDS = "judgements"
PARAMS = {
    "judgements": Param(dict, "lexicon: judgements that cannot be checked as an outcome, with the question to ask"),
    "generic_verbs": Param(
        list,
        "verbs that name no result of their own ('works', 'handles'): a judgement after them is the whole outcome",
        default=[
            "work",
            "works",
            "worked",
            "working",
            "function",
            "functions",
            "functioning",
            "behave",
            "behaves",
            "behaving",
            "handle",
            "handles",
            "handled",
            "handling",
            "perform",
            "performs",
            "performing",
            "run",
            "runs",
            "running",
            "operate",
            "operates",
            "operating",
            "process",
            "processed",
        ],
    ),
    "linking_verbs": Param(
        list,
        "verbs that link a subject to a judgement ('is', 'looks')",
        default=[
            "is",
            "are",
            "be",
            "been",
            "being",
            "was",
            "were",
            "look",
            "looks",
            "looking",
            "feel",
            "feels",
            "seem",
            "seems",
            "remain",
            "remains",
            "stay",
            "stays",
            "become",
            "becomes",
        ],
    ),
    "qualities": Param(
        list,
        "nouns that name a quality, not a result: a judgement before them is the whole criterion ('good performance')",
        default=[
            "handling",
            "behavior",
            "behaviour",
            "experience",
            "ux",
            "ui",
            "performance",
            "usability",
            "feedback",
            "coverage",
            "quality",
            "layout",
            "look and feel",
        ],
    ),
    "placeholders": Param(
        list,
        "whole criteria that only say the work is finished ('Done', 'It works', 'As described above'); "
        "among several criteria such a line is usually a status note, so rules set it only with sole",
        default=[],
    ),
    "sole": Param(
        bool,
        "true: flag an item whose only criterion is weak; false: flag the weak ones among two or more criteria",
        default=False,
    ),
}

# NOTE: a criterion that points at something checkable is not a bare judgement: a number, quoted text, an
# example, or a design to compare with ("fast: under 2 s", "looks like the mock-up").
_ANCHOR = re.compile(
    r"\d|\"[^\"]+\"|“[^”]+”|'[^'\s][^']*'|\be\.g\.|\bi\.e\.|\bfor (?:example|instance)\b|\bsuch as\b"
    r"|\bmock[- ]?ups?\b|\bmocks?\b|\bwireframes?\b|\bprototype\b|\bdesigns?\b|\bspec(?:ification)?s?\b"
    r"|\bscreenshots?\b|\bfigma\b|\battached\b|\blike\s*:",
    re.IGNORECASE,
)
# Words that may stand between a linking verb and the judgement ("is not very fast", "looks as clean as").
_MODIFIERS = (
    r"(?:(?:not|very|more|really|quite|fairly|so|too|pretty|much|still|also|always|as|sufficiently|highly|"
    r"extremely|reasonably|nice and|both)\s+){0,3}"
)
# What may follow a judgement in outcome position: the end of the clause, or a phrase that only qualifies it.
_TAIL = (
    r"(?=\s*(?:$|[.,;:!?)]|(?:and|or|but|for|in|on|with|when|across|enough|under|at|as|if|while|from|"
    r"even|regardless|without|everywhere|again)\b))"
)
# NOTE: a judgement in a purpose ("… so that the import works correctly") or in a remark on what the criterion
# already said ("The button is hidden. This is correct.") is not the outcome the criterion states.
_PURPOSE = re.compile(r"\bso\s+that\b|\bin\s+order\s+to\b", re.IGNORECASE)
# "Switch to the new runner for better performance": a quality named as the reason for a change.
_REASON = re.compile(
    r"\b(?:for|provides?|providing|gives?|giving|improves?|improving)\s+(?:an?\s+|the\s+)?$", re.IGNORECASE
)
_REMARK_START = re.compile(r"\s*(?:this|that|which)\b", re.IGNORECASE)
_REMARK_CLAUSE = re.compile(r",\s+(?:and\s+)?(?:this|that|which)\b", re.IGNORECASE)
# A judgement the criterion goes on to explain ("exits gracefully, notifying the scheduler", "fast: under 2 s").
_EXPLAINED = re.compile(r"\s*(?:,\s*\w+ing\b|:|-+>|→|—|\(|by\b|e\.g\.|i\.e\.|meaning\b|which\s+means\b)", re.IGNORECASE)
_DETAIL = re.compile(r":\s*\w|-+>|→")
# Judgements that are an outcome wherever they stand in a criterion.
_ANYWHERE = ("as ", "without ", "make ", "makes ")
_FILLER = frozenset(
    {"it", "this", "that", "the", "a", "an", "should", "must", "will", "shall", "is", "be", "has", "been", "to"}
    | {"all", "feature", "story", "functionality", "everything", "task", "item", "ticket"}
)
_NON_WORD = re.compile(r"[^\w/]+")


@lru_cache(maxsize=16)
def _patterns(
    judgements: tuple[str, ...], generic: tuple[str, ...], linking: tuple[str, ...], qualities: tuple[str, ...] = ()
) -> re.Pattern[str]:
    """One pattern for a judgement in outcome position; the judgement is in the group that matched."""
    terms = sorted((re.escape(term).replace(r"\ ", r"\s+") for term in judgements), key=len, reverse=True)
    alternation = "|".join(terms)
    verbs = "|".join(map(re.escape, generic))
    adverbs = sorted((t for t in judgements if t.endswith("ly") and " " not in t), key=len, reverse=True)
    # NOTE: "as expected", "without issues", "makes sense" qualify whatever the criterion states: they are a
    # judgement wherever they stand. Other terms count only in outcome position.
    phrases = sorted(
        (re.escape(t).replace(r"\ ", r"\s+") for t in judgements if t.startswith(_ANYWHERE)), key=len, reverse=True
    )
    alternatives = [
        rf"\b(?:{verbs})\b(?:\s+[^\s,.;:!?()]+){{0,3}}?\s+(?P<after>{alternation})(?![\w-]){_TAIL}",
        rf"\b(?:{'|'.join(map(re.escape, linking))})\s+{_MODIFIERS}(?P<linked>{alternation})(?![\w-]){_TAIL}",
    ]
    if qualities:  # "proper error handling", "good performance"
        nouns = "|".join(re.escape(noun).replace(r"\ ", r"\s+") for noun in qualities)
        alternatives.append(rf"(?<![\w-])(?P<quality>{alternation})\s+(?:[\w-]+\s+)?(?:{nouns})(?![\w-]){_TAIL}")
    if adverbs:  # "properly handled", "correctly works"
        alternatives.append(rf"\b(?P<adverb>{'|'.join(map(re.escape, adverbs))})\s+(?:{verbs})\b")
        # NOTE: a manner adverb that ends the clause judges the action just named ("the page loads quickly",
        # "VAT is calculated correctly"): the action is checkable, the judgement of it is not.
        manner = "|".join(map(re.escape, [*adverbs, "well", "fast"]))
        alternatives.append(rf"(?<=\w\s)(?P<manner>{manner})(?![\w-]){_TAIL}")
    if phrases:
        alternatives.append(rf"(?<![\w-])(?P<phrase>{'|'.join(phrases)})(?![\w-])")
    return re.compile("|".join(f"(?:{alt})" for alt in alternatives), re.IGNORECASE)


def _remark(before: str) -> bool:
    """Whether the judgement's sentence comments on an earlier one ("… is hidden. This is correct")."""
    cut = max(before.rfind("."), before.rfind(";"), before.rfind("!"))
    sentence = before[cut + 1 :]
    return bool((cut >= 0 and _REMARK_START.match(sentence)) or _REMARK_CLAUSE.search(sentence))


def _key(text: str) -> str:
    """A criterion reduced to its telling words: "It should work." → "work"."""
    words = _NON_WORD.sub(" ", text.lower()).split()
    return " ".join(word for word in words if word not in _FILLER)


def judgement(criterion: str, pattern: re.Pattern[str]) -> str | None:
    """The judgement a criterion states as its outcome, or None when it states something checkable."""
    if criterion.rstrip().endswith("?"):
        return None  # an open question, not a criterion stating an outcome
    for m in pattern.finditer(criterion):
        group = next(name for name in ("after", "linked", "quality", "adverb", "manner", "phrase") if m.group(name))
        found = m.group(group)
        if found.lower() == "well" and criterion[: m.start(group)].lower().endswith("as "):
            continue  # "works for groups as well"
        if (
            _EXPLAINED.match(criterion, m.end(group))
            or _DETAIL.search(criterion, m.end())
            or _PURPOSE.search(criterion, 0, m.start())
            or (group == "quality" and _REASON.search(criterion, 0, m.start()))
            or _remark(criterion[: m.start()])
        ):
            continue
        # NOTE: the anchor must qualify this outcome: an example in a condition before it ("When the server
        # fails (e.g. a timeout), errors are handled nicely") does not make the outcome checkable.
        clause = max(criterion.rfind(mark, 0, m.start()) for mark in (",", ";", ":", "(", ")", ". "))
        if _ANCHOR.search(criterion, clause + 1):
            continue
        return " ".join(found.lower().split())
    return None


def _weak(criterion: str, pattern: re.Pattern[str], placeholders: frozenset[str]) -> str | None:
    """Why a criterion is weak ("'works well'", "a placeholder"), or None."""
    if placeholders and _key(criterion) in placeholders:
        return "placeholder"
    return judgement(criterion, pattern)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the criteria whose only outcome is a judgement or a placeholder, once per item."""
    criteria = ctx.acceptance_criteria
    sole = rule.params["sole"]
    if not criteria or (len(criteria) == 1) != sole:
        return
    terms: dict[str, str] = rule.params["judgements"]
    if not terms:
        return
    pattern = _patterns(
        tuple(terms),
        tuple(rule.params["generic_verbs"]),
        tuple(rule.params["linking_verbs"]),
        tuple(rule.params["qualities"]),
    )
    placeholders = frozenset(_key(text) for text in rule.params["placeholders"]) - {""}
    weak = [(text, why) for text in criteria if (why := _weak(text, pattern, placeholders))]
    if not weak:
        return
    judgements = list(dict.fromkeys(why for _, why in weak if why != "placeholder"))
    questions = [terms.get(term, "") for term in judgements]
    ask = " ".join(f"({term}) {q}" for term, q in zip(judgements, questions, strict=True) if q)
    suggestion = (
        "State what the team can observe instead: what the system shows, sends, stores or refuses, a number, "
        "or a state." + (f" Ask: {ask}" if ask else "")
    )
    names = ", ".join(f"'{term}'" for term in judgements) or "a placeholder"
    yield rule.finding(
        match=names if not sole else f"'{criteria[0][:80]}'",
        excerpt=" · ".join(text for text, _ in weak)[:300],
        suggestion=suggestion,
        field="acceptance_criteria",
    )
