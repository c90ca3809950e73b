"""Item scores, readiness and the backlog health score (a first, documented model).

Item score: 100 minus a penalty per finding by severity (error 20, warning 8, info 2), floored at 0.
Backlog health: the mean of the mean item score and the share of ready items (in percent), so that a
backlog of tidy but unready items does not look healthy. Bands: 85 and above healthy, 60–84 needs attention, below 60
unhealthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from backlog_health.model import Finding, ItemResult

if TYPE_CHECKING:
    from backlog_health.checks import ItemContext

PENALTY = {"error": 20, "warning": 8, "info": 2}
BANDS = ((85, "healthy"), (60, "needs attention"), (0, "unhealthy"))
# Findings of these criteria at warning or error make an item not ready for sprint planning.
READY_CRITERIA = {
    "well_formed": "story is not well formed",
    "atomic": "story holds more than one feature",
    "unambiguous": "story uses vague terms",
    "testable": "acceptance criteria missing or not testable",
    "described": "no description",
    "unique": "duplicate of another item",
    "independent": "depends on other work",
}


def item_score(findings: Sequence[Finding]) -> int:
    """0–100 quality of one item from its findings."""
    return max(0, 100 - sum(PENALTY[finding.severity] for finding in findings))


def health_score(results: Sequence[ItemResult]) -> int:
    """0–100 health of the backlog from item quality and readiness (100 for an empty backlog)."""
    if not results:
        return 100
    quality = sum(result.score for result in results) / len(results)
    pct_ready = 100 * sum(1 for result in results if result.ready) / len(results)
    return round((quality + pct_ready) / 2)


def health_band(score: float) -> str:
    """The band a health score falls in."""
    return next(name for floor, name in BANDS if score >= floor)


def readiness(ctx: ItemContext, findings: Sequence[Finding]) -> tuple[bool, tuple[str, ...]]:
    """Whether the item is ready for sprint planning, and the reasons when it is not."""
    reasons = []
    for criterion, reason in READY_CRITERIA.items():
        if any(f.criterion == criterion and f.severity != "info" for f in findings) and reason not in reasons:
            reasons.append(reason)
    # NOTE: what the source cannot carry is not held against an item: a plain list of stories has no acceptance
    # criteria to show and no estimates; the report marks those checks as unknown instead.
    # NOTE: an estimate is asked of stories only, and only when the source can carry one at all.
    if ctx.is_story and ctx.item.estimate is None and ctx.source_has("estimate"):
        reasons.append("not estimated")
    return not reasons, tuple(reasons)
