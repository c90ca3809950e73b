"""The story's means joins two actions (or two things) with a conjunction: it holds more than one feature.

Only what the user asks for counts. A purpose inside the means ("use the scanner to find and fix errors",
"…, reducing cost and saving time") is a motive, like the benefit, and is not searched; neither is the how
("by entering a name and a password") nor a list of attributes of one thing ("the name and date of each entry").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Token

KIND = "conjunction"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
EXTENDS = "action_verbs"
PARAMS = {
    "conjunctions": Param(list, "words that join two features", default=["and", "or", "&", "+", "/", "and/or"]),
    "one_action": Param(
        list,
        "verb pairs that name one action",
        default=[
            "drag and drop",
            "copy and paste",
            "cut and paste",
            "find and replace",
            "search and replace",
            "mix and match",
            "pick and choose",
            "sign up and sign in",
            "log in and log out",
        ],
    ),
    "action_verbs": Param(
        dict, "verbs of user actions, recognised even where the tagger reads them as nouns", default={}
    ),
    "join": Param(str, "what the conjunction must join to count", default="actions", choices=("actions", "things")),
    "one_thing": Param(
        list,
        "noun pairs that name one thing",
        default=[
            "terms and conditions",
            "date and time",
            "dates and times",
            "pros and cons",
            "questions and answers",
            "ins and outs",
            "dos and don'ts",
            "do's and don'ts",
            "bread and butter",
            "research and development",
            "name and address",
            "names and addresses",
            "username and password",
            "user name and password",
            "login and password",
            "email and password",
            "first and last name",
            "profit and loss",
        ],
    ),
}
# Verbs whose object is followed by the action wanted, not by a purpose ("allow users to add and remove").
_CONTROL_VERBS = {
    form
    for verb in (
        "allow",
        "enable",
        "let",
        "help",
        "ask",
        "invite",
        "remind",
        "force",
        "require",
        "want",
        "need",
        "permit",
        "tell",
        "get",
        "encourage",
        "prompt",
        "teach",
        "train",
        "like",
        "expect",
        "instruct",
    )
    for form in (verb, f"{verb}s", f"{verb}ed", f"{verb}d", f"{verb}ing", f"{verb[:-1]}ing")
}
# Words that open the how or an example list, not a second thing wanted.
_HOW_WORDS = {"by", "with", "using", "via", "including", "like", "as", "such", "e.g.", "between", "whether", "either"}
# Words between a conjunction and the second verb that do not change the reading.
_PHRASE_POS = {"DET", "ADJ", "NOUN", "PROPN", "NUM", "PRON", "PART", "ADV"}
_FILLERS = {"to", "also", "then", "be", "able", "can", "could", "i", "we", "should", "will", "would"}


def _is_verb(token: Token) -> bool:
    return token.pos_ == "VERB" or token.tag_ in {"VB", "VBP"}


def _is_action(token: Token, verbs: dict[str, str]) -> bool:
    return _is_verb(token) or token.lower_ in verbs


def _second_action(conj: Token, end: int, verbs: dict[str, str], parallel: bool) -> Token | None:
    """The first word after the conjunction, skipping fillers, when it starts a second action.

    A word the tagger reads as a verb counts. A lexicon verb the tagger misreads ("add and delete
    items", where "delete" comes out as an adjective) counts right after a bare first verb, or when
    the means itself starts with a verb ("view orders and print receipts").
    """
    doc = conj.doc
    before = doc[conj.i - 1] if conj.i > 0 else None
    for token in doc[conj.i + 1 : end]:
        if token.lower_ in _FILLERS:
            continue
        if _is_verb(token):
            return token
        bare_first = before is not None and _is_action(before, verbs)
        return token if token.lower_ in verbs and (bare_first or parallel) else None
    return None


def _object_end(token: Token, end: int) -> int:
    """Index after the noun phrase that follows a verb ("delete [the old items]")."""
    doc, i = token.doc, token.i + 1
    while i < min(end, token.i + 8) and (
        doc[i].pos_ in _PHRASE_POS or doc[i].lower_ in {"for", "of", "to", "from", "on", "in"}
    ):
        i += 1
    # NOTE: the excerpt ends on a word that closes the phrase, not on "from the".
    while i > token.i + 1 and (doc[i - 1].pos_ in {"ADP", "DET", "PART", "ADV", "PRON"} or doc[i - 1].is_punct):
        i -= 1
    return i


def _split(left: str, right: str) -> tuple[str, str]:
    """Two means, the shared object given to a bare first verb ("add and delete items")."""
    left, right = left.strip(" ,;"), right.strip(" ,;")
    right_words = right.split()
    if right_words and right_words[0].lower() in _FILLERS:
        right_words = right_words[1:]
    if len(left.split()) == 1 and len(right_words) > 1:
        left = f"{left} {' '.join(right_words[1:])}"
    return left, " ".join(right_words)


def _one_action(doc, first: Token, conj: Token, second: Token, phrases: set[str]) -> bool:
    """True for fixed pairs that name one action ("drag and drop", "copy and paste")."""
    return (
        doc[first.i : second.i + 1].text.lower() in phrases
        or f"{first.lower_} {conj.lower_} {second.lower_}" in phrases
    )


def _bracket_depths(doc) -> list[int]:
    """How deep in round or square brackets each token of the doc sits (one pass over the doc)."""
    depths, depth = [], 0
    for token in doc:
        depths.append(depth)
        if token.text in {"(", "["}:
            depth += 1
        elif token.text in {")", "]"} and depth > 0:
            depth -= 1
    return depths


def _motive_start(tokens: list[Token]) -> int:
    """Index of the first token of a purpose clause inside the means (or the end of the means)."""
    inside = {t.i for t in tokens}
    for token in tokens[1:]:
        doc = token.doc
        if token.lower_ == "in" and doc[token.i + 1 : token.i + 3].text.lower() == "order to":
            return token.i
        if token.lower_ in {"so", "thus", "thereby"} and token.dep_ in {"mark", "advmod", "cc"}:
            return token.i
        after_join = doc[token.i - 1].lower_ in {"and", "or", ",", "&"}
        if token.lower_ == "to" and token.pos_ == "PART" and token.head.i in inside and not after_join:
            head = token.head.head
            # NOTE: "use the scanner to find X": the wanted action has its object, the rest says why.
            if (
                head.i in inside
                and head.i < token.i
                and head.pos_ in {"VERB", "AUX"}
                and head.lower_ not in _CONTROL_VERBS
                and any(child.dep_ in {"dobj", "attr"} and child.i < token.i for child in head.children)
            ):
                return token.i
        if token.tag_ == "VBG" and token.i > 0 and doc[token.i - 1].text == "," and token.dep_ in {"advcl", "conj"}:
            return token.i - 1
    return tokens[-1].i + 1


def _in_how(token: Token, root: int) -> bool:
    """Whether the token sits under a preposition or clause that gives the how or examples."""
    for ancestor in token.ancestors:
        if ancestor.i < root:
            return False
        if ancestor.lower_ in _HOW_WORDS or ancestor.dep_ in {"relcl", "acl", "advcl", "pcomp"}:
            return True
    return False


def _things(ctx: ItemContext, rule: Rule, tokens: list[Token], stop: int, depths: list[int]) -> Iterator[Finding]:
    """Flag two distinct things joined as the object of the wanted action ("feedback and complaints")."""
    doc, root = tokens[0].doc, tokens[0].i
    pairs = {phrase.lower() for phrase in rule.params["one_thing"]}
    for second in doc[root:stop]:
        first = second.head
        if second.dep_ != "conj" or first.i >= second.i or first.i < root or depths[second.i]:
            continue
        if first.pos_ not in {"NOUN", "PROPN"} or second.pos_ not in {"NOUN", "PROPN"}:
            continue
        joins = [t for t in doc[first.i + 1 : second.i] if t.dep_ == "cc" or t.text in {"&", "/"}]
        if not joins or any(t.lower_ == "nor" for t in joins):
            continue
        if first.dep_ not in {"dobj", "pobj", "attr", "nsubj", "nsubjpass", "appos"} or _in_how(first, root):
            continue
        # NOTE: "the name and date of each entry" lists attributes of one thing; "my address and the type of
        # goods" names two things, each with its own determiner.
        shared = not any(child.dep_ in {"det", "poss"} for child in second.children)
        if shared and any(t.lower_ == "of" for t in (*first.children, *second.children)) or first.i == root:
            continue
        phrase = doc[first.left_edge.i if first.left_edge.i >= root else first.i : second.i + 1].text.lower()
        if any(pair in phrase for pair in pairs) or doc[first.i : second.i + 1].text.lower() in pairs:
            continue
        excerpt = doc[first.i : second.i + 1].text
        yield rule.finding(
            match=excerpt,
            suggestion=f"If '{first.text}' and '{second.text}' can be delivered apart, write one story for each; "
            "if they are one thing to the user, name that thing.",
        )
        return


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a means with two action verbs (or two things) joined by a conjunction; suggest the split."""
    span = ctx.part_span("means")
    if ctx.doc is None or span is None or ctx.story is None or ctx.story.means is None:
        return
    start, end = span
    doc, verbs = ctx.doc, rule.params["action_verbs"]
    conjunctions = {word.lower() for word in rule.params["conjunctions"]}
    phrases = {phrase.lower() for phrase in rule.params["one_action"]}
    means = doc.char_span(start, end, alignment_mode="expand")
    tokens = list(means) if means is not None else []
    if not any(t.lower_ in conjunctions for t in tokens):
        return
    end_i = _motive_start(tokens)
    # NOTE: a note in brackets ("(or any other field)") is extra text, the business of the minimal rule.
    depths = _bracket_depths(doc) if "(" in ctx.text or "[" in ctx.text else [0] * len(doc)
    tokens = [t for t in tokens if t.i < end_i and not depths[t.i]]
    if not tokens:
        return
    if rule.params["join"] == "things":
        yield from _things(ctx, rule, tokens, end_i, depths)
        return
    # NOTE: after "I want to" the means starts with a verb whatever the tagger says of it.
    parallel = ctx.story.template.split("…")[-2 if ctx.story.ends else -1].strip().endswith(" to") or _is_action(
        tokens[0], verbs
    )
    for token in tokens[1:]:
        if token.lower_ not in conjunctions:
            continue
        earlier = doc[tokens[0].i : token.i]
        first = next((t for t in reversed(earlier) if _is_action(t, verbs)), tokens[0] if parallel else None)
        second = _second_action(token, end_i, verbs, parallel)
        # NOTE: the parse names the first action when it can ("analyze files containing X and predict Y").
        if second is not None and second.dep_ == "conj" and tokens[0].i <= second.head.i < token.i:
            first = second.head if _is_action(second.head, verbs) else first
        if first is None or second is None or _one_action(doc, first, token, second, phrases):
            continue
        # NOTE: "file an invoice by scanning and tagging it": the actions say how, the feature is one.
        if any(a.lower_ in {"by", "via"} and a.i >= tokens[0].i for a in first.ancestors):
            continue
        # NOTE: "estimated or re-estimated" names one action twice, prefixed.
        if second.i + 1 < len(doc) and doc[second.i + 1].text == "-":
            continue
        means = ctx.story.means
        cut = token.idx - start
        left, right = _split(means[:cut], means[cut + len(token.text) :])
        excerpt = doc[first.i : _object_end(second, end_i)].text
        story = ctx.story.text
        yield rule.finding(
            match=excerpt,
            suggestion=f"Split it into two stories: '{story.replace(means, left, 1)}' and "
            f"'{story.replace(means, right, 1)}'",
        )
        return
