"""What the next sprints will draw from: the top of the ranked backlog, by velocity when it is known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from backlog_health.model import BacklogItem, ItemResult

# NOTE: a velocity with tiny estimates could otherwise pull a whole backlog into "the next sprints".
MAX_PLANNING_ITEMS = 100


@dataclass(frozen=True)
class Planning:
    """The items the next sprints will draw from, and how they were chosen."""

    keys: tuple[str, ...]  # item keys, top of the backlog first
    basis: str  # in words: "the top 10 items by rank", "ranked items up to 60 points (2 sprints at 30)"
    sprints: float  # sprints looked ahead
    velocity: float | None  # estimate points per sprint, when configured
    n_points: float | None  # sum of the estimates of the chosen items, when any is estimated

    def to_dict(self) -> dict[str, Any]:
        """The `planning` object of the JSON report."""
        return {
            "items": list(self.keys),
            "basis": self.basis,
            "sprints": self.sprints,
            "velocity": self.velocity,
            "n_points": self.n_points,
        }


def ranked(results: Sequence[ItemResult]) -> list[ItemResult]:
    """Items by rank (unranked ones after, in backlog order)."""
    order = sorted(range(len(results)), key=lambda i: (results[i].item.rank is None, results[i].item.rank or 0, i))
    return [results[i] for i in order]


def next_sprints(
    results: Sequence[ItemResult], *, items: int = 10, sprints: float = 2, velocity: float | None = None
) -> Planning:
    """The top of the ranked backlog: up to sprints × velocity points when estimates exist, else `items` items."""
    order = ranked(results)
    by_rank = "by rank" if any(r.item.rank is not None for r in results) else "in backlog order"
    estimated = any(r.item.estimate is not None for r in results)
    if velocity and estimated:
        budget, total, chosen = sprints * velocity, 0.0, []
        for result in order:
            if total >= budget or len(chosen) >= MAX_PLANNING_ITEMS:
                break
            chosen.append(result)
            total += result.item.estimate or 0
        basis = f"ranked items up to {budget:g} points ({sprints:g} sprints at a velocity of {velocity:g}), {by_rank}"
    else:
        chosen = order[:items]
        basis = f"the top {len(chosen)} items {by_rank}"
        if velocity and not estimated:
            basis += " (no estimates to measure against the velocity)"
    points = sum(r.item.estimate or 0 for r in chosen) if estimated else None
    return Planning(tuple(r.item.key for r in chosen), basis, sprints, velocity, points)


# Closed sprints averaged into a derived velocity; fewer than the minimum say too little to plan by.
N_VELOCITY_SPRINTS = 3
MIN_VELOCITY_SPRINTS = 2


def derived_velocity(items: Sequence[BacklogItem]) -> tuple[float, tuple[str, ...]] | None:
    """Estimate points finished per sprint, from the done items of the last closed sprints the source gave.

    A sprint counts when it holds done, estimated items and no open ones (so the current sprint does not);
    sprints are ordered by the last update of their items, the latest N_VELOCITY_SPRINTS are averaged; with
    fewer than MIN_VELOCITY_SPRINTS closed sprints there is no derived velocity.
    """
    done: dict[str, list[BacklogItem]] = {}
    still_open: set[str] = set()
    for item in items:
        if not item.sprint:
            continue
        if item.status_category == "done":
            done.setdefault(item.sprint, []).append(item)
        else:
            still_open.add(item.sprint)
    closed = {
        name: members
        for name, members in done.items()
        if name not in still_open and any(member.estimate is not None for member in members)
    }
    if len(closed) < MIN_VELOCITY_SPRINTS:
        return None
    floor = datetime.min.replace(tzinfo=timezone.utc)

    def finished(name: str) -> datetime:
        return max((member.updated or member.created or floor) for member in closed[name])

    latest = sorted(closed, key=finished)[-N_VELOCITY_SPRINTS:]
    points = [sum(member.estimate or 0 for member in closed[name]) for name in latest]
    return sum(points) / len(points), tuple(latest)
