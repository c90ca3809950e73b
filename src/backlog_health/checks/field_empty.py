"""An item field (such as the description) is empty or too short to say anything."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "field_empty"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "field": Param(str, "the item field to look at", choices=("description", "priority", "parent", "assignee")),
    "min_words": Param(int, "fewer words than this count as empty", default=1),
}


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item when the field has fewer than `min_words` words."""
    value = getattr(ctx.item, rule.params["field"]) or ""
    # NOTE: counting stops at min_words: a long description is not split into all its words.
    n_words = len(value.split(maxsplit=max(rule.params["min_words"], 0)))
    if n_words < rule.params["min_words"]:
        # NOTE: `match` names the field for messages that say which one; the excerpt is the text itself, if any.
        yield rule.finding(match=rule.params["field"], excerpt=value.strip()[:200], field=rule.params["field"])
