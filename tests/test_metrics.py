"""Backlog metrics on small hand-built backlogs whose right answers are worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from backlog_health.metrics import METRICS, MetricSettings, backlog_metrics, metrics_doc
from backlog_health.model import BacklogItem, Finding, ItemResult, Link

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
ALL_FIELDS = frozenset({"estimate", "priority", "updated", "created", "parent", "links", "type", "status", "rank"})


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def res(key: str, ready: bool = False, rules: tuple[tuple[str, str], ...] = (), **fields: Any) -> ItemResult:
    """An analyzed item; `rules` are (rule id, message) findings."""
    findings = tuple(Finding(rule, "unique", "warning", message) for rule, message in rules)
    item = BacklogItem(key=key, title=f"Item {key}", **fields)
    return ItemResult(item, None, (), findings, ready, () if ready else ("not refined",), 100)


# The ready-depth backlog: A and B ready at the top, C not ready, D ready behind it.
RANKED = [
    res("D", ready=True, rank=4, estimate=13),
    res("C", ready=False, rank=3, estimate=3),
    res("B", ready=True, rank=2, estimate=8),
    res("A", ready=True, rank=1, estimate=5),
]
DUPLICATES = [
    res("A", rules=(("UQ01", "Merge or tell apart: the same title as B"),)),
    res("B", rules=(("UQ01", "Merge or tell apart: the same title as A"),)),
    res("C", rules=(("UQ02", "Merge or tell apart: nearly the same as D, E"),)),
    res("D", rules=(("UQ02", "Merge or tell apart: nearly the same as C"),)),
    res("E", rules=(("UQ02", "Merge or tell apart: nearly the same as C and 1 more (in a cluster of 3 items)"),)),
    res("F", rules=(("AM01", "Say how fast: A"),)),
]
NUMERIC_DUPLICATES = [
    res("1", rules=(("UQ01", "Merge or tell apart: the same title as 2"),)),
    res("2", rules=(("UQ01", "Merge or tell apart: the same title as 1"),)),
    res("3", rules=(("UQ02", "Merge or tell apart: nearly the same as 4 (in a cluster of 2 items)"),)),
    res("4", rules=(("UQ02", "Merge or tell apart: nearly the same as 3 and 2 more"),)),
]
BLOCKED = [
    res("A", links=(Link("is blocked by", "X", "todo"),)),
    res("B", links=(Link("Depends on", "Y", "in_progress"),)),
    res("C", links=(Link("is blocked by", "Z", "done"),)),
    res("D", links=(Link("relates to", "W", "todo"),)),
    res("E", links=(Link("is blocked by", "V", None),)),
]

V10 = MetricSettings(velocity=10)

# (case id, results, settings, keyword arguments, metric, expected subset of the metric)
CASES: list[tuple[str, list[ItemResult], MetricSettings, dict[str, Any], str, dict[str, Any]]] = [
    # ready_depth: A (5) and B (8) are ready at the top, C stops the run: 13 points / 10 = 1.3 sprints < 2.
    (
        "ready depth stops at the first item that is not ready",
        RANKED,
        V10,
        {},
        "ready_depth",
        {
            "value": 1.3,
            "status": "warn",
            "threshold": 2,
            "n_ready_top": 2,
            "n_points_top": 13,
            "first_not_ready": "C",
            "n_ready": 3,
            "n_points_ready": 26,
            "n_items": 4,
        },
    ),
    ("ready depth of 13 points at velocity 5", RANKED, MetricSettings(velocity=5), {}, "ready_depth", {"value": 2.6}),
    (
        "ready depth at 2 sprints exactly is ok",
        RANKED,
        MetricSettings(velocity=6.5),
        {},
        "ready_depth",
        {"status": "ok"},
    ),
    (
        "ready depth counts the planned items that are ready",
        RANKED,
        V10,
        {"planning_keys": ("A", "C")},
        "ready_depth",
        {"n_planned": 2, "n_planned_ready": 1},
    ),
    (
        "ready depth without velocity is unknown, counts kept",
        RANKED,
        MetricSettings(),
        {},
        "ready_depth",
        {"value": None, "status": "unknown", "reason": "no velocity is configured", "n_points_top": 13},
    ),
    (
        "ready depth with a velocity of 0 is unknown",
        RANKED,
        MetricSettings(velocity=0),
        {},
        "ready_depth",
        {"value": None, "status": "unknown"},
    ),
    (
        "ready depth from a source without estimates is unknown",
        RANKED,
        V10,
        {"source_fields": frozenset({"rank", "priority"})},
        "ready_depth",
        {"value": None, "status": "unknown", "reason": "the source has no estimates"},
    ),
    (
        "ready depth of ready items estimated 0 is 0 sprints, not unknown",
        [res("A", ready=True, rank=1, estimate=0), res("B", ready=True, rank=2, estimate=0)],
        V10,
        {},
        "ready_depth",
        {"value": 0.0, "status": "warn", "n_ready_top": 2, "first_not_ready": None},
    ),
    (
        "ready depth follows rank, not list order",
        [res("B", ready=True, rank=2, estimate=30), res("A", ready=False, rank=1, estimate=1)],
        V10,
        {},
        "ready_depth",
        {"value": 0.0, "first_not_ready": "A", "n_points_ready": 30},
    ),
    (
        "ready depth skips epics and done items at the top",
        [
            res("E", type="Epic", rank=1, estimate=100),
            res("X", status_category="done", rank=2, estimate=5),
            res("A", ready=True, rank=3, estimate=20, type="Story"),
            res("B", ready=True, rank=4, type="Story"),
        ],
        V10,
        {},
        "ready_depth",
        {"value": 2.0, "status": "ok", "n_items": 2, "n_unestimated_top": 1},
    ),
    # estimate_coverage: stories A (3), B (untyped, none), D (0) — the bug does not count: 2 of 3.
    (
        "estimate coverage counts stories and untyped items; 0 is an estimate",
        [
            res("A", type="Story", estimate=3),
            res("B"),
            res("C", type="Bug"),
            res("D", type="story", estimate=0),
        ],
        MetricSettings(),
        {},
        "estimate_coverage",
        {"value": 66.7, "n_items": 3, "n_estimated": 2, "status": "ok", "threshold": 50.0},
    ),
    (
        "estimate coverage below half warns",
        [res("A", type="Story", estimate=3), res("B", type="Story"), res("C", type="Story")],
        MetricSettings(),
        {},
        "estimate_coverage",
        {"value": 33.3, "status": "warn"},
    ),
    (
        "estimate coverage with no estimate anywhere and no declared fields is unknown, not 0",
        [res("A", type="Story"), res("B", type="Story")],
        MetricSettings(),
        {},
        "estimate_coverage",
        {"value": None, "status": "unknown", "n_estimated": 0},
    ),
    (
        "estimate coverage from a source that declares estimates is 0",
        [res("A", type="Story"), res("B", type="Story")],
        MetricSettings(),
        {"source_fields": frozenset({"estimate"})},
        "estimate_coverage",
        {"value": 0.0, "status": "warn"},
    ),
    # oversized: 13 is the limit itself; 20 is above it; the epic's 40 does not count.
    (
        "oversized items are above max_estimate, epics left out",
        [
            res("A", estimate=13),
            res("B", estimate=20),
            res("E", type="Epic", estimate=40),
            res("C"),
        ],
        MetricSettings(),
        {},
        "oversized",
        {"value": 1, "keys": ["B"], "status": "warn", "n_estimated": 2, "max_estimate": 13},
    ),
    (
        "oversized with a higher limit",
        [res("A", estimate=13), res("B", estimate=20)],
        MetricSettings(max_estimate=21),
        {},
        "oversized",
        {"value": 0, "keys": [], "status": "ok"},
    ),
    # priority: 3 of 4 prioritized (75% < 80%); 2 of those 3 at a top priority (66.7% > 25%).
    (
        "priority share and inflation",
        [res("A", priority="High"), res("B", priority=" HIGHEST "), res("C", priority="blocker"), res("D")],
        MetricSettings(),
        {},
        "priority",
        {
            "value": 75.0,
            "status": "warn",
            "n_prioritized": 3,
            "n_levels": 3,
            "inflation": {
                "value": 66.7,
                "n_top": 2,
                "n_prioritized": 3,
                "threshold": 25.0,
                "status": "warn",
                "reason": None,
            },
        },
    ),
    (
        "priority all set and few at the top is ok",
        [res(str(n), priority="Medium") for n in range(4)] + [res("9", priority="Highest")],
        MetricSettings(),
        {},
        "priority",
        {"value": 100.0, "status": "ok", "n_levels": 2},
    ),
    (
        "priority from a source without priorities is unknown, inflation too",
        [res("A"), res("B")],
        MetricSettings(),
        {"source_fields": frozenset({"estimate"})},
        "priority",
        {"value": None, "status": "unknown", "n_prioritized": 0},
    ),
    # staleness: A 90 days (stale), B 89 days (fresh), C never updated but created 2 years ago (stale),
    # D in the icebox (exempt), E without dates: 2 stale of 3 dated.
    (
        "staleness counts day 90, falls back on creation, exempts labels",
        [
            res("A", updated=ago(90)),
            res("B", updated=ago(89)),
            res("C", created=ago(730)),
            res("D", updated=ago(2000), labels=("Icebox",)),
            res("E"),
        ],
        MetricSettings(),
        {},
        "staleness",
        {"value": 66.7, "status": "warn", "keys": ["A", "C"], "n_items": 3, "n_exempt": 1, "n_undated": 1},
    ),
    (
        "staleness with a longer window",
        [res("A", updated=ago(90)), res("B", updated=ago(89))],
        MetricSettings(stale_days=180),
        {},
        "staleness",
        {"value": 0.0, "status": "ok", "keys": []},
    ),
    (
        "staleness of items without dates is unknown",
        [res("A"), res("B")],
        MetricSettings(),
        {},
        "staleness",
        {"value": None, "status": "unknown", "n_undated": 2},
    ),
    # age: 10, 30, 100, 200, 400, 800 days, one in each bin; median (100 + 200) / 2 = 150.
    (
        "age median and bins",
        [res(str(days), created=ago(days)) for days in (10, 30, 100, 200, 400, 800)] + [res("none")],
        MetricSettings(),
        {},
        "age",
        {
            "value": 150,
            "status": "ok",
            "n_items": 6,
            "n_undated": 1,
            "bins": {
                "<1 month": 1,
                "1-3 months": 1,
                "3-6 months": 1,
                "6-12 months": 1,
                "1-2 years": 1,
                ">2 years": 1,
            },
        },
    ),
    (
        "age of an old backlog warns; a creation time in the future is 0 days",
        [res("A", created=ago(400)), res("B", created=ago(500)), res("C", created=NOW + timedelta(days=3))],
        MetricSettings(),
        {},
        "age",
        {
            "value": 400,
            "status": "warn",
            "bins": {"<1 month": 1, "1-3 months": 0, "3-6 months": 0, "6-12 months": 0, "1-2 years": 2, ">2 years": 0},
        },
    ),
    (
        "age takes times without a zone as UTC",
        [res("A", created=datetime(2025, 12, 2, 12))],
        MetricSettings(),
        {},
        "age",
        {"value": 30},
    ),
    # orphans: the epic is left out; B and D of A-D have no parent.
    (
        "orphans where the team uses epics",
        [
            res("E1", type="Epic"),
            res("A", parent="E1"),
            res("B"),
            res("C", parent="E1"),
            res("D"),
        ],
        MetricSettings(),
        {},
        "orphans",
        {"value": 50.0, "status": "warn", "keys": ["B", "D"], "n_items": 4, "n_orphans": 2},
    ),
    (
        "orphans where no item has a parent are unknown",
        [res("E1", type="Epic"), res("A"), res("B")],
        MetricSettings(),
        {"source_fields": frozenset({"parent"})},
        "orphans",
        {"value": None, "status": "unknown", "reason": "no item has a parent: the team does not use epics"},
    ),
    # blocked: A and B wait for open work; C's blocker is done, D's link does not block, E's status is unknown.
    ("blocked items", BLOCKED, MetricSettings(), {}, "blocked", {"value": 2, "keys": ["A", "B"], "status": "warn"}),
    (
        "blocked items deep in the backlog are ok when the planned ones are free",
        BLOCKED,
        MetricSettings(),
        {"planning_keys": ("C", "D")},
        "blocked",
        {"value": 2, "n_planned_blocked": 0, "status": "ok"},
    ),
    (
        "a blocked planned item warns",
        BLOCKED,
        MetricSettings(),
        {"planning_keys": ("A", "D")},
        "blocked",
        {"n_planned_blocked": 1, "planned_keys": ["A"], "status": "warn"},
    ),
    (
        "blocked from a source without links is unknown",
        BLOCKED,
        MetricSettings(),
        {"source_fields": frozenset({"estimate"})},
        "blocked",
        {"value": None, "status": "unknown"},
    ),
    # duplicates: A-B and C-D-E; F's finding is another rule.
    (
        "duplicate clusters",
        DUPLICATES,
        MetricSettings(),
        {},
        "duplicates",
        {"value": 5, "n_clusters": 2, "clusters": [["A", "B"], ["C", "D", "E"]], "status": "warn"},
    ),
    (
        "duplicate clusters of numeric keys ignore the counts in the message",
        NUMERIC_DUPLICATES,
        MetricSettings(),
        {},
        "duplicates",
        {"value": 4, "clusters": [["1", "2"], ["3", "4"]]},
    ),
    ("no duplicates", RANKED, MetricSettings(), {}, "duplicates", {"value": 0, "clusters": [], "status": "ok"}),
    # size_in_sprints: 5 + 8 = 13 points (the epic's 100 left out) / 10 = 1.3 sprints.
    (
        "size in sprints",
        [res("A", estimate=5), res("B", estimate=8), res("C"), res("E", type="Epic", estimate=100)],
        V10,
        {},
        "size_in_sprints",
        {"value": 1.3, "status": "ok", "n_points": 13, "n_unestimated": 1},
    ),
    (
        "size in sprints above 12 warns",
        [res("A", estimate=130)],
        V10,
        {},
        "size_in_sprints",
        {"value": 13.0, "status": "warn"},
    ),
    (
        "size in sprints without velocity is unknown",
        [res("A", estimate=130)],
        MetricSettings(),
        {},
        "size_in_sprints",
        {"value": None, "status": "unknown", "n_points": 130},
    ),
    (
        "items by type, most first",
        [res("A", type="Story"), res("B", type="Bug"), res("C"), res("D", type="Story")],
        MetricSettings(),
        {},
        "by_type",
        {"value": {"Story": 2, "(no type)": 1, "Bug": 1}, "status": "ok"},
    ),
    (
        "items by status, done left out",
        [
            res("A", status="To Do", status_category="todo"),
            res("B", status="In Progress", status_category="in_progress"),
            res("C", status="To Do", status_category="todo"),
            res("D", status="Done", status_category="done"),
        ],
        MetricSettings(),
        {},
        "by_status",
        {"value": {"To Do": 2, "In Progress": 1}, "by_category": {"todo": 2, "in_progress": 1}, "n_items": 3},
    ),
]


@pytest.mark.parametrize(
    ("name", "results", "settings", "kwargs", "metric", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_metric(name, results, settings, kwargs, metric, expected):
    got = backlog_metrics(results, settings, NOW, **kwargs)[metric]
    for key, value in expected.items():
        assert got[key] == value, f"{name}: {metric}.{key} is {got[key]!r}, expected {value!r}"


def test_dict_order_is_most_first():
    results = [res("A", type="Story"), res("B", type="Bug"), res("C"), res("D", type="Story")]
    got = backlog_metrics(results, MetricSettings(), NOW)["by_type"]["value"]
    assert list(got) == ["Story", "(no type)", "Bug"]


EMPTY_EXPECTED = {
    # with estimates declared but no items: nothing is ready, nothing is oversized, the backlog is empty.
    "ready_depth": ("warn", 0.0),
    "estimate_coverage": ("unknown", None),
    "oversized": ("ok", 0),
    "priority": ("unknown", None),
    "staleness": ("unknown", None),
    "age": ("unknown", None),
    "orphans": ("unknown", None),
    "blocked": ("ok", 0),
    "duplicates": ("ok", 0),
    "size_in_sprints": ("ok", 0.0),
    "by_type": ("ok", {}),
    "by_status": ("ok", {}),
}


@pytest.mark.parametrize("metric", list(EMPTY_EXPECTED))
def test_empty_backlog(metric):
    got = backlog_metrics([], V10, NOW, source_fields=ALL_FIELDS)[metric]
    assert (got["status"], got["value"]) == EMPTY_EXPECTED[metric], f"empty backlog: {metric} is {got}"


def test_empty_backlog_without_declared_fields_has_nothing_to_measure():
    got = backlog_metrics([], V10, NOW)
    for metric in ("ready_depth", "estimate_coverage", "priority", "staleness", "age", "size_in_sprints"):
        assert got[metric]["status"] == "unknown", f"{metric}: {got[metric]}"
        assert got[metric]["value"] is None, metric


def test_every_metric_has_the_same_shape_and_is_json_ready():
    results = [*RANKED, *BLOCKED[:1], *DUPLICATES[:2]]
    got = backlog_metrics(results, V10, NOW, planning_keys=("A",))
    assert list(got) == list(METRICS)
    for name, metric in got.items():
        assert {"value", "threshold", "status", "reason"} <= set(metric), name
        assert metric["status"] in ("ok", "warn", "unknown"), name
        assert (metric["reason"] is not None) == (metric["status"] == "unknown"), name
    json.dumps(got)


def test_unknown_metrics_are_never_zero():
    got = backlog_metrics([res("A"), res("B")], MetricSettings(), NOW)
    for name, metric in got.items():
        if metric["status"] == "unknown":
            assert metric["value"] is None, f"{name}: unknown but {metric['value']!r}"


def test_source_fields_decide_what_is_known_over_the_items():
    results = [res("A", estimate=3, priority="High")]
    got = backlog_metrics(results, V10, NOW, source_fields=frozenset({"priority"}))
    assert got["estimate_coverage"]["status"] == "unknown"
    assert got["priority"]["status"] == "ok"


def test_docs_page_matches_the_registry():
    page = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert page == metrics_doc(), "run `python -m backlog_health.metrics > docs/metrics.md` to update"


def test_every_metric_is_documented_with_its_sections():
    page = metrics_doc()
    for name, doc in METRICS.items():
        assert doc.name == name
        assert doc.title and doc.unit and doc.definition and doc.why and doc.threshold, name
        section = page.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for heading in ("**Definition:**", "**Why it matters:**", "**Default threshold:**"):
            assert heading in section, f"{name}: no {heading} section"


def test_staleness_counts_from_a_persons_last_update():
    from datetime import datetime, timedelta, timezone

    from backlog_health.metrics import MetricSettings, backlog_metrics
    from backlog_health.model import BacklogItem, ItemResult

    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    bot_kept_alive = BacklogItem("A-1", "t", updated=now - timedelta(days=2), touched=now - timedelta(days=200))
    fresh = BacklogItem("A-2", "t", updated=now - timedelta(days=2), touched=now - timedelta(days=2))
    results = [ItemResult(item, None, (), (), True, (), 100) for item in (bot_kept_alive, fresh)]
    staleness = backlog_metrics(results, MetricSettings(), now)["staleness"]
    assert staleness["keys"] == ["A-1"] and staleness["value"] == 50.0
