"""The Definition of Ready: which checks count, their limits, and the items it applies to."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, SourceInfo
from backlog_health.scoring import Readiness
from backlog_health.sources import Loaded

CONFIG = load_config(directory=None)
FIELDS = frozenset({"title", "description", "estimate", "type", "labels", "updated"})
STORY = BacklogItem(
    "PAN-1",
    "As a shopper, I want to reorder a past basket, so that I save time.",
    description="Context.\n\nAcceptance criteria:\n- The last five baskets are listed",
    type="Story",
    estimate=3.0,
)
NOW = datetime.now(timezone.utc)
BUG = BacklogItem(
    "PAN-9",
    "Basket total resets to full price when the keyboard is dismissed",
    description="Steps: add a promo code, dismiss the keyboard. The total shows the full price again.",
    type="Bug",
    estimate=2.0,
)


def _ready(item: BacklogItem, readiness: Readiness) -> tuple[bool, tuple[str, ...]]:
    result = analyze(Loaded(SourceInfo("file", "b.csv", None, FIELDS), (item,)), replace(CONFIG, readiness=readiness))
    return result.items[0].ready, result.items[0].ready_reasons


@pytest.mark.parametrize(
    ("item", "readiness", "ready", "reason"),
    [
        (STORY, Readiness(), True, None),
        (replace(STORY, estimate=None), Readiness(), False, "not estimated"),
        (replace(STORY, estimate=21.0), Readiness(), False, "estimate 21 is above 13: split it"),
        (replace(STORY, estimate=21.0), Readiness(max_estimate=None), True, None),
        (replace(STORY, estimate=21.0), Readiness(max_estimate=40), True, None),
        (replace(STORY, estimate=None), Readiness(checks=frozenset({"story_form"})), True, None),
        (replace(STORY, description=""), Readiness(), False, "acceptance criteria missing or not testable"),
        # the fresh check is off by default, and counts days since the last update when on
        (replace(STORY, updated=NOW - timedelta(days=400)), Readiness(), True, None),
        (
            replace(STORY, updated=NOW - timedelta(days=400)),
            Readiness(checks=Readiness().checks | {"fresh"}),
            False,
            "not updated for 400 days",
        ),
        (
            replace(STORY, updated=NOW - timedelta(days=10)),
            Readiness(checks=Readiness().checks | {"fresh"}),
            True,
            None,
        ),
        # acceptance criteria are asked of stories, and of bugs and tasks too with criteria_for = "all"
        (BUG, Readiness(), True, None),
        (BUG, Readiness(criteria_for="all"), False, "no acceptance criteria"),
        (
            replace(BUG, description=BUG.description + "\n\nAcceptance criteria:\n- The total keeps the promo code"),
            Readiness(criteria_for="all"),
            True,
            None,
        ),
        (BUG, Readiness(criteria_for="all", checks=frozenset({"described"})), True, None),
        # the Definition of Ready applies to the chosen types and labels only
        (replace(STORY, estimate=None, type="Bug"), Readiness(types=("story",)), True, None),
        (replace(STORY, estimate=None), Readiness(types=("story",)), False, "not estimated"),
        (replace(STORY, estimate=None), Readiness(labels=("team-a",)), True, None),
        (replace(STORY, estimate=None, labels=("Team-A",)), Readiness(labels=("team-a",)), False, "not estimated"),
    ],
)
def test_definition_of_ready(item, readiness, ready, reason):
    got_ready, reasons = _ready(item, readiness)
    assert got_ready is ready, reasons
    if reason:
        assert reason in reasons, reasons


def test_config_errors_name_the_file_and_key(tmp_path):
    from backlog_health.errors import ConfigError

    for text, message in (
        ('[readiness]\nchecks = ["nope"]\n', "unknown readiness check 'nope'"),
        ("[readiness]\nmax_estimate = -1\n", "'readiness.max_estimate' must be a positive number"),
        ("[readiness]\nspeed = 1\n", "unknown key 'readiness.speed'"),
        ("[planning]\nvelocity = nan\n", "'planning.velocity' must be a finite number"),
        ("[fetch]\nfull_refresh_days = inf\n", "'fetch.full_refresh_days' must be a finite number"),
        ("[fetch]\nincremental = 1\n", "'fetch.incremental' must be"),
        ("[fetch]\nfull_refresh_days = 0\n", "'fetch.full_refresh_days' must be a positive number of days"),
        ('[readiness]\ncriteria_for = "bugs"\n', '\'readiness.criteria_for\' must be "stories" or "all"'),
    ):
        path = tmp_path / "backlog-health.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path, directory=tmp_path)


def test_velocity_is_derived_from_closed_sprints_only():
    from backlog_health.planning import derived_velocity

    def done(key, sprint, points, day):
        return BacklogItem(
            key, "t", status_category="done", sprint=sprint, estimate=points, updated=NOW - timedelta(days=day)
        )

    items = [
        done("A-1", "S1", 5, 60),
        done("A-2", "S1", 3, 59),  # 8
        done("A-3", "S2", 13, 45),  # 13
        done("A-4", "S3", 2, 30),
        done("A-5", "S3", 8, 29),  # 10
        done("A-6", "S4", 5, 15),
        done("A-7", "S4", 7, 14),  # 12
        done("A-8", "S5", 20, 2),
        BacklogItem("A-9", "t", status_category="in_progress", sprint="S5"),  # still open
    ]
    velocity, sprints = derived_velocity(items)
    assert sprints == ("S2", "S3", "S4") and velocity == (13 + 10 + 12) / 3
    assert derived_velocity(items[:2]) is None  # one closed sprint says too little
    assert derived_velocity([BacklogItem("B-1", "t")]) is None


def test_an_open_blocking_link_makes_an_item_wait():
    from backlog_health.model import Link

    blocked = replace(STORY, links=(Link("is blocked by", "PAN-2", "in_progress"),))
    fields = FIELDS | {"links"}
    result = analyze(Loaded(SourceInfo("file", "b.csv", None, fields), (blocked,)), CONFIG)
    assert not result.items[0].ready and "depends on other work" in result.items[0].ready_reasons


def test_metric_thresholds_come_from_the_config(tmp_path):
    path = tmp_path / "backlog-health.toml"
    path.write_text('[metrics]\nstale_days = 30\nstale_exempt_labels = ["Later"]\n', encoding="utf-8")
    config = load_config(path, directory=tmp_path)
    assert config.metric_settings["stale_days"] == 30 and config.metric_settings["stale_exempt_labels"] == ("later",)
    old = replace(STORY, key="PAN-2", updated=NOW - timedelta(days=45))
    parked = replace(STORY, key="PAN-3", updated=NOW - timedelta(days=45), labels=("later",))
    fields = FIELDS | {"updated"}
    result = analyze(Loaded(SourceInfo("file", "b.csv", None, fields), (STORY, old, parked)), config)
    staleness = result.metrics["staleness"]
    assert staleness["keys"] == ["PAN-2"], staleness


def test_a_velocity_reported_by_the_tracker_drives_planning():
    items = tuple(replace(STORY, key=f"PAN-{n}", rank=n, estimate=5.0) for n in range(1, 9))
    loaded = Loaded(
        SourceInfo("jira", "https://jira.example.com", "board", FIELDS), items, velocity=(10.0, ("S7", "S8"))
    )
    result = analyze(loaded, CONFIG)
    assert result.planning.velocity == 10.0 and len(result.planning.keys) == 4  # 2 sprints × 10 points
    assert any("velocity 10 points per sprint" in note and "S7, S8" in note for note in result.notes)
    assert result.metrics["ready_depth"]["status"] != "unknown"
