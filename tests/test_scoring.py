"""The health score: its parts, their weights, the bands and the explanation, worked out by hand."""

from __future__ import annotations

import pytest

from backlog_health.model import BacklogItem, Finding, ItemResult
from backlog_health.scoring import Scoring, health, health_band, item_score


def _result(score: int, ready: bool) -> ItemResult:
    return ItemResult(BacklogItem("X-1", "t"), None, (), (), ready, () if ready else ("no",), score)


def _finding(severity: str, criterion: str = "unambiguous") -> Finding:
    return Finding("AM01", criterion, severity, "m")


@pytest.mark.parametrize(
    ("findings", "scoring", "expected"),
    [
        ((), Scoring(), 100),
        ((_finding("error"), _finding("warning"), _finding("info")), Scoring(), 100 - 20 - 8 - 2),
        ((_finding("error"),) * 6, Scoring(), 0),  # floored at 0
        ((_finding("warning", "testable"),), Scoring(criterion_weights={"testable": 2.0}), 84),
        ((_finding("warning"),), Scoring(penalties={"error": 30, "warning": 10, "info": 0}), 90),
    ],
)
def test_item_score(findings, scoring, expected):
    assert item_score(findings, scoring) == expected


OK, WARN = {"status": "ok", "threshold": 1}, {"status": "warn", "threshold": 1}


@pytest.mark.parametrize(
    ("results", "metrics", "score", "metrics_part"),
    [
        # quality 90, readiness 50, metrics 3 of 4 within target = 75: 0.4*90 + 0.4*50 + 0.2*75 = 71
        ([_result(100, True), _result(80, False)], {"a": OK, "b": OK, "c": OK, "d": WARN}, 71, 75.0),
        # no measurable metric: its weight goes to the other two, half each: 0.5*90 + 0.5*50 = 70
        ([_result(100, True), _result(80, False)], {"a": {"status": "unknown", "threshold": 1}}, 70, None),
        # counts without a target (by type, by status) never judge
        ([_result(100, True), _result(80, False)], {"by_type": {"status": "ok", "threshold": None}}, 70, None),
        ([], {}, 100, None),
    ],
)
def test_health_parts_and_weights(results, metrics, score, metrics_part):
    state = health(results, metrics)
    assert state.score == score
    assert state.metrics == metrics_part
    assert abs(sum(state.weights.values()) - 1) < 1e-9


def test_explanation_names_the_parts_and_the_metrics_off_target():
    # 0.4 * 90 + 0.4 * 50 + 0.2 * 50 = 66
    metrics = {"ready_depth": WARN, "priority": OK, "staleness": OK, "duplicates": WARN}
    state = health([_result(100, True), _result(80, False)], metrics)
    assert state.explanation == (
        "66 because item quality is 90 (weight 40%), 50% of items are ready (weight 40%) and 50% of the backlog "
        "metrics are within target (weight 20%, off target: duplicates, ready depth)"
    )
    assert state.to_dict()["off_target"] == ["duplicates", "ready_depth"]


@pytest.mark.parametrize(
    ("n_measured", "metrics_weight"),
    [(1, 0.05), (2, 0.1), (3, 0.15), (4, 0.2), (6, 0.2)],
)
def test_few_measurable_metrics_weigh_less(n_measured, metrics_weight):
    """One metric the source happens to carry cannot swing the health score by its whole weight."""
    metrics = {f"m{n}": WARN for n in range(n_measured)}
    state = health([_result(100, True), _result(80, False)], metrics)
    share = metrics_weight / (0.8 + metrics_weight)  # the weights are normalized to sum to 1
    assert abs(state.weights["metrics"] - share) < 1e-9
    assert abs(state.weights["quality"] - state.weights["readiness"]) < 1e-9
    # all metrics off target: the score drops by the metrics' share of a 70-point (0.5*90 + 0.5*50) backlog
    assert state.score == round(70 * (1 - share))


@pytest.mark.parametrize(
    ("score", "scoring", "band"),
    [
        (85, Scoring(), "healthy"),
        (84, Scoring(), "needs attention"),
        (60, Scoring(), "needs attention"),
        (59, Scoring(), "unhealthy"),
        (84, Scoring(healthy=80), "healthy"),
        (55, Scoring(attention=50), "needs attention"),
    ],
)
def test_bands(score, scoring, band):
    assert health_band(score, scoring) == band
