"""Story parsing: role, means and ends from the ways real teams write stories."""

from __future__ import annotations

import pytest

from backlog_health.nlp.story import find_story, parse_story, split_sentences

CASES = [
    (
        "connextra",
        "As a user, I want to add items, so that I can plan meals.",
        ("user", "add items", "I can plan meals"),
    ),
    ("an", "As an admin, I want to block users so that spam stops", ("admin", "block users", "spam stops")),
    ("the", "As the Product Owner, I need a burndown chart.", ("Product Owner", "a burndown chart", None)),
    (
        "no commas",
        "As a courier I want to see the route so that I arrive on time",
        ("courier", "see the route", "I arrive on time"),
    ),
    ("lower case", "as a guest i would like to browse offers", ("guest", "browse offers", None)),
    (
        "upper case",
        "AS A GUEST, I WANT TO BROWSE OFFERS, SO THAT I FIND DEALS.",
        ("GUEST", "BROWSE OFFERS", "I FIND DEALS"),
    ),
    (
        "I'd like",
        "As a shopper, I’d like to save a basket, so I can finish later.",
        ("shopper", "save a basket", "I can finish later"),
    ),
    (
        "can",
        "As a visitor, I can browse the catalogue without signing in.",
        ("visitor", "browse the catalogue without signing in", None),
    ),
    (
        "should be able",
        "As a user, I should be able to reset my password in order to regain access.",
        ("user", "reset my password", "regain access"),
    ),
    ("want to be able", "As a user, I want to be able to export data.", ("user", "export data", None)),
    (
        "we",
        "As developers, we need a staging server, so that we can test releases.",
        ("developers", "a staging server", "we can test releases"),
    ),
    (
        "ends first",
        "In order to plan meals, as a parent, I want to save recipes.",
        ("parent", "save recipes", "plan meals"),
    ),
    ("leading key", "PROJ-12: As a user, I want to log in.", ("user", "log in", None)),
    ("bracketed key", "[PROJ-12] As a user, I want to log in.", ("user", "log in", None)),
    (
        "markdown emphasis",
        "**As a** _returning customer_, I want to **reorder** a basket.",
        ("returning customer", "reorder a basket", None),
    ),
    (
        "ends in next sentence",
        "As a publisher, I want to publish data. So that others can reuse it.",
        ("publisher", "publish data", "others can reuse it"),
    ),
    ("no role", "I want to filter products by diet.", (None, "filter products by diet", None)),
    (
        "role with and",
        "As a research and development lead, I want to see budgets.",
        ("research and development lead", "see budgets", None),
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_parse_story_parts(text, expected):
    story = parse_story(text)
    assert story is not None, f"not recognised as a story: {text!r}"
    assert (story.role, story.means, story.ends) == expected, text


@pytest.mark.parametrize(
    "text", ["Coupon codes at checkout", "Fix login crash on iOS", "", "   ", "Update docs as needed"]
)
def test_not_a_story(text):
    assert parse_story(text) is None


def test_extra_sentences_are_kept_apart():
    story = parse_story("As a user, I want to export reports. Use CSV for now. See the mock-up.")
    assert story is not None
    assert story.means == "export reports"
    assert story.extra == "Use CSV for now. See the mock-up."


def test_abbreviations_do_not_split_sentences():
    assert split_sentences("Add filters, e.g. by date. Then sort.") == [
        "Add filters, e.g. by date.",
        "Then sort.",
    ]
    assert split_sentences("Costs 1.5 euros. Done.") == ["Costs 1.5 euros.", "Done."]


def test_templates_compare_equal_across_articles():
    assert parse_story("As an admin, I want to x.").template == parse_story("As a user, I want to y.").template
    assert parse_story("As a user, I can y.").template != parse_story("As a user, I want to y.").template


def test_find_story_in_description_over_several_lines():
    description = (
        "Context first.\n\nAs a returning customer,\nI want to reorder my last basket\nso that I save time.\n"
        "h3. Acceptance Criteria\n* the last basket is shown"
    )
    story = find_story("Reorder basket", description)
    assert story is not None
    assert (story.role, story.means, story.ends) == (
        "returning customer",
        "reorder my last basket",
        "I save time",
    )
    assert story.extra is None


def test_title_story_wins_over_description():
    story = find_story("As a user, I want to log in.", "As an admin, I want to block users.")
    assert story is not None and story.role == "user"


def test_long_hostile_text_is_fast():
    import time

    start = time.perf_counter()
    parse_story("As a user " + "I want to x and " * 20000)
    find_story("x", "As a " * 200000)
    assert time.perf_counter() - start < 2.0


def test_real_stories_parse(shared_data):
    """Almost every line of the real Dalpiaz backlogs is a Connextra story with role and means."""
    lines = [
        line.strip()
        for path in sorted((shared_data / "dalpiaz_user_stories" / "stories").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(lines) == 1680
    parsed = [parse_story(line) for line in lines]
    with_role_and_means = sum(1 for story in parsed if story and story.role and story.means)
    assert with_role_and_means / len(lines) > 0.97, f"only {with_role_and_means} of {len(lines)} parsed"


@pytest.mark.parametrize(
    "text",
    [
        "As a customer who lives in a block of flats, I want to add access instructions.",
        "As a user that is new to the app, I want a tour.",
        "As a manager of stores, I want a weekly report.",
    ],
)
def test_roles_with_relative_clauses(text):
    story = parse_story(text)
    assert story is not None and story.role and story.means, text


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Search", "As far as I can see, there is no way to do it."),
        ("Logging", "As it was mentioned during the meeting, I want to x."),
        ("Cache", "As a follow-on to MDL-1 which removed caching, we need to add it."),
        ("Bug", "Steps: As an admin I can go to the page. But when logged out, I cannot."),
    ],
)
def test_prose_in_descriptions_is_not_a_story(title, description):
    assert find_story(title, description) is None


def test_gherkin_narrative_in_description():
    description = (
        "Feature: notifications\nIn order to be notified\nAs a user\nI need to update my preferences\n\n"
        "Scenario: Update\nGiven I log in"
    )
    story = find_story("Notifications", description)
    assert story is not None
    assert (story.role, story.means, story.ends) == ("user", "update my preferences", "be notified")


@pytest.mark.parametrize(
    "text",
    [
        "As an IT manager, I want to know resource needs early.",
        "As a site member who has read a teaser on the front page, I want to read the entire article.",
    ],
)
def test_roles_that_look_like_prose_but_are_roles(text):
    story = parse_story(text)
    assert story is not None and story.role and story.means, text
