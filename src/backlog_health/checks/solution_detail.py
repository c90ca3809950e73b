"""The story's means asks for a solution (a widget, a technology, implementation work) instead of a need."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

KIND = "solution_detail"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
EXTENDS = "terms"
PARAMS = {
    "terms": Param(dict, "solution terms (widgets, technologies, storage): term → the question to ask", default={}),
    "verbs": Param(
        list, "verbs that name implementation work whatever their object ('implement', 'refactor')", default=[]
    ),
    "build_verbs": Param(
        list, "verbs that name implementation work when their object is a system artifact", default=[]
    ),
    "artifacts": Param(list, "system artifacts that, built by the user, make the story a solution", default=[]),
    "interface_terms": Param(
        list, "terms that are the product itself for a technical role ('API', 'webhook')", default=[]
    ),
    "collection_terms": Param(
        list, "terms that name content, not technology, before 'of' ('a database of recipes')", default=[]
    ),
    "named_terms": Param(
        list, "terms that mean an existing system when a name precedes them ('the Stripe API')", default=[]
    ),
    "technical_heads": Param(
        list, "nouns a term may qualify and still be solution detail ('database index')", default=[]
    ),
    "into_verbs": Param(list, "verbs that assemble one part into another ('integrate … into the app')", default=[]),
    "into_targets": Param(
        list, "system parts that, as the target of `into_verbs`, make it implementation work", default=[]
    ),
    "topic_verbs": Param(
        list, "verbs whose object is a topic to learn about, not a thing to build ('know')", default=[]
    ),
    "technical_roles": Param(list, "words of roles that consume technical interfaces ('developer')", default=[]),
}
_NOUNISH = {"NOUN", "PROPN", "ADJ", "X", "NUM"}
# Words that open a condition or time clause ("when the API is down"): what follows is not asked for.
_CONDITIONS = {"when", "whenever", "if", "unless", "while", "after", "before", "until", "once", "because", "since"}
# Prepositions that put a word outside what the user asks for ("without the browser's back button").
_AVOIDED = {"without", "instead"}


@lru_cache(maxsize=64)
def _index(terms: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Terms by their first word, each as a tuple of words, longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for term in terms:
        words = tuple(term.lower().replace("-", " - ").split())
        index.setdefault(words[0], []).append(words)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in index.items()}


def _same_word(token: Token, word: str) -> bool:
    """The token is the word or its plural ('buttons', 'databases', 'caches')."""
    lower = token.lower_
    return lower == word or (token.tag_ in {"NNS", "NNPS"} and lower in {word + "s", word + "es"})


def _match_at(tokens: list[Token], at: int, index: dict[str, tuple[tuple[str, ...], ...]]) -> int:
    """Number of tokens of the longest term starting at `at` (0 when none)."""
    first = tokens[at]
    candidates = index.get(first.lower_) or index.get(first.lower_.rstrip("s")) or ()
    for words in candidates:
        if at + len(words) > len(tokens):
            continue
        if all(_same_word(tokens[at + k], word) for k, word in enumerate(words)):
            return len(words)
    return 0


def _condition(token: Token) -> bool:
    """The token heads a clause of condition or time; 'using a cache' is a manner, not a condition."""
    return token.dep_ in {"advcl", "relcl", "acl"} and any(
        child.dep_ in {"mark", "advmod"} and child.lower_ in _CONDITIONS for child in token.children
    )


def _asked_for(token: Token, means: Span, topics: frozenset[str]) -> bool:
    """The word belongs to what the user wants built.

    Not when a condition or time clause lies between it and the means ("when the API is down"), when the
    user wants to avoid it ("without the back button"), or when it is the topic of what the user wants to
    know ("learn how the cache works").
    """
    seen = 0
    while token.i >= means.start and token.i < means.end and seen < 20:
        if _condition(token) or (token.dep_ == "prep" and token.lower_ in _AVOIDED):
            return False
        if seen and token.pos_ in {"VERB", "AUX"} and token.lower_ in topics:
            return False
        if token.head is token:
            break
        token, seen = token.head, seen + 1
    return True


def _means(ctx: ItemContext) -> Span | None:
    span = ctx.part_span("means")
    if ctx.doc is None or span is None:
        return None
    return ctx.doc.char_span(span[0], span[1], alignment_mode="expand")


def _technical(role: str | None, words: list[str]) -> bool:
    lowered = (role or "").lower()
    return any(word in lowered for word in words)


def _term_hits(means: Span, rule: Rule, technical: bool) -> list[str]:
    """Solution terms named in the means as something to build."""
    terms: dict[str, str] = rule.params["terms"]
    if not terms:
        return []
    index = _index(tuple(terms))
    exempt = _lowered(rule, "interface_terms") if technical else frozenset()
    collections = _lowered(rule, "collection_terms")
    # NOTE: a named database or API is an existing system the user works with; a named algorithm is
    # still a choice of method.
    systems = _lowered(rule, "named_terms")
    heads = _lowered(rule, "technical_heads")
    topics = _lowered(rule, "topic_verbs")
    tokens, hits, at = list(means), [], 0
    while at < len(tokens):
        size = _match_at(tokens, at, index)
        if not size:
            at += 1
            continue
        words = tokens[at : at + size]
        text = " ".join(t.text for t in words).replace(" - ", "-")
        head = words[-1]
        if (
            head.pos_ in _NOUNISH
            and text.lower() not in exempt
            and _asked_for(head, means, topics)
            and not (text.lower().rstrip("s") in collections and _names_content(head))
            and not _qualifies(head, index, heads)
            and not (text.lower() in systems and _named(words, index))
        ):
            hits.append(text)
        at += size
    return hits


def _verb_forms(word: str) -> set[str]:
    """The base forms a verb form may come from ('stored' → 'store', 'building' → 'build')."""
    forms = {word}
    for suffix, repl in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            forms.add(word[: -len(suffix)] + repl)
    return forms


def _qualifies(token: Token, index: dict[str, tuple[tuple[str, ...], ...]], heads: frozenset[str]) -> bool:
    """The term only says what kind of thing another noun is ('API usage', 'a jQuery plugin').

    The noun it qualifies is what the user asks for; the story stays flagged when that noun is
    technical itself ('database indexes', 'backend changes').
    """
    if token.dep_ not in {"compound", "amod", "nmod"} or token.head.pos_ not in {"NOUN", "PROPN"}:
        return False
    noun = token.head.lower_
    return noun not in heads and noun.rstrip("s") not in heads and noun not in index and noun.rstrip("s") not in index


def _named(words: list[Token], index: dict[str, tuple[tuple[str, ...], ...]]) -> bool:
    """The term is part of a named, existing system ('the Clover database', 'the Stripe API').

    Working with a system that already exists is the user's situation, not a design choice.
    """
    return any(
        child.dep_ in {"compound", "nmod"} and child.pos_ == "PROPN" and child.lower_ not in index
        for child in words[-1].children
    )


def _names_content(token: Token) -> bool:
    """The word is followed by what it holds ('a database of recipes'): the content is the need."""
    return any(child.dep_ == "prep" and child.lower_ == "of" for child in token.children)


def _into(verb: Token, rule: Rule) -> Token | None:
    """The system part a verb puts something into ('integrate the model into our app' → 'app')."""
    targets = _lowered(rule, "into_targets")
    for prep in verb.children:
        if prep.dep_ == "prep" and prep.lower_ in {"into", "in"}:
            found = [obj for obj in prep.children if obj.dep_ == "pobj" and obj.lower_ in targets]
            if found:
                return found[0]
    return None


def _objects(verb: Token) -> list[Token]:
    """The direct objects of a verb, and objects joined to them ('a model and a pipeline')."""
    found = [child for child in verb.children if child.dep_ in {"dobj", "obj"}]
    return found + [conj for obj in found for conj in obj.conjuncts]


def _work_hits(means: Span, rule: Rule) -> list[str]:
    """Implementation work the means asks for: 'implement …', 'develop a system …'."""
    verbs, build, into = _lowered(rule, "verbs"), _lowered(rule, "build_verbs"), _lowered(rule, "into_verbs")
    if not (verbs or build or into):
        return []
    artifacts = _lowered(rule, "artifacts")
    hits = []
    for token in means:
        # NOTE: a participle that describes a thing ("persisted packages") is no work asked for.
        if (token.pos_ != "VERB" and token.tag_ not in {"VB", "VBP"}) or token.dep_ == "amod":
            continue
        forms = _verb_forms(token.lower_)
        hit: int | None = None
        if forms & verbs:
            hit = max(token.i + 1, _phrase_end(token, means))
        elif forms & into and (target := _into(token, rule)):
            hit = target.i + 1
        elif forms & build:
            built = [obj for obj in _objects(token) if obj.lower_ in artifacts or obj.lower_.rstrip("s") in artifacts]
            hit = built[0].i + 1 if built else None
        if hit is not None and _asked_for(token, means, _lowered(rule, "topic_verbs")):
            hits.append(means.doc[token.i : hit].text)
    return hits


def _lowered(rule: Rule, name: str) -> frozenset[str]:
    """A list parameter as a set of lowercased words, cached per rule."""
    return _lower_set(tuple(rule.params[name]))


@lru_cache(maxsize=256)
def _lower_set(words: tuple[str, ...]) -> frozenset[str]:
    """Lowercased words as a set."""
    return frozenset(word.lower() for word in words)


def _phrase_end(verb: Token, means: Span) -> int:
    """End of the verb's first object, within four words."""
    objects = _objects(verb)
    return min(objects[0].i + 1, verb.i + 5, means.end) if objects else verb.i + 1


