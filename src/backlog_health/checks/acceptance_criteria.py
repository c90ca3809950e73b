"""The item has no acceptance criteria (or fewer than a team requires)."""

from __future__ import annotations

from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "acceptance_criteria_missing"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "min_criteria": Param(int, "the least number of criteria an item needs", default=1),
}

_SUGGESTION = (
    "Add an 'Acceptance criteria' section with observable outcomes, e.g. "
    "'Given <context>, when <action>, then <result>' or a checklist of conditions the team can test."
)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item when fewer than `min_criteria` criteria were found."""
    if len(ctx.acceptance_criteria) < rule.params["min_criteria"]:
        yield rule.finding(field="description", suggestion=_SUGGESTION)
