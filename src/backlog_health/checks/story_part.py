"""A part of the user story (role, means or ends) is missing."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding, StoryParts
from backlog_health.rules import Rule

KIND = "story_part"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
PARAMS = {
    "part": Param(str, "the story part that must be present", choices=("role", "means", "ends")),
    "when_not_a_story": Param(bool, "also flag items not written as a user story at all", default=True),
}


def _article(role: str) -> str:
    return "an" if role[:1].lower() in "aeiou" else "a"


def _suggestion(story: StoryParts | None, title: str, part: str) -> str:
    """The story rewritten with a placeholder for the missing part."""
    if story is None:
        return f"Rewrite it as a user story: 'As a <role>, I want <goal>, so that <benefit>', for '{title}'."
    text = story.text.rstrip(" .")
    if part == "role":
        return f"Name who wants it: 'As a <role>, {text[0].upper()}{text[1:]}.'"
    role = f"{_article(story.role)} {story.role}" if story.role else "a <role>"
    if part == "means":
        return f"Say what the {story.role or 'role'} wants: 'As {role}, I want to <action>, so that <benefit>.'"
    return f"Add the benefit: '{text}, so that <what the {story.role or 'user'} gains>.'"


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item when its story lacks the part (or, optionally, when it is not a story at all)."""
    part, title = rule.params["part"], ctx.item.title.strip()
    if ctx.story is None:
        if rule.params["when_not_a_story"] and title:
            yield rule.finding(excerpt=title[:200], suggestion=_suggestion(None, title, part))
        return
    if getattr(ctx.story, part) is None:
        yield rule.finding(excerpt=ctx.story.text[:200], suggestion=_suggestion(ctx.story, title, part))