def _question(terms: dict[str, str], hit: str) -> str:
    """The lexicon's question for a term found, also in the plural ('buttons', 'caches')."""
    return terms.get(hit) or terms.get(hit.removesuffix("s")) or terms.get(hit.removesuffix("es")) or ""


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag solution terms and implementation work in the means; ask for the need behind them."""
    if ctx.story is None or not ctx.story.means:
        return
    means = _means(ctx)
    if means is None:
        return
    # NOTE: for a developer or an integrator an API, a webhook or an SDK is the product they use; only
    # technical roles get that exemption, and never for storage or widgets.
    technical = _technical(ctx.story.role, rule.params["technical_roles"])
    hits = list(dict.fromkeys(_term_hits(means, rule, technical) + _work_hits(means, rule)))
    if not hits:
        return
    terms: dict[str, str] = rule.params["terms"]
    questions = [_question(terms, hit.lower()) for hit in hits]
    asks = " ".join(f"({hit}) {question}" for hit, question in zip(hits, questions, strict=True) if question)
    yield rule.finding(
        match=", ".join(f"'{hit}'" for hit in hits),
        excerpt=ctx.story.means[:200],
        suggestion="Say what the user needs to do or know, and leave how to build it to the team"
        + (f". Ask: {asks}" if asks else "."),
    )
