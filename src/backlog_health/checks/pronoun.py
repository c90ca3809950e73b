"""The story's requirement has a pronoun ("it", "this", "they") as its subject with no noun it can refer to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backlog_health.checks import ItemContext, Param
from backlog_health.checks.lexicon import lowered, parsed_view
from backlog_health.model import Finding
from backlog_health.rules import Rule

if TYPE_CHECKING:
    from spacy.tokens import Token

KIND = "pronoun_reference"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
PARAMS = {
    "pronouns": Param(
        list, "pronouns that need a noun to refer to", default=["it", "this", "that", "they", "these", "those", "them"]
    ),
    "plural": Param(
        list, "pronouns that may refer to the people of the role", default=["they", "these", "those", "them"]
    ),
}
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
_CLAUSES = frozenset({"ccomp", "xcomp", "csubj"})


def _is_expletive(token: Token) -> bool:
    """'It' that points forward to a clause: "it should be possible to …", "it is clear that …"."""
    if token.dep_ == "expl":
        return True
    head = token.head
    if token.lower_ != "it":
        return False
    if head.lower_ in {"take", "takes", "took", "taken", "taking"}:  # "how long it takes to archive"
        return True
    # NOTE: the clause hangs on the verb ("it is possible to …") or on its adjective ("it should be easier to …").
    complements = [head, *(child for child in head.children if child.dep_ in {"acomp", "attr", "oprd"})]
    if any(child.dep_ in _CLAUSES and child.i > head.i for word in complements for child in word.children):
        return True
    # "make it easy to …", "how long it takes to …": a to-clause after the pronoun is what it stands for.
    if any(t.dep_ == "aux" and t.lower_ == "to" and t.i > token.i and t.head.i != head.i for t in head.subtree):
        return True
    # "it would be great if …": a judgement of the clause that follows.
    return len(complements) > 1 and any(
        child.dep_ == "advcl" and any(mark.lower_ == "if" for mark in child.children if mark.dep_ == "mark")
        for child in head.children
    )


def _antecedent(token: Token, role: tuple[int, int] | None, plural: bool) -> bool:
    """True when a noun before the pronoun can be what it stands for (the role's person only for 'they')."""
    for other in token.doc[: token.i]:
        if other.pos_ not in {"NOUN", "PROPN"}:
            continue
        in_role = role is not None and role[0] <= other.idx < role[1]
        if plural or not in_role:
            return True
    return False


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a subject pronoun of the means that has no noun before it; ask what it stands for."""
    view = parsed_view(ctx)
    if view is None:
        return
    tokens = view.means
    # NOTE: a story in the description may refer to its title ("Export invoices" … "I want it as PDF").
    if ctx.story is not None and ctx.item.title.strip() and ctx.item.title.strip() not in ctx.story.text:
        return
    pronouns = lowered(tuple(rule.params["pronouns"]))
    plural = lowered(tuple(rule.params["plural"]))
    role = view.parts.get("role")
    for token in tokens:
        if token.lower_ not in pronouns or token.pos_ != "PRON" or token.tag_ == "WDT":
            continue
        if token.dep_ not in _SUBJECTS or _is_expletive(token):
            continue
        if _antecedent(token, role, token.lower_ in plural):
            continue
        yield rule.finding(
            match=f"'{token.text}'",
            excerpt=view.text[:300],
            suggestion=f"Ask: what does '{token.text}' stand for? Name it: '{_rewrite(token)}'.",
        )
        return


def _rewrite(token: Token) -> str:
    """The clause with the pronoun replaced by a slot to fill."""
    clause = token.head.subtree
    words = [("<the thing>" if t.i == token.i else t.text) for t in clause]
    return " ".join(words)[:120]
