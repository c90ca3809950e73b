"""QUS checks: problem-oriented, estimatable, independent, full sentence, conceptually sound (edge cases)."""

from __future__ import annotations

from typing import Any

import pytest

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, Link, SourceInfo
from backlog_health.rules import RuleSet, load_rules
from backlog_health.sources import Loaded

RULES = {rule.id: rule for rule in load_rules().rules}
CONFIG = load_config(directory=None)


def findings(rule_id: str, example: str | dict[str, Any]) -> list[str]:
    """Messages of one rule on one item (a story string or BacklogItem fields)."""
    fields = {"title": example} if isinstance(example, str) else dict(example)
    fields.setdefault("key", "1")
    loaded = Loaded(SourceInfo("text", "tests"), (BacklogItem(**fields),))
    result = analyze(loaded, CONFIG, RuleSet((RULES[rule_id],)), strict=True)
    return [finding.message for item in result.items for finding in item.findings]


FLAGGED = [
    ("PO01", "As a developer, I want every order kept in a database table, so that nothing is lost."),
    ("PO01", "As a member, I want to pick my city from a drop-down menu."),
    ("PO01", "As a clerk, I want the totals cached in Redis, so that the page opens at once."),
    ("PO01", "As an analyst, I want to use logistic regression to predict churn."),
    ("PO01", "As a clerk, I want to list late invoices using an SQL query."),
    ("PO02", "As an admin, I want to refactor the checkout, so that it is easier to change."),
    ("PO02", "As a coach, I want to develop a rating engine for my players."),
    (
        "IN01",
        {
            "key": "PARTY-9",
            "title": "As a host, I want to cancel an event.",
            "type": "Story",
            "description": "We can start after PARTY-7 is merged.",
        },
    ),
    (
        "IN01",
        {
            "title": "As a host, I want to cancel an event.",
            "type": "Story",
            "description": "Depends on:\n- the guest list (#31)",
        },
    ),
    ("IN01", "As a guest, I want to pay online, blocked by ticket 14."),
    (
        "IN02",
        {
            "title": "As a host, I want to cancel an event.",
            "type": "Story",
            "links": (Link("is blocked by", "PARTY-2", "in_progress"),),
        },
    ),
    ("ES01", "As a librarian, I want to manage the loans, so that books come back."),
    ("ES01", "As a cashier, I want to handle all refunds at the till."),
    ("FS01", "AS A LIBRARIAN I WANT TO SEE OVERDUE LOANS."),
    ("FS01", "As a librarian, I want to see overdue loans, so that"),
    ("CS01", "As a nurse, I want to save time."),
    ("CS01", "As a student, I want to understand my grades."),
    ("CS02", "As a reader, I want a table of contents, so that I can click a chapter."),
    ("CS03", "As a librarian, I want statistics."),
]

ACCEPTED = [
    # the term is in the role or the benefit, or names the content, or is what the user avoids
    ("PO01", "As a database administrator, I want to see who signed in today."),
    ("PO01", "As a clerk, I want to find old invoices, so that the database stays useful to auditors."),
    ("PO01", "As a birdwatcher, I want a database of bird songs I can search by region."),
    ("PO01", "As a user, I want to go back a page without using the browser's back button."),
    ("PO01", "As an admin, I want to see API usage per customer, so that I can bill them."),
    # a technical role uses an API: the API is the product
    ("PO01", "As a developer, I want a REST endpoint that returns open orders."),
    ("PO01", "As a diner, I want to book a table by the window."),
    ("PO01", "As a shopper, I want a message when the database is down, so that I retry later."),
    ("PO01", "As a fan, I want to see my club's fixtures from the Premier League API."),
    ("PO01", "As an analyst, I want to import sales figures from MS-SQL, so that I can chart them."),
    ("PO02", "As a head teacher, I want to implement the homework policy in every class."),
    ("PO02", "As a student, I want to build a study plan for the exam week."),
    # bare keys of other projects are standards or names, not items
    ("IN01", "As a traveller, I want the COVID-19 rules after I choose a country."),
    (
        "IN01",
        {
            "key": "PARTY-9",
            "title": "As a host, I want UTF-8 names on badges.",
            "type": "Story",
            "description": "Names need UTF-8 for accents. Dependencies: none",
        },
    ),
    ("IN01", "As a farmer, I want irrigation that depends on the soil moisture."),
    (
        "IN01",
        {
            "title": "As a host, I want a seating plan.",
            "type": "Story",
            "description": "Dependencies: Java 17 and the PDF library",
        },
    ),
    (
        "IN02",
        {
            "title": "As a host, I want to cancel an event.",
            "type": "Story",
            "links": (Link("is blocked by", "PARTY-2", "done"), Link("blocks", "PARTY-3", "todo")),
        },
    ),
    (
        "IN02",
        {
            "title": "As a host, I want to cancel an event.",
            "type": "Story",
            "links": (Link("is blocked by", "PARTY-2", None),),
        },
    ),
    (
        "IN02",
        {
            "title": "As a host, I want to cancel an event.",
            "type": "Story",
            "status_category": "done",
            "links": (Link("is blocked by", "PARTY-2", "todo"),),
        },
    ),
    ("ES01", "As a team lead, I want a weekly overtime report, so that I can manage the workload."),
    ("ES01", "As a shopper, I want to see all my orders of this year."),
    ("ES02", "As a shopper, I want to see all my orders of this year, so that I can check my spending."),
    ("FS01", "As a driver, I want to pay by NFC or QR code on iOS."),
    ("FS01", "As a user, I want to know which group an album belongs to."),
    ("FS01", {"title": "EXPORT FAILS ON LARGE FILES AND TIMES OUT", "type": "Bug"}),
    ("CS01", "As a writer, I want to save my draft, so that I can finish it later."),
    ("CS01", "As a user, I want to be able to reset my password."),
    ("CS01", "As an agency user, I want the spending data to be up to date every morning."),
    ("CS01", "As a clinic, I want to reduce no-shows by texting patients the day before."),
    ("CS02", "As a reader, I want to click a chapter, so that I can jump to it."),
    ("CS03", "As a member, I want dark mode."),
    ("CS03", "As a manager, I want the weekly report."),
]


@pytest.mark.parametrize(("rule_id", "example"), FLAGGED, ids=[f"{r}-flag-{n}" for n, (r, _) in enumerate(FLAGGED)])
def test_flagged(rule_id, example):
    assert findings(rule_id, example), f"{rule_id} should flag {example!r}"


@pytest.mark.parametrize(("rule_id", "example"), ACCEPTED, ids=[f"{r}-accept-{n}" for n, (r, _) in enumerate(ACCEPTED)])
def test_accepted(rule_id, example):
    found = findings(rule_id, example)
    assert not found, f"{rule_id} should accept {example!r} but said {found}"


def test_solution_finding_names_terms_and_asks_the_question():
    [message] = findings("PO01", "As a member, I want a checkbox and a slider for my preferences.")
    assert "'checkbox'" in message and "'slider'" in message


def test_dependency_finding_quotes_the_reference():
    [message] = findings("IN01", "As a host, I want the same as above for weddings.")
    assert "same as above" in message


def test_long_means_counts_words():
    means = " ".join(["word"] * 40)
    [message] = findings("ES02", f"As a planner, I want to {means}.")
    assert "40 words" in message
