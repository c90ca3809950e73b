"""The engine: one parse per item, rules that apply, reduced mode, odd items and scores."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

import backlog_health
from backlog_health import engine
from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, SourceInfo, Summary
from backlog_health.resources import rules_dir, templates_dir
from backlog_health.sources import Loaded

CONFIG = load_config()


def _run(*items: BacklogItem, fields=frozenset(), config=CONFIG):
    return analyze(Loaded(SourceInfo("text", "test", None, fields), tuple(items)), config)


def test_packaged_resources_are_inside_an_installed_package():
    package = Path(backlog_health.__file__).resolve().parent
    if "site-packages" in package.parts:  # a plain `pip install .`, as CI runs the tests
        assert rules_dir().parent == package
        assert templates_dir().parent == package
    assert (rules_dir() / "ambiguity" / "AM01.yaml").is_file()
    assert (templates_dir() / "report.html.j2").is_file()


def test_reduced_mode_skips_parser_rules_and_says_so():
    config = replace(CONFIG, nlp_model="blank:en")
    result = _run(BacklogItem("1", "As a user, I want to quickly add and delete items."), config=config)
    assert result.nlp.reduced and result.nlp.model == "blank:en"
    assert "AT01" in result.nlp.skipped_rules
    assert any("reduced mode" in note and "AT01" in note for note in result.notes)
    rules = {f.rule for f in result.items[0].findings}
    assert "AT01" not in rules and "AM01" in rules, rules


def test_story_rules_skip_bugs_but_hygiene_rules_do_not():
    bug = BacklogItem("B-1", "Checkout crashes on iOS", type="Bug")
    story = BacklogItem("S-1", "Coupon codes at checkout", type="Story")
    result = _run(bug, story, fields=frozenset({"title", "description", "type"}))
    bug_rules = {f.rule for f in result.items[0].findings}
    story_rules = {f.rule for f in result.items[1].findings}
    assert bug_rules == {"DE01"}, bug_rules
    assert {"WF01", "AC01", "DE01"} <= story_rules, story_rules


def test_rules_needing_a_missing_field_are_skipped_with_a_note():
    result = _run(BacklogItem("1", "As a user, I want to log in."), fields=frozenset({"title"}))
    assert not any(f.rule in {"DE01", "AC01"} for f in result.items[0].findings)
    assert any(note.startswith("DE01 skipped") for note in result.notes)


def test_ready_needs_estimate_only_where_the_source_has_estimates():
    story = BacklogItem(
        "1",
        "As a shopper, I want to reorder a basket, so that I save time.",
        description="Context.\n\nAcceptance criteria:\n- The last five baskets are listed",
    )
    with_estimates = _run(story, fields=frozenset({"title", "description", "estimate"}))
    assert with_estimates.items[0].ready_reasons == ("not estimated",)
    estimated = _run(replace(story, estimate=3.0), fields=frozenset({"title", "description", "estimate"}))
    assert estimated.items[0].ready and estimated.items[0].score == 100
    no_estimates = _run(story, fields=frozenset({"title", "description"}))
    assert no_estimates.items[0].ready


def test_scores():
    clean = BacklogItem("1", "As an admin, I want to block users, so that spam stops.")
    messy = BacklogItem("2", "I want a fast and easy search etc.")
    result = _run(clean, messy, fields=frozenset({"title"}))
    assert result.items[0].score == 100
    # WF01 warning (8) + VA01 info (2) + AM01 warning (8, "fast", "easy") + AM03 warning (8, "etc.")
    assert sorted(f.rule for f in result.items[1].findings) == ["AM01", "AM03", "VA01", "WF01"]
    assert result.items[1].score == 100 - 8 - 2 - 8 - 8
    quality = (100 + result.items[1].score) / 2
    # a title-only source cannot show acceptance criteria: that is not held against the clean story
    assert [r.ready for r in result.items] == [True, False]
    state = result.health
    assert state.quality == quality and state.readiness == 50
    weights = state.weights
    expected = weights["quality"] * quality + weights["readiness"] * 50 + weights["metrics"] * (state.metrics or 0)
    assert result.health_score == round(expected) == state.score
    assert state.explanation.startswith(f"{state.score} because item quality is {quality:.0f}")


def test_summary_adds_and_derives():
    first = Summary(n_items=2, n_ready=1, by_severity=(("error", 1),), by_criterion=(("unique", 1),))
    second = Summary(n_items=2, n_ready=2, by_severity=(("error", 2), ("info", 1)), by_criterion=(("valuable", 1),))
    total = first + second
    assert total.n_items == 4 and total.n_ready == 3 and total.pct_ready == 75.0
    assert total.by_severity == (("error", 3), ("info", 1)) and total.n_findings == 4
    assert total.by_criterion == (("valuable", 1), ("unique", 1))


def test_empty_backlog():
    result = _run()
    assert result.items == () and result.health_score == 100


def test_untyped_tracker_export_checks_only_items_written_as_stories():
    tasks = [BacklogItem(f"T-{n}", f"Import library version {n}") for n in range(30)]
    stories = [BacklogItem(f"S-{n}", f"As a user, I want report number {n}.") for n in range(5)]
    result = _run(*tasks, *stories, fields=frozenset({"title"}))
    by_key = {r.item.key: {f.rule for f in r.findings} for r in result.items}
    assert not by_key["T-1"] & {"WF01", "VA01"}, by_key["T-1"]
    assert "VA01" in by_key["S-1"]
    assert any("30 of 35 items have no issue type" in note for note in result.notes), result.notes


def test_untyped_story_backlog_flags_the_odd_item_out():
    stories = [BacklogItem(f"S-{n}", f"As a user, I want report number {n}.") for n in range(25)]
    result = _run(*stories, BacklogItem("X", "Coupon codes at checkout"), fields=frozenset({"title"}))
    assert "WF01" in {f.rule for f in result.items[-1].findings}


def test_worker_processes_find_what_one_process_finds(monkeypatch):
    if engine._n_workers() == 0:
        pytest.skip("no fork or a single core: the analysis runs in one process")
    titles = [
        "As a clerk, I want to add and delete invoices.",
        "As a clerk, I want to add and delete invoices in the ledger.",
        "As a user, I want the page to be fast and user-friendly, so that I can work.",
        "Fix the crash when the TBD printer driver loads",
        "As an admin, I want to export the audit log as CSV, so that auditors can read it.",
    ]
    items = [BacklogItem(f"P-{n}", titles[n % len(titles)]) for n in range(60)]
    serial = _run(*items)
    monkeypatch.setattr(engine, "PARALLEL_PARTS", 1)
    monkeypatch.setattr(engine, "PARALLEL_CHECKS", 1)
    parallel = _run(*items)
    assert [r.findings for r in parallel.items] == [r.findings for r in serial.items]
    assert [(r.story, r.acceptance_criteria) for r in parallel.items] == [
        (r.story, r.acceptance_criteria) for r in serial.items
    ]
    assert parallel.notes == serial.notes and parallel.skipped == serial.skipped
    assert any(f.rule == "UQ02" for r in parallel.items for f in r.findings), "backlog rules ran too"


def test_the_cycle_collector_settings_are_restored_after_a_run():
    import gc

    before = gc.get_threshold()
    _run(BacklogItem("1", "As a user, I want to log in."))
    assert gc.get_threshold() == before


@pytest.mark.parametrize("parallel", [False, True])
def test_progress_counts_up_to_every_item(monkeypatch, parallel):
    if parallel:
        if engine._n_workers() == 0:
            pytest.skip("no fork or a single core: the analysis runs in one process")
        monkeypatch.setattr(engine, "PARALLEL_CHECKS", 1)
    items = tuple(BacklogItem(str(n), f"As a user, I want report {n}.") for n in range(50))
    seen: list[tuple[int, int]] = []
    analyze(Loaded(SourceInfo("text", "t", None, frozenset()), items), CONFIG, progress=lambda *a: seen.append(a))
    assert seen[-1] == (50, 50)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_placeholder_scan_skips_only_markers_that_cannot_match(monkeypatch):
    from backlog_health.checks import ItemContext, placeholder
    from backlog_health.rules import load_rules

    rule = next(rule for rule in load_rules().rules if rule.id == "AM09")
    texts = [
        "Refund within TBD days",
        "Owner: to be decided",
        "Acceptance criteria:\n- TODO",
        "Why ??? here",
        "Intro: Lorem ipsum dolor",
        "Limit:\nXXXX",
        "Format: <insert format here>",
        "Link: [Insert link]",
        "Owner: TO BE ANNOUNCED.",
        "Straße İSTANBUL ſtuff: tbc",
        "Nothing open here <b>bold</b> [link]",
    ]
    contexts = [
        ItemContext(BacklogItem(str(n), text, description=text), None, None, (), True) for n, text in enumerate(texts)
    ]
    assert placeholder._marker_needs(r"(?i)<\s*(?:insert|enter)\b[^<>\n]{0,60}>") == (
        frozenset({"<"}),
        frozenset({"insert", "enter"}),
        frozenset({">"}),
    )
    found = [list(placeholder.check(ctx, rule)) for ctx in contexts]
    monkeypatch.setattr(placeholder, "_possible", lambda markers, folded: tuple(range(len(markers))))
    assert found == [list(placeholder.check(ctx, rule)) for ctx in contexts]
    assert sum(map(len, found)) >= 2 * 9, "every marker but the last text's is found, in title and description"


def _dying_chunk(indexes, job=None):
    """A worker that dies on its first chunk, as one killed for lack of memory would."""
    if os.getpid() != _PARENT[0]:
        os._exit(1)
    return _CHECK_CHUNK(indexes, job)


_PARENT = [os.getpid()]
_CHECK_CHUNK = engine._check_chunk


def test_a_dead_worker_leaves_its_work_to_the_main_process(monkeypatch):
    if engine._n_workers() == 0:
        pytest.skip("no fork or a single core: the analysis runs in one process")
    items = [BacklogItem(f"P-{n}", f"As a clerk, I want report {n} and invoice {n}.") for n in range(30)]
    serial = _run(*items)
    monkeypatch.setattr(engine, "PARALLEL_CHECKS", 1)
    monkeypatch.setattr(engine, "_check_chunk", _dying_chunk)
    _PARENT[0] = os.getpid()
    assert [r.findings for r in _run(*items).items] == [r.findings for r in serial.items]


def test_analyses_in_several_threads_do_not_mix():
    """A service may analyze two backlogs at once: each gets exactly what it gets alone."""
    import threading

    backlogs = [
        [BacklogItem(f"C-{n}", f"As a clerk, I want to file invoice {n} and print report {n}.") for n in range(400)],
        [
            BacklogItem(f"N-{n}", f"As a nurse, I want a fast and user-friendly chart {n} so that I save time")
            for n in range(400)
        ],
    ]
    assert {rule for _, rules in _findings(_run(*backlogs[0]))[:1] for rule in rules} != {
        rule for _, rules in _findings(_run(*backlogs[1]))[:1] for rule in rules
    }, "the two backlogs get different findings, so a mix-up shows"
    alone = [_findings(_run(*items)) for items in backlogs]
    together: list = [None, None]

    def work(n: int) -> None:
        together[n] = _findings(_run(*backlogs[n]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert together == alone


def _findings(result):
    return [(r.item.key, sorted(f.rule for f in r.findings)) for r in result.items]
