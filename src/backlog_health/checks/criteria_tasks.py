"""The acceptance criteria are a to-do list ("Refactor the importer", "Update the docs"), not outcomes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "criteria_tasks"
SCOPE = "item"
REQUIRES = frozenset()
EXTENDS = "verbs"
PARAMS = {
    "verbs": Param(dict, "lexicon: verbs of development work that make an imperative criterion a task"),
    "min_share": Param(
        float,
        "flag the item when more than this share of its criteria are tasks (0.5: a majority)",
        default=0.5,
        maximum=1,
    ),
}

# "We need to", "Should", "Must", "To" before the verb still make it a to-do.
_LEAD = r"^[\s\W]*(?:(?:we|you|i|dev|devs|developers?|team)\s+)?(?:(?:need|needs|have|has)\s+to\s+|must\s+|should\s+|will\s+|to\s+)?"


# NOTE: many task verbs are nouns too ("Deploy does not fail", "Design is approved"): a verb or auxiliary
# right after the word makes it the subject of a statement, not an imperative.
_OBJECT = (
    r"(?!(?:is|are|was|were|does|do|did|should|must|will|can|could|has|have|had|shall|may|works?|fails?|"
    r"succeeds?|passes|runs?|needs?)\b)(?=[\w\"'(])"
)


@lru_cache(maxsize=16)
def _pattern(verbs: tuple[str, ...]) -> re.Pattern[str]:
    """A task verb in the imperative at the start of a criterion, followed by what it works on."""
    escaped = sorted((re.escape(verb).replace(r"\ ", r"\s+") for verb in verbs), key=len, reverse=True)
    return re.compile(rf"{_LEAD}(?P<verb>{'|'.join(escaped)})\s+{_OBJECT}", re.IGNORECASE)


def task(criterion: str, pattern: re.Pattern[str]) -> str | None:
    """The task verb a criterion starts with, or None when it states something else."""
    m = pattern.match(criterion)
    return None if m is None else " ".join(m.group("verb").lower().split())


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item once when most of its criteria are to-dos, naming them."""
    criteria = ctx.acceptance_criteria
    verbs: dict[str, str] = rule.params["verbs"]
    if not criteria or not verbs:
        return
    pattern = _pattern(tuple(verbs))
    tasks = [text for text in criteria if task(text, pattern)]
    # NOTE: a to-do among real outcomes ("Update the user guide" after five results) is a harmless reminder of
    # the Definition of Done; criteria made mostly of to-dos leave "done" undefined.
    if not tasks or len(tasks) <= rule.params["min_share"] * len(criteria):
        return
    yield rule.finding(
        match=f"{len(tasks)} of {len(criteria)}",
        excerpt=" · ".join(tasks)[:300],
        suggestion=(
            "Say what will be true when the work is done, as something the team can check: instead of "
            "'Refactor the importer', 'Importing a 10 MB file still takes under 5 seconds'."
        ),
        field="acceptance_criteria",
    )
