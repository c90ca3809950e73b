"""Acceptance-criteria quality: untestable, sole weak, repeating the story, scenario order, to-do lists."""

from __future__ import annotations

import pytest

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, SourceInfo
from backlog_health.rules import RuleSet, load_rules
from backlog_health.sources import Loaded

RULES = load_rules()
CONFIG = load_config(directory=None)


def findings(rule_id: str, description: str, title: str = "As a member, I want to book a court.", **fields):
    """The findings of one rule on one item."""
    item = BacklogItem(key="1", title=title, description=description, **fields)
    result = analyze(Loaded(SourceInfo("text", "test"), (item,)), CONFIG, RuleSet((RULES.by_id[rule_id],)), strict=True)
    return [f for r in result.items for f in r.findings]


def criteria(*lines: str) -> str:
    """A description with an acceptance-criteria list."""
    return "Acceptance criteria:\n" + "\n".join(f"- {line}" for line in lines)


# ------------------------------------------------------------------------------------------------ AC02


@pytest.mark.parametrize(
    "weak",
    [
        "Errors are handled gracefully",
        "The calendar works well on tablets",
        "Importing behaves as expected",
        "The booking page is fast and user friendly",
        "Prices are calculated correctly",
        "If the payment fails, the app should handle it nicely",
        "Labels should make sense to new members",
    ],
)
def test_untestable_criterion_is_flagged_and_quoted(weak):
    found = findings("AC02", criteria("A booked court shows the member's name", weak))
    assert len(found) == 1, f"AC02 should flag {weak!r}"
    assert weak in found[0].excerpt, "the excerpt quotes the weak criterion"
    assert "A booked court" not in found[0].excerpt, "the excerpt quotes only the weak criteria"


@pytest.mark.parametrize(
    "fine",
    [
        "The booking page loads in under 2 seconds",
        "The page is fast: under 2 seconds on 4G",
        "Works for guests as well",
        "A good court is one with lights",
        'The error message reads "Court already taken"',
        "Handler exits gracefully, notifying the club of the failure",
        "The list looks like the mock-up",
        "The court is booked so that the member can play properly",
        "The slot is hidden. This is correct",
        "It would be nice to have a calendar export",
        "Members can easily cancel a booking from the confirmation e-mail",
        "The button sits on the right",
    ],
)
def test_checkable_criterion_is_not_flagged(fine):
    assert not findings("AC02", criteria("A booked court shows the member's name", fine)), fine


def test_one_finding_per_item_names_every_judgement():
    found = findings("AC02", criteria("Search is fast", "Results are shown properly", "Filters work well"))
    assert len(found) == 1
    assert all(term in found[0].message for term in ("'fast'", "'properly'", "'well'"))


def test_a_single_criterion_is_left_to_the_sole_rule():
    assert not findings("AC02", criteria("Everything works well"))
    assert findings("AC03", criteria("Everything works well"))


def test_criteria_quality_applies_to_any_item_type():
    assert findings("AC02", criteria("Sync works", "Sync is handled gracefully"), title="Sync job", type="Task")


# ------------------------------------------------------------------------------------------------ AC03


@pytest.mark.parametrize("only", ["Done", "It works.", "As described above", "TBD", "See description", "N/A"])
def test_sole_placeholder_is_flagged(only):
    assert findings("AC03", criteria(only)), only


@pytest.mark.parametrize("only", ["Members see their bookings for the next 7 days", "No double bookings of a court"])
def test_sole_real_criterion_is_not_flagged(only):
    assert not findings("AC03", criteria(only)), only


def test_placeholder_among_real_criteria_is_a_status_note():
    assert not findings("AC02", criteria("Members see their bookings", "Done"))


# ------------------------------------------------------------------------------------------------ AC04

STORY = "As a member, I want to export my bookings as a calendar file, so that I see them on my phone."


@pytest.mark.parametrize(
    "repeat",
    [
        ("Member can export bookings as a calendar file",),
        ("The member is able to export their bookings as calendar files",),
        ("Bookings can be exported as a calendar file", "Export bookings as calendar file"),
        ("Member can export bookings",),
    ],
)
def test_criteria_repeating_the_story_are_flagged(repeat):
    assert findings("AC04", criteria(*repeat), title=STORY), repeat


