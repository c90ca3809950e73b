"""A part of the user story (role, means or ends) is missing."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "story_part"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
PARAMS = {
    "part": Param(str, "the story part that must be present", choices=("role", "means", "ends")),
    "when_not_a_story": Param(bool, "also flag items not written as a user story at all", default=True),
}


def _story_with(ctx: ItemContext, part: str) -> str:
    """The story rewritten with a placeholder where the part is missing."""
    story = ctx.story
    role = (story.role if story else None) or "<who benefits>"
    means = (story.means if story else None) or (
        ctx.item.title.strip().rstrip(".") if not story else "<do what>"
    )
    ends = (story.ends if story else None) or "<why it matters>"
    if part == "means" and story and story.means is None:
        means = "<do what>"
    return f"As a {role}, I want {means}, so that {ends}."


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item when its story lacks the part (or, optionally, when it is not a story at all)."""
    part = rule.params["part"]
    if ctx.story is None:
        if rule.params["when_not_a_story"] and ctx.item.title.strip():
            yield rule.finding(excerpt=ctx.item.title.strip()[:200], suggestion=_story_with(ctx, part))
        return
    if getattr(ctx.story, part) is None:
        yield rule.finding(excerpt=ctx.story.text[:200], suggestion=_story_with(ctx, part))
