"""Item scores, readiness and the backlog health score (a first, documented model).

Item score: 100 minus a penalty per finding by severity (error 20, warning 8, info 2), floored at 0.
Backlog health: the mean of the mean item score and the share of ready items (in percent), so that a
backlog of tidy but unready items does not look healthy. Bands: 85 and above healthy, 60–84 needs attention, below 60
unhealthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from backlog_health.model import BacklogItem, Finding, ItemResult

if TYPE_CHECKING:
    from backlog_health.checks import ItemContext

PENALTY = {"error": 20, "warning": 8, "info": 2}
BANDS = ((85, "healthy"), (60, "needs attention"), (0, "unhealthy"))
# The readiness checks (Definition of Ready): check name → (the criterion whose warnings and errors fail it, or
# None for a check on the item's fields, and the reason shown when it fails).
READY_CHECKS: dict[str, tuple[str | None, str]] = {
    "story_form": ("well_formed", "story is not well formed"),
    "one_feature": ("atomic", "story holds more than one feature"),
    "clear_wording": ("unambiguous", "story uses vague terms"),
    "acceptance_criteria": ("testable", "acceptance criteria missing or not testable"),
    "described": ("described", "no description"),
    "unique": ("unique", "duplicate of another item"),
    "not_blocked": ("independent", "depends on other work"),
    "estimated": (None, "not estimated"),
    "estimate_max": (None, "estimate above the maximum: split it"),
    "fresh": (None, "not updated for a long time"),
}
READY_CRITERIA = {criterion: reason for criterion, reason in READY_CHECKS.values() if criterion}


@dataclass(frozen=True)
class Readiness:
    """A team's Definition of Ready: which checks count, their limits, and which items it applies to."""

    checks: frozenset[str] = frozenset(READY_CHECKS) - {"fresh"}  # names of READY_CHECKS that count
    max_estimate: float | None = 13  # "estimate_max": larger items should be split
    stale_days: int = 180  # "fresh": not updated for longer than this
    types: tuple[str, ...] = ()  # lowercase item types it applies to; empty: all
    labels: tuple[str, ...] = ()  # lowercase labels it applies to (any of them); empty: all

    def applies_to(self, item: BacklogItem) -> bool:
        """Whether the Definition of Ready applies to this item (others count as ready: it is not asked of them)."""
        if self.types and (item.type or "").strip().lower() not in self.types:
            return False
        return not self.labels or any(label.lower() in self.labels for label in item.labels)


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


def readiness(
    ctx: ItemContext, findings: Sequence[Finding], settings: Readiness = Readiness(), now: datetime | None = None
) -> tuple[bool, tuple[str, ...]]:
    """Whether the item is ready for sprint planning, and the reasons when it is not."""
    item = ctx.item
    if not settings.applies_to(item):
        return True, ()
    reasons = []
    for name, (criterion, reason) in READY_CHECKS.items():
        if name not in settings.checks or criterion is None:
            continue
        if any(f.criterion == criterion and f.severity != "info" for f in findings) and reason not in reasons:
            reasons.append(reason)
    # NOTE: what the source cannot carry is not held against an item: a plain list of stories has no acceptance
    # criteria to show and no estimates; the report marks those checks as unknown instead.
    # NOTE: an estimate is asked of stories only, and only when the source can carry one at all.
    if "estimated" in settings.checks and ctx.is_story and item.estimate is None and ctx.source_has("estimate"):
        reasons.append("not estimated")
    limit = settings.max_estimate if "estimate_max" in settings.checks else None
    if limit is not None and item.estimate is not None and item.estimate > limit:
        reasons.append(f"estimate {item.estimate:g} is above {limit:g}: split it")
    if "fresh" in settings.checks and item.updated is not None:
        days = ((now or datetime.now(timezone.utc)) - item.updated).days
        if days > settings.stale_days:
            reasons.append(f"not updated for {days} days")
    return not reasons, tuple(reasons)
