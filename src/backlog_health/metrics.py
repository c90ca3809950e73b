"""Backlog-level metrics: how deep the ready work is, and how estimated, prioritized, fresh and linked the backlog is.

Every metric is a JSON-ready dict: `value`, the counts behind it, `threshold`, `status` ("ok", "warn" or
"unknown") and `reason` (why it is unknown, else None). Metrics count open items only: done items are not
backlog. `python -m backlog_health.metrics > docs/metrics.md` writes the reference page from `METRICS`.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from backlog_health.model import BacklogItem, ItemResult
from backlog_health.planning import ranked

OK, WARN, UNKNOWN = "ok", "warn", "unknown"

# Default thresholds of the metrics MetricSettings does not configure.
MIN_PCT_ESTIMATED = 50.0  # estimate_coverage warns below this share of stories estimated
MIN_PCT_PRIORITIZED = 80.0  # priority warns below this share of items with a priority
MAX_PCT_STALE = 20.0  # staleness warns above this share of stale items
MAX_MEDIAN_AGE_DAYS = 365  # age warns when the median item is older than this
MAX_PCT_ORPHANS = 20.0  # orphans warns above this share of items without an epic
MAX_SIZE_SPRINTS = 12.0  # size_in_sprints warns above this many sprints of estimated work

# Links that make an item wait for the other one (the same relations as rule IN02).
BLOCKING_LINKS = frozenset({"is blocked by", "depends on", "is dependent on", "requires", "has to be done after"})
DUPLICATE_RULES = frozenset({"UQ01", "UQ02"})
# NOTE: epics are containers: their estimates repeat their children's and they are never pulled into a sprint.
CONTAINER_TYPES = frozenset({"epic"})
# Upper bounds in days of the age bins (a month is 30 days, a year 365).
AGE_BINS: tuple[tuple[str, float], ...] = (
    ("<1 month", 30),
    ("1-3 months", 91),
    ("3-6 months", 182),
    ("6-12 months", 365),
    ("1-2 years", 730),
    (">2 years", float("inf")),
)


@dataclass(frozen=True)
class MetricSettings:
    """The settings the metrics are judged by."""

    velocity: float | None = None  # estimate points per sprint (config); None: unknown
    sprints: float = 2  # sprints ahead for ready depth
    max_estimate: float = 13  # above this an item is oversized (split it)
    stale_days: int = 90  # not updated for this long: stale
    stale_exempt_labels: tuple[str, ...] = ("icebox", "someday", "parked")  # compared case-insensitively
    top_priorities: tuple[str, ...] = ("highest", "blocker", "critical", "p0", "urgent")  # case-insensitive
    priority_inflation: float = 0.25  # share at the top priority above which priorities stop ordering anything
    # lowercase issue types written as user stories (items without a type count as stories too)
    story_types: tuple[str, ...] = ("story", "user story", "feature", "new feature", "requirement", "enhancement")


@dataclass(frozen=True)
class MetricDoc:
    """What one metric means, for the docs page and the reports."""

    name: str  # key in the metrics dict
    title: str  # short heading
    unit: str  # what `value` is measured in
    definition: str  # what is counted
    why: str  # why a Product Owner should care
    threshold: str  # the default threshold, in words
    fields: tuple[str, ...]  # BacklogItem fields the metric needs; without them it is unknown


METRICS: dict[str, MetricDoc] = {
    doc.name: doc
    for doc in (
        MetricDoc(
            "ready_depth",
            "Ready depth",
            "sprints",
            "The estimates of the ready items at the top of the ranked backlog, in rank order up to the first item "
            "that is not ready, divided by the velocity. The counts also give all ready points anywhere in the "
            "backlog, and how many of the items the next sprints draw from are ready.",
            "A team can plan a sprint only from ready work. With less than about two sprints of it at the top, "
            "the next planning meeting turns into a refinement session; far more means refining too early.",
            "warn below the `sprints` setting (2); unknown without a velocity or estimates",
            ("estimate",),
        ),
        MetricDoc(
            "estimate_coverage",
            "Estimate coverage",
            "% of stories",
            "The share of open stories (items of a story type, or without a type) that carry an estimate; an "
            "estimate of 0 counts as an estimate.",
            "Without estimates there is no forecast: nobody can tell what fits in a sprint or when a release is "
            "done. Items lower in the backlog may stay unestimated, so half is enough overall.",
            f"warn below {MIN_PCT_ESTIMATED:g}%",
            ("estimate",),
        ),
        MetricDoc(
            "oversized",
            "Oversized items",
            "items",
            "Open items (epics left out) whose estimate is above `max_estimate` (13), with their keys.",
            "An item that big rarely fits in a sprint and hides unknowns; split it into stories that each deliver "
            "value on their own.",
            "warn at 1 or more",
            ("estimate",),
        ),
        MetricDoc(
            "priority",
            "Priority",
            "% of items",
            "The share of open items with a priority. `inflation` is the share of prioritized items at a top "
            "priority (`top_priorities`, compared case-insensitively).",
            "When most items are top priority, priority orders nothing and the team cannot tell what comes first.",
            f"warn below {MIN_PCT_PRIORITIZED:g}% prioritized, or above `priority_inflation` (25%) at the top",
            ("priority",),
        ),
        MetricDoc(
            "staleness",
            "Staleness",
            "% of items",
            "The share of open items not updated for `stale_days` (90) or more, with their keys. Updates by bots and "
            "automation do not count where the source tells them apart (Jira's change history). Items labelled "
            "`stale_exempt_labels` (icebox, someday, parked) are left out; an item without an update time counts "
            "from its creation; items with neither are counted apart.",
            "Items nobody touched for months are rarely still wanted as written; they bury the live work and make "
            "the backlog look bigger than it is. Close them or refine them.",
            f"warn above {MAX_PCT_STALE:g}%",
            ("updated", "created"),
        ),
        MetricDoc(
            "age",
            "Age",
            "days (median)",
            "The median number of days since open items were created, and how many fall in each bin: <1 month, "
            "1-3 months, 3-6 months, 6-12 months, 1-2 years, >2 years (a month is 30 days).",
            "A backlog whose typical item is over a year old is a wish list rather than a plan.",
            f"warn when the median is above {MAX_MEDIAN_AGE_DAYS} days",
            ("created",),
        ),
        MetricDoc(
            "orphans",
            "Orphans",
            "% of items",
            "The share of open items (epics left out) without a parent, with their keys. Counted only where the "
            "team uses epics, that is when some item has a parent.",
            "An item outside every epic is outside the product roadmap: nobody can say which goal it serves.",
            f"warn above {MAX_PCT_ORPHANS:g}%; unknown when no item has a parent",
            ("parent",),
        ),
        MetricDoc(
            "blocked",
            "Blocked items",
            "items",
            "Open items with a link that makes them wait ('is blocked by', 'depends on' …) for an item that is "
            "known not to be done, with their keys and how many of them the next sprints draw from.",
            "A blocked item cannot be finished in a sprint on its own; near the top of the backlog it will stall "
            "the sprint unless the blocker is planned first.",
            "warn when an item the next sprints draw from is blocked (without planning: when any item is)",
            ("links",),
        ),
        MetricDoc(
            "duplicates",
            "Duplicates",
            "items",
            "Items flagged as exact or near duplicates (rules UQ01 and UQ02), and the clusters they form.",
            "Duplicates split the discussion, the estimates and the history of one need; the team may build it twice.",
            "warn at 1 or more",
            (),
        ),
        MetricDoc(
            "size_in_sprints",
            "Size in sprints",
            "sprints",
            "The sum of the estimates of open items (epics left out) divided by the velocity; unestimated items "
            "add nothing, so with any of them this is a lower bound.",
            "A backlog far longer than anyone can foresee is mostly inventory: what sits beyond half a year will "
            "change before it is built.",
            f"warn above {MAX_SIZE_SPRINTS:g} sprints; unknown without a velocity or estimates",
            ("estimate",),
        ),
        MetricDoc(
            "by_type",
            "Items by type",
            "items per type",
            "Open items counted by issue type, most first; `(no type)` for items without one.",
            "Shows the mix of new value and upkeep (stories against bugs and tasks) at a glance.",
            "none (informative)",
            ("type",),
        ),
        MetricDoc(
            "by_status",
            "Items by status",
            "items per status",
            "Open items counted by status name, most first, and by status category (todo, in_progress, none).",
            "Much work in progress in the backlog means work is started and not finished.",
            "none (informative)",
            ("status",),
        ),
    )
}


@dataclass(frozen=True)
class _Backlog:
    """The open items in rank order, and what the run knows about them."""

    results: tuple[ItemResult, ...]  # open items, ranked
    settings: MetricSettings
    now: datetime
    carried: frozenset[str]  # BacklogItem fields the source fills
    planning_keys: frozenset[str]

    @cached_property
    def items(self) -> list[BacklogItem]:
        return [result.item for result in self.results]

    @cached_property
    def work(self) -> list[BacklogItem]:
        """Items a sprint can pull in: epics left out."""
        return [item for item in self.items if not _is_container(item)]


def backlog_metrics(
    results: Sequence[ItemResult],
    settings: MetricSettings,
    now: datetime,
    source_fields: frozenset[str] = frozenset(),
    planning_keys: Sequence[str] = (),
) -> dict[str, Any]:
    """Every metric of METRICS over the open items; `source_fields` empty means the source did not say."""
    open_results = tuple(result for result in ranked(results) if result.item.status_category != "done")
    backlog = _Backlog(
        results=open_results,
        settings=settings,
        now=_utc(now),
        carried=_carried_fields([result.item for result in results], source_fields),
        planning_keys=frozenset(planning_keys),
    )
    builders = {
        "ready_depth": _ready_depth,
        "estimate_coverage": _estimate_coverage,
        "oversized": _oversized,
        "priority": _priority,
        "staleness": _staleness,
        "age": _age,
        "orphans": _orphans,
        "blocked": _blocked,
        "duplicates": _duplicates,
        "size_in_sprints": _size_in_sprints,
        "by_type": _by_type,
        "by_status": _by_status,
    }
    return {name: builders[name](backlog) for name in METRICS}


def metrics_doc() -> str:
    """The metrics reference page (docs/metrics.md)."""
    parts = [
        "<!-- Generated by `python -m backlog_health.metrics > docs/metrics.md` from METRICS. Do not edit. -->",
        "",
        "# Backlog metrics",
        "",
        (
            "Metrics describe the backlog as a whole: its open items (done items are left out). Each one has a "
            "value, the counts behind it, a threshold and a status: `ok`, `warn`, or `unknown` when the source "
            "cannot carry the data it needs (a metric is never 0 for lack of data) or there is nothing to measure."
        ),
        "",
        "| metric | value | default threshold |",
        "|---|---|---|",
    ]
    parts += [f"| [{doc.name}](#{doc.name}) | {doc.unit} | {doc.threshold} |" for doc in METRICS.values()]
    for doc in METRICS.values():
        needs = ", ".join(f"`{field}`" for field in doc.fields) or "the findings of UQ01 and UQ02"
        parts += [
            "",
            f"## {doc.name}",
            "",
            f"**{doc.title}** · value in {doc.unit} · needs {needs}",
            "",
            f"**Definition:** {doc.definition}",
            "",
            f"**Why it matters:** {doc.why}",
            "",
            f"**Default threshold:** {doc.threshold}",
        ]
    return "\n".join(parts) + "\n"


# --- the metrics ---------------------------------------------------------------------------------------------


def _ready_depth(backlog: _Backlog) -> dict[str, Any]:
    settings, work = backlog.settings, [result for result in backlog.results if not _is_container(result.item)]
    # NOTE: ready work counts in rank order up to the first item that is not ready: a sprint is planned from the
    # top, so a ready item behind an unrefined one does not make the next planning meeting any easier.
    points_run: float = 0
    n_run, n_unestimated, first_not_ready = 0, 0, None
    for result in work:
        if not result.ready:
            first_not_ready = result.item.key
            break
        n_run += 1
        points_run += result.item.estimate or 0
        n_unestimated += result.item.estimate is None
    planned = [result for result in work if result.item.key in backlog.planning_keys]
    counts = {
        "n_items": len(work),
        "n_ready": sum(result.ready for result in work),
        "n_ready_top": n_run,
        "n_points_top": points_run,
        "n_unestimated_top": n_unestimated,
        "first_not_ready": first_not_ready,
        "n_points_ready": sum(result.item.estimate or 0 for result in work if result.ready),
        "n_planned": len(planned),
        "n_planned_ready": sum(result.ready for result in planned),
        "velocity": settings.velocity,
    }
    reason = _velocity_reason(backlog)
    if reason:
        return _unknown(reason, settings.sprints, **counts)
    value = points_run / settings.velocity
    return _metric(round(value, 2), value < settings.sprints, settings.sprints, **counts)


def _estimate_coverage(backlog: _Backlog) -> dict[str, Any]:
    types = {name.lower() for name in backlog.settings.story_types}
    stories = [item for item in backlog.items if item.type is None or item.type.strip().lower() in types]
    n_estimated = sum(item.estimate is not None for item in stories)
    counts = {"n_items": len(stories), "n_estimated": n_estimated}
    reason = _field_reason(backlog, "estimate", "estimates") or (not stories and "the backlog has no open stories")
    if reason:
        return _unknown(reason, MIN_PCT_ESTIMATED, **counts)
    pct = _pct(n_estimated, len(stories))
    return _metric(pct, pct < MIN_PCT_ESTIMATED, MIN_PCT_ESTIMATED, **counts)


def _oversized(backlog: _Backlog) -> dict[str, Any]:
    limit = backlog.settings.max_estimate
    keys = [item.key for item in backlog.work if item.estimate is not None and item.estimate > limit]
    counts = {"n_estimated": sum(item.estimate is not None for item in backlog.work), "max_estimate": limit}
    reason = _field_reason(backlog, "estimate", "estimates")
    if reason:
        return _unknown(reason, 0, **counts, keys=[])
    return _metric(len(keys), len(keys) > 0, 0, **counts, keys=keys)


def _priority(backlog: _Backlog) -> dict[str, Any]:
    settings, items = backlog.settings, backlog.items
    top = {name.strip().lower() for name in settings.top_priorities}
    prioritized = [item.priority.strip() for item in items if item.priority and item.priority.strip()]
    n_top = sum(name.lower() in top for name in prioritized)
    max_pct_top = round(100 * settings.priority_inflation, 1)
    counts = {"n_items": len(items), "n_prioritized": len(prioritized), "n_levels": len(set(prioritized))}
    reason = _field_reason(backlog, "priority", "priorities") or (not items and "the backlog has no open items")
    if reason:
        inflation = _unknown(reason, max_pct_top, n_top=n_top, n_prioritized=len(prioritized))
        return _unknown(reason, MIN_PCT_PRIORITIZED, **counts, inflation=inflation)
    if prioritized:
        pct_top = _pct(n_top, len(prioritized))
        inflation = _metric(pct_top, pct_top > max_pct_top, max_pct_top, n_top=n_top, n_prioritized=len(prioritized))
    else:
        inflation = _unknown("no item has a priority", max_pct_top, n_top=0, n_prioritized=0)
    pct = _pct(len(prioritized), len(items))
    warn = pct < MIN_PCT_PRIORITIZED or inflation["status"] == WARN
    return _metric(pct, warn, MIN_PCT_PRIORITIZED, **counts, inflation=inflation)


def _staleness(backlog: _Backlog) -> dict[str, Any]:
    settings = backlog.settings
    exempt_labels = {label.lower() for label in settings.stale_exempt_labels}
    is_exempt = [bool(exempt_labels & {label.lower() for label in item.labels}) for item in backlog.items]
    considered = [item for item, exempt in zip(backlog.items, is_exempt) if not exempt]
    # NOTE: the last update by a person when the source tells it apart from bots' and automation's updates.
    dated = [
        (item, item.touched or item.updated or item.created)
        for item in considered
        if item.touched or item.updated or item.created
    ]
    # NOTE: an item updated exactly `stale_days` ago is stale: "not updated for 90 days" includes day 90.
    keys = [item.key for item, when in dated if _days(backlog.now, when) >= settings.stale_days]
    counts = {
        "n_items": len(dated),
        "n_stale": len(keys),
        "n_exempt": sum(is_exempt),
        "n_undated": len(considered) - len(dated),
        "stale_days": settings.stale_days,
    }
    reason = _field_reason(backlog, "updated", "update times") and _field_reason(backlog, "created", "dates")
    reason = reason or (not dated and "no open item has an update or creation time")
    if reason:
        return _unknown(reason, MAX_PCT_STALE, **counts, keys=[])
    pct = _pct(len(keys), len(dated))
    return _metric(pct, pct > MAX_PCT_STALE, MAX_PCT_STALE, **counts, keys=keys)


def _age(backlog: _Backlog) -> dict[str, Any]:
    ages = [_days(backlog.now, item.created) for item in backlog.items if item.created]
    bins = dict.fromkeys((label for label, _ in AGE_BINS), 0)
    for days in ages:
        bins[next(label for label, upper in AGE_BINS if days < upper)] += 1
    counts = {"n_items": len(ages), "n_undated": len(backlog.items) - len(ages), "bins": bins}
    reason = _field_reason(backlog, "created", "creation dates") or (not ages and "no open item has a creation date")
    if reason:
        return _unknown(reason, MAX_MEDIAN_AGE_DAYS, **counts)
    median = statistics.median(ages)
    return _metric(median, median > MAX_MEDIAN_AGE_DAYS, MAX_MEDIAN_AGE_DAYS, **counts)


def _orphans(backlog: _Backlog) -> dict[str, Any]:
    work = backlog.work
    keys = [item.key for item in work if not item.parent]
    counts = {"n_items": len(work), "n_orphans": len(keys)}
    reason = _field_reason(backlog, "parent", "parents") or (
        len(keys) == len(work) and "no item has a parent: the team does not use epics"
    )
    if reason:
        return _unknown(reason, MAX_PCT_ORPHANS, **counts, keys=[])
    pct = _pct(len(keys), len(work))
    return _metric(pct, pct > MAX_PCT_ORPHANS, MAX_PCT_ORPHANS, **counts, keys=keys)


def _blocked(backlog: _Backlog) -> dict[str, Any]:
    # NOTE: as rule IN02 does by default, only links to items known not to be done block: an unknown status
    # is not evidence of a blocker.
    keys = [
        item.key
        for item in backlog.items
        if any(
            link.kind.strip().lower() in BLOCKING_LINKS and link.status_category in ("todo", "in_progress")
            for link in item.links
        )
    ]
    planned = [key for key in keys if key in backlog.planning_keys]
    counts = {"n_items": len(backlog.items), "n_planned_blocked": len(planned), "planned_keys": planned}
    reason = _field_reason(backlog, "links", "links")
    if reason:
        return _unknown(reason, 0, **counts, keys=[])
    # NOTE: a blocked item deep in the backlog has time to be unblocked; one the next sprints draw from does not.
    warn = bool(planned) if backlog.planning_keys else bool(keys)
    return _metric(len(keys), warn, 0, **counts, keys=keys)


def _duplicates(backlog: _Backlog) -> dict[str, Any]:
    flagged = {
        result.item.key: [finding.message for finding in result.findings if finding.rule in DUPLICATE_RULES]
        for result in backlog.results
    }
    flagged = {key: messages for key, messages in flagged.items() if messages}
    clusters = _clusters(list(flagged), flagged)
    return _metric(len(flagged), bool(flagged), 0, n_clusters=len(clusters), clusters=clusters)


def _size_in_sprints(backlog: _Backlog) -> dict[str, Any]:
    work = backlog.work
    estimated = [item.estimate for item in work if item.estimate is not None]
    counts = {
        "n_items": len(work),
        "n_points": sum(estimated),
        "n_unestimated": len(work) - len(estimated),
        "velocity": backlog.settings.velocity,
    }
    reason = _velocity_reason(backlog)
    if reason:
        return _unknown(reason, MAX_SIZE_SPRINTS, **counts)
    value = round(sum(estimated) / backlog.settings.velocity, 2)
    return _metric(value, value > MAX_SIZE_SPRINTS, MAX_SIZE_SPRINTS, **counts)


def _by_type(backlog: _Backlog) -> dict[str, Any]:
    counts = _tally((item.type or "").strip() or "(no type)" for item in backlog.items)
    reason = _field_reason(backlog, "type", "issue types")
    if reason:
        return _unknown(reason, None, n_items=len(backlog.items))
    return _metric(counts, False, None, n_items=len(backlog.items))


def _by_status(backlog: _Backlog) -> dict[str, Any]:
    counts = _tally((item.status or "").strip() or "(no status)" for item in backlog.items)
    categories = _tally(item.status_category or "none" for item in backlog.items)
    reason = _field_reason(backlog, "status", "statuses")
    if reason:
        return _unknown(reason, None, n_items=len(backlog.items), by_category=categories)
    return _metric(counts, False, None, n_items=len(backlog.items), by_category=categories)


# --- helpers -------------------------------------------------------------------------------------------------


def _metric(value: Any, warn: bool, threshold: Any, **counts: Any) -> dict[str, Any]:
    return {"value": value, **counts, "threshold": threshold, "status": WARN if warn else OK, "reason": None}


def _unknown(reason: str, threshold: Any, **counts: Any) -> dict[str, Any]:
    return {"value": None, **counts, "threshold": threshold, "status": UNKNOWN, "reason": reason}


def _carried_fields(items: Sequence[BacklogItem], source_fields: frozenset[str]) -> frozenset[str]:
    """Fields the source fills: as it declares them, else those that some item fills."""
    if source_fields:
        return source_fields
    # NOTE: a source that does not declare its fields carries a field when some item has it; a backlog where
    # no item has an estimate says nothing about estimates, so those metrics are unknown rather than 0.
    names = ("estimate", "priority", "updated", "created", "parent", "links", "type", "status")
    return frozenset(name for name in names if any(getattr(item, name) not in (None, "", ()) for item in items))


def _field_reason(backlog: _Backlog, field: str, noun: str) -> str | None:
    return None if field in backlog.carried else f"the source has no {noun}"


def _velocity_reason(backlog: _Backlog) -> str | None:
    velocity = backlog.settings.velocity
    if velocity is None:
        return "no velocity is configured"
    if velocity <= 0:
        return "the velocity is not above 0"
    return _field_reason(backlog, "estimate", "estimates")


def _is_container(item: BacklogItem) -> bool:
    return (item.type or "").strip().lower() in CONTAINER_TYPES


def _utc(when: datetime) -> datetime:
    """Times without a zone are UTC."""
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


def _days(now: datetime, when: datetime) -> int:
    """Whole days from `when` to `now`; a time in the future is 0 days ago."""
    return max(0, (now - _utc(when)).days)


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1)


def _tally(names: Any) -> dict[str, int]:
    """Counts by name, most first, then by name."""
    return dict(sorted(Counter(names).items(), key=lambda pair: (-pair[1], pair[0])))


_KEY_LIST_TAIL = re.compile(r"\s*\(in a cluster of \d+ items\)|\s+and \d+ more")


def _clusters(keys: list[str], messages: dict[str, list[str]]) -> list[list[str]]:
    """Group flagged items that name each other in their duplicate findings, in rank order."""
    parent = {key: key for key in keys}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key in keys:
        for message in messages[key]:
            # NOTE: the findings name the other members as "A-1, A-2 and 3 more (in a cluster of 6 items)";
            # the counts are dropped first so that a numeric key never matches them.
            for token in re.split(r"[\s,:;]+", _KEY_LIST_TAIL.sub("", message)):
                if token in parent and token != key:
                    parent[find(token)] = find(key)
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


if __name__ == "__main__":  # write the reference page: python -m backlog_health.metrics > docs/metrics.md
    print(metrics_doc(), end="")
