"""Item scores, readiness (the Definition of Ready) and the backlog health score.

Item score: 100 minus, for each finding, the penalty of its severity (error 20, warning 8, info 2) times the
weight of its criterion (1 unless configured), floored at 0.
Backlog health: a weighted mean of item quality (the mean item score), readiness (the share of ready items, in
percent) and the backlog metrics (the share of metrics the source can measure that are within their targets);
by default 40 % quality, 40 % readiness, 20 % metrics, the metrics' weight going to the other two when none can
be measured. So a backlog of tidy but unready items does not look healthy. Bands: 85 and above healthy, 60–84
needs attention, below 60 unhealthy. Every part is configurable ([scoring]) and the report explains the score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

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
FULL_WEIGHT_METRICS = 4  # measurable backlog metrics from which the metrics part of the health score weighs fully
NO_CRITERIA = "no acceptance criteria"  # the reason a bug or task fails when criteria are asked of all items
READY_CRITERIA = {criterion: reason for criterion, reason in READY_CHECKS.values() if criterion}


@dataclass(frozen=True)
class Readiness:
    """A team's Definition of Ready: which checks count, their limits, and which items it applies to."""

    checks: frozenset[str] = frozenset(READY_CHECKS) - {"fresh"}  # names of READY_CHECKS that count
    max_estimate: float | None = 13  # "estimate_max": larger items should be split
    stale_days: int = 180  # "fresh": not updated for longer than this
    types: tuple[str, ...] = ()  # lowercase item types it applies to; empty: all
    labels: tuple[str, ...] = ()  # lowercase labels it applies to (any of them); empty: all
    criteria_for: str = "stories"  # "acceptance_criteria" asked of user stories only, or of "all" items

    def applies_to(self, item: BacklogItem) -> bool:
        """Whether the Definition of Ready applies to this item (others count as ready: it is not asked of them)."""
        if self.types and (item.type or "").strip().lower() not in self.types:
            return False
        return not self.labels or any(label.lower() in self.labels for label in item.labels)


@dataclass(frozen=True)
class Scoring:
    """How findings become item scores, and item scores, readiness and metrics the backlog's health."""

    penalties: Mapping[str, float] = field(default_factory=lambda: dict(PENALTY))  # severity → points lost
    criterion_weights: Mapping[str, float] = field(default_factory=dict)  # criterion → multiplier (default 1)
    weights: Mapping[str, float] = field(
        default_factory=lambda: {"quality": 0.4, "readiness": 0.4, "metrics": 0.2}
    )  # parts of the health score
    healthy: float = 85  # lowest healthy score
    attention: float = 60  # lowest score that only needs attention


@dataclass(frozen=True)
class Health:
    """The backlog health score and what it is made of."""

    score: int  # 0–100
    band: str  # "healthy", "needs attention" or "unhealthy"
    quality: float  # mean item score
    readiness: float  # percent of items ready
    metrics: float | None  # percent of measurable metrics within target; None when none can be measured
    weights: Mapping[str, float]  # weights used (metrics' weight moved to the others when it is None)
    off_target: tuple[str, ...]  # names of the metrics outside their targets

    @property
    def explanation(self) -> str:
        """'72 because item quality is 94, 45% of items are ready, and 2 of 5 backlog metrics are off target
        (ready depth, staleness)'."""
        parts = [
            f"item quality is {self.quality:.0f} (weight {self.weights['quality']:.0%})",
            f"{self.readiness:.0f}% of items are ready (weight {self.weights['readiness']:.0%})",
        ]
        if self.metrics is not None:
            names = ", ".join(name.replace("_", " ") for name in self.off_target)
            off = f", off target: {names}" if self.off_target else ""
            parts.append(
                f"{self.metrics:.0f}% of the backlog metrics are within target (weight "
                f"{self.weights['metrics']:.0%}{off})"
            )
        return f"{self.score} because " + ", ".join(parts[:-1]) + " and " + parts[-1]

    def to_dict(self) -> dict[str, Any]:
        """The `score` object of the JSON report."""
        return {
            "health_score": self.score,
            "band": self.band,
            "quality": round(self.quality, 1),
            "readiness": round(self.readiness, 1),
            "metrics": None if self.metrics is None else round(self.metrics, 1),
            "weights": dict(self.weights),
            "off_target": list(self.off_target),
            "explanation": self.explanation,
        }


