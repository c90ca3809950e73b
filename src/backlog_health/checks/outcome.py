"""The story's means is an outcome to reach ("improve search", "ensure quality") rather than something to do."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from backlog_health.checks import ItemContext, Param
from backlog_health.checks.lexicon import is_measured, story_view
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "outcome_verb"
SCOPE = "item"
REQUIRES = frozenset({"parse"})
EXTENDS = "verbs"
PARAMS = {
    "verbs": Param(dict, "verbs that name an outcome, mapped to the question to ask"),
    "stories_only": Param(bool, "look only at items written as user stories", default=True),
}


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag a means whose main verb names an outcome and that gives no number; ask for the target or the feature."""
    if rule.params["stories_only"] and ctx.story is None:
        return
    view = story_view(ctx)
    tokens = view.means
    verbs: dict[str, str] = rule.params["verbs"]
    # NOTE: a purpose clause ("… autocomplete to improve performance") is the benefit, not the means.
    first = next(
        (t for t in tokens if t.pos_ in {"VERB", "AUX"} and t.lower_ != "be" and t.i not in view.purpose), None
    )
    # NOTE: only the verb the means opens with is what the user wants done ("to improve search"); a later one
    # qualifies something else ("an autocomplete to improve speed").
    if first is None or first.i - tokens[0].i > 2:
        return
    doc = first.doc
    following = doc[first.i + 1].lower_ if first.i + 1 < len(doc) else ""
    previous = doc[first.i - 1].lower_ if first.i > 0 else ""
    candidates = (f"{first.lower_} {following}", f"{previous} {first.lower_}", first.lower_)
    word = next((candidate for candidate in candidates if candidate in verbs), "")
    if word not in verbs:
        return
    # NOTE: "improve accuracy by filtering out ads" names the change itself, in the by-clause.
    after = [token for token in tokens if token.i > first.i]
    if any(a.lower_ == "by" and b.tag_ == "VBG" for a, b in pairwise(after)):
        return
    # NOTE: "reduce the load time to 2 s" or "by 30 %" is a target, not a wish.
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    means = view.text[start:end]
    if any(ch.isdigit() for ch in means) or is_measured(view.text, first.idx + len(first.text)):
        return
    yield rule.finding(
        match=f"'{word}'",
        excerpt=view.text[:300],
        suggestion=f"Ask: {verbs[word] or 'Which result counts as reached, and how would you check it?'}",
    )