@pytest.mark.parametrize(
    "adds",
    [
        ("Member can export bookings as a calendar file", "The file holds bookings of the next 30 days"),
        ("The export is an .ics file with one event per booking",),
        ('Bookings are exported as a calendar file named "club-bookings"',),
        ("Export",),
    ],
)
def test_criteria_adding_detail_are_not_flagged(adds):
    assert not findings("AC04", criteria(*adds), title=STORY), adds


def test_repeat_needs_a_story():
    assert not findings("AC04", criteria("Export bookings as a calendar file"), title="Export bookings")


# ------------------------------------------------------------------------------------------------ AC05


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ("When I pay\nGiven a basket\nThen I get a receipt", "'Given' after 'When'"),
        ("Given a basket\nWhen I pay\nAnd I confirm", "no 'Then'"),
        ("Given a basket\nThen I get a receipt\nWhen I pay", "no 'Then' after the last 'When'"),
        ("- **Given** a basket\n- **When** I pay\n\n- **Given** an empty basket\n- **When** I pay", "no 'Then'"),
        ("Given a basket\nThen a receipt\nGiven an empty basket\nWhen I pay", "no 'Then' after the last 'When'"),
    ],
)
def test_scenarios_out_of_order_are_flagged(steps, problem):
    found = findings("AC05", steps)
    assert len(found) == 1, steps
    assert problem in found[0].message


@pytest.mark.parametrize(
    "steps",
    [
        "Given a basket\nAnd a voucher\nWhen I pay\nThen I get a receipt\nAnd the voucher is used",
        "Given a basket\nWhen I pay\nThen I get a receipt\nWhen I pay again\nThen I see 'Already paid'",
        "Given a basket, when I pay, then I get a receipt\nGiven no basket, when I pay, then I see an error",
        "Given the following users:\n| name |\n| Ann |\nWhen Ann signs in\nThen she sees her bookings",
        "When the job fails, an e-mail is sent\nWhen the job succeeds, nothing is sent",
        "Given that courts close at night, bookings end at 22:00.\nWhen booking, members pick a court.",
        "Then, we tried the nightly build.\nWhen you run it, it crashes.",
        "```\nWhen I pay\nGiven a basket\n```",
    ],
)
def test_ordered_scenarios_and_prose_are_not_flagged(steps):
    assert not findings("AC05", steps), steps


def test_scenario_order_reads_the_criteria_field():
    assert findings("AC05", "", acceptance_criteria_field="When I pay\nGiven a basket\nThen I get a receipt")


# ------------------------------------------------------------------------------------------------ AC06


def test_criteria_made_of_tasks_are_flagged_with_their_share():
    found = findings("AC06", criteria("Refactor the booking service", "Update the docs", "Courts show their price"))
    assert len(found) == 1
    assert "2 of 3" in found[0].message
    assert "Courts show their price" not in found[0].excerpt


@pytest.mark.parametrize(
    "lines",
    [
        ("Courts show their price", "Update the docs"),
        ("Show the price of each court", "Remove the old booking form"),
        ("Deploy does not fail on the main branch", "Design is approved by the club"),
    ],
)
def test_outcomes_and_nouns_are_not_tasks(lines):
    assert not findings("AC06", criteria(*lines)), lines


@pytest.mark.parametrize(
    ("weak", "term"),
    [
        ("Proper error handling", "'proper'"),
        ("Good performance on large clubs", "'good'"),
        ("The booking report is accurate", "'accurate'"),
    ],
)
def test_judgement_of_a_quality_is_flagged(weak, term):
    found = findings("AC02", criteria("A booked court shows the member's name", weak))
    assert found and term in found[0].message, weak


@pytest.mark.parametrize(
    "fine",
    ["Proper error handling for timeouts: a retry button is shown", "A good error message is shown"],
)
def test_explained_or_observable_quality_is_not_flagged(fine):
    assert not findings("AC02", criteria("A booked court shows the member's name", fine)), fine


def test_should_work_alone_is_a_placeholder():
    assert findings("AC03", criteria("It should work"))


@pytest.mark.parametrize(
    "fine",
    ["Which page sizes are optimal?", "Move the nightly job to the new runner for better performance"],
)
def test_questions_and_reasons_are_not_judged(fine):
    assert not findings("AC02", criteria("A booked court shows the member's name", fine)), fine
