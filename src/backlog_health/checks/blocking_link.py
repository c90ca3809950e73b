"""The item has an open link that blocks it ('is blocked by', 'depends on') in the tracker."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "blocking_link"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "link_kinds": Param(list, "link relations that make this item wait for the other ('is blocked by')"),
    "when_status_unknown": Param(bool, "also flag links whose other item's status is not known", default=False),
}


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item once, naming every open item it waits for."""
    if ctx.item.status_category == "done":
        return
    kinds = {kind.lower() for kind in rule.params["link_kinds"]}
    waiting = [
        link.key
        for link in ctx.item.links
        if link.kind.lower() in kinds
        and link.status_category != "done"
        and (link.status_category is not None or rule.params["when_status_unknown"])
    ]
    if not waiting:
        return
    keys = ", ".join(dict.fromkeys(waiting))
    yield rule.finding(
        match=keys,
        excerpt=f"{ctx.item.key}: waits for {keys}",
        suggestion=f"Finish {keys} first, or plan them in the same Sprint; if this story can deliver value "
        "without them, split it so that part is not blocked.",
        field="title",
    )