def item_score(findings: Sequence[Finding], scoring: Scoring | None = None) -> int:
    """0–100 quality of one item from its findings."""
    scoring = scoring or Scoring()
    lost = sum(scoring.penalties.get(f.severity, 0) * scoring.criterion_weights.get(f.criterion, 1.0) for f in findings)
    return max(0, round(100 - lost))


def health(
    results: Sequence[ItemResult], metrics: Mapping[str, Any] | None = None, scoring: Scoring | None = None
) -> Health:
    """The backlog's health from item quality, readiness and the metrics' statuses (100 for an empty backlog)."""
    scoring = scoring or Scoring()
    if not results:
        return Health(100, health_band(100, scoring), 100.0, 100.0, None, _weights(scoring, 0), ())
    quality = sum(result.score for result in results) / len(results)
    readiness_pct = 100 * sum(1 for result in results if result.ready) / len(results)
    # NOTE: only metrics with a target count (counts by type or status describe, they do not judge), and only
    # those the source can measure.
    statuses = {
        name: value.get("status")
        for name, value in (metrics or {}).items()
        if isinstance(value, Mapping) and value.get("status") in {"ok", "warn"} and value.get("threshold") is not None
    }
    measured = bool(statuses) and scoring.weights.get("metrics", 0) > 0
    metrics_pct = 100 * sum(1 for status in statuses.values() if status == "ok") / len(statuses) if measured else None
    weights = _weights(scoring, len(statuses) if measured else 0)
    total = weights["quality"] * quality + weights["readiness"] * readiness_pct
    total += weights["metrics"] * (metrics_pct or 0)
    score = round(total)
    off = tuple(sorted(name for name, status in statuses.items() if status == "warn")) if measured else ()
    return Health(score, health_band(score, scoring), quality, readiness_pct, metrics_pct, weights, off)


def _weights(scoring: Scoring, n_measured: int) -> dict[str, float]:
    """The parts' weights, summing to 1. The metrics get their full weight from FULL_WEIGHT_METRICS measurable
    metrics on, a share of it below (one metric the source happens to carry cannot swing the score by 20 points),
    none without any; what they do not take goes to the other parts."""
    weights = {name: float(scoring.weights.get(name, 0)) for name in ("quality", "readiness", "metrics")}
    weights["metrics"] *= min(1.0, n_measured / FULL_WEIGHT_METRICS)
    total = sum(weights.values()) or 1.0
    return {name: value / total for name, value in weights.items()}


def health_band(score: float, scoring: Scoring | None = None) -> str:
    """The band a health score falls in."""
    scoring = scoring or Scoring()
    if score >= scoring.healthy:
        return "healthy"
    return "needs attention" if score >= scoring.attention else "unhealthy"


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
        # NOTE: an open blocking link is an info finding (nothing to fix in the text) but the item still waits.
        counted = [f for f in findings if f.criterion == criterion and (f.severity != "info" or name == "not_blocked")]
        if counted and reason not in reasons:
            reasons.append(reason)
    # NOTE: what the source cannot carry is not held against an item: a plain list of stories has no acceptance
    # criteria to show and no estimates; the report marks those checks as unknown instead.
    # NOTE: acceptance criteria of bugs and tasks too, when the team asks for them ([readiness] criteria_for).
    if (
        "acceptance_criteria" in settings.checks
        and settings.criteria_for == "all"
        and not ctx.is_story
        and not ctx.acceptance_criteria
        and ctx.source_has("description", "acceptance_criteria_field")
    ):
        reasons.append(NO_CRITERIA)
    # NOTE: an estimate is asked of stories only, and only when the source can carry one at all.
    if "estimated" in settings.checks and ctx.is_story and item.estimate is None and ctx.source_has("estimate"):
        reasons.append("not estimated")
    limit = settings.max_estimate if "estimate_max" in settings.checks else None
    if limit is not None and item.estimate is not None and item.estimate > limit:
        reasons.append(f"estimate {item.estimate:g} is above {limit:g}: split it")
    last = item.touched or item.updated  # a person's last update when the source tells bots apart
    if "fresh" in settings.checks and last is not None:
        days = ((now or datetime.now(timezone.utc)) - last).days
        if days > settings.stale_days:
            reasons.append(f"not updated for {days} days")
    return not reasons, tuple(reasons)
