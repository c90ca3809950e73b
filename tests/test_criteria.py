"""Acceptance-criteria extraction: every markup form, section boundaries, field merging, size, real Jira issues."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest

from backlog_health.nlp.criteria import Section, extract_acceptance_criteria, split_sections

CART = "Given a saved cart, when I sign in on another device, then I see the same items"

# (id, description, expected criteria)
CASES = [
    # --- headings that introduce criteria, in every source's markup
    (
        "plain-heading-colon-lines",
        "Acceptance criteria:\nUsers can log in\nUsers can log out",
        ("Users can log in", "Users can log out"),
    ),
    (
        "plain-heading-no-colon",
        "Some context.\nAcceptance Criteria\n- Users can log in\n- Users can log out",
        ("Users can log in", "Users can log out"),
    ),
    (
        "markdown-h2-task-list",
        "Intro.\n\n## Acceptance Criteria\n- [ ] Export works\n- [x] Import works\n",
        ("Export works", "Import works"),
    ),
    (
        "markdown-h3-ac-numbered",
        "### AC\n1. Users can log in\n2) Users can log out",
        ("Users can log in", "Users can log out"),
    ),
    (
        "markdown-bold-label-line",
        "**Acceptance criteria:**\n* Export works\n* Import works",
        ("Export works", "Import works"),
    ),
    (
        "markdown-bold-label-inline",
        "**Acceptance criteria:** users can export the report as CSV.",
        ("users can export the report as CSV.",),
    ),
    (
        "markdown-setext-heading",
        "Acceptance\n==========\n\n- Export works\n\nNotes\n-----\n- not this",
        ("Export works",),
    ),
    (
        "markdown-link-code-emphasis",
        "## AC\n- The [report](https://x.io/r) shows `total` in **bold**",
        ("The report shows total in bold",),
    ),
    ("html-heading", "<h2>Acceptance criteria</h2>\n<ul>\n- Export works\n</ul>", ("Export works",)),
    (
        "jira-h3-numbered",
        "h3. Acceptance Criteria\n# Users can log in\n# Users can log out\nh3. Out of scope\n# SSO",
        ("Users can log in", "Users can log out"),
    ),
    ("jira-bold-line", "*Acceptance Criteria*\n* Export works\n* Import works", ("Export works", "Import works")),
    ("jira-bold-with-colon-inside", "*Acceptance Criteria:*\n- Export works", ("Export works",)),
    ("jira-italic-inline-label", "_Acceptance criteria_: PO can run the demo.", ("PO can run the demo.",)),
    (
        "jira-nested-items",
        "h3. AC\n* Export works.\n** as CSV\n** as PDF\n* Import works",
        ("Export works.", "as CSV", "as PDF", "Import works"),
    ),
    (
        "jira-checklist-icons",
        "h3. Acceptance criteria\n(/) Users can log in\n(x) Users can log out\n(on) Hints show",
        ("Users can log in", "Users can log out", "Hints show"),
    ),
    (
        "jira-links-monospace-icons",
        "h3. AC\n* See [the spec|http://x.io/s] for {{maxTimeMS}} (/)",
        ("See the spec for maxTimeMS",),
    ),
    (
        "jira-heading-runs-list-on",
        "h2. Acceptance Criteria # Jobs run in parallel. # One partition per file.",
        ("Jobs run in parallel.", "One partition per file."),
    ),
    (
        "inline-ac-one-line",
        "AC: users can export the report.\nThe export button is blue today.",
        ("users can export the report.",),
    ),
    (
        "inline-ac-run-on-bullets",
        "Acceptance criteria: * Can select objects * Can select fields ** sorted",
        ("Can select objects", "Can select fields: sorted"),
    ),
    (
        "inline-ac-run-on-dashes",
        "Acceptance Criteria: - Users can log in - Both fields are mandatory\n- Errors show",
        ("Users can log in", "Both fields are mandatory", "Errors show"),
    ),
    ("a-slash-c", "A/C:\n- Export works", ("Export works",)),
    ("acs", "ACs\n- Export works", ("Export works",)),
    (
        "definition-of-done-run-on",
        "Definition of done: * Code reviewed * Docs updated",
        ("Code reviewed", "Docs updated"),
    ),
    ("dod-inline", "DoD: tests pass in CI", ("tests pass in CI",)),
    ("done-when", "Done when:\n- the report is mailed weekly", ("the report is mailed weekly",)),
    (
        "ac-sentence-heading",
        "The acceptance criteria for this page are as follows:\n# Page loads\n# Page prints",
        ("Page loads", "Page prints"),
    ),
    (
        "product-acceptance-criteria",
        "h5. Product Acceptance Criteria\n* Default to server time",
        ("Default to server time",),
    ),
    # --- what counts as one criterion
    (
        "lead-in-line-prefixes-items",
        "Acceptance criteria:\nThe user can:\n- log in\n- log out",
        ("The user can: log in", "The user can: log out"),
    ),
    (
        "lead-in-item-prefixes-sub-items",
        "## AC\n- The total updates:\n  - when an item is removed\n  - on quantity change",
        ("The total updates: when an item is removed", "The total updates: on quantity change"),
    ),
    (
        "parent-without-colon-prefixes",
        "AC:\n* Filters\n** accept quoted strings\n** accept expressions",
        ("Filters: accept quoted strings", "Filters: accept expressions"),
    ),
    (
        "sentences-in-line-mode",
        "Acceptance criteria:\nThe page loads in 2 s. Errors are shown in red, e.g. Timeout.",
        ("The page loads in 2 s.", "Errors are shown in red, e.g. Timeout."),
    ),
    (
        "lazy-continuation-joins-item",
        "Acceptance criteria:\n* Users can clear data\n. This deletes the store.",
        ("Users can clear data. This deletes the store.",),
    ),
    (
        "run-on-numbering",
        "A/C:\n1. Sprints can be created 2. Sprints can be removed 3. Sprints show",
        ("Sprints can be created", "Sprints can be removed", "Sprints show"),
    ),
    ("struck-items-dropped", "h3. AC\n* -Old criterion-\n* New criterion\n- ~~Gone too~~", ("New criterion",)),
    ("table-rows-skipped", "## AC\n| input | output |\n|---|---|\n| 1 | 2 |\n- Export works", ("Export works",)),
    (
        "entities-and-escapes",
        "## AC\n- Tom &amp; Jerry see \\*stars\\* at ?a=1&section=5",
        ("Tom & Jerry see *stars* at ?a=1&section=5",),
    ),
    # --- Given/When/Then
    (
        "gherkin-multi-line",
        ("Scenario: saved cart\nGiven a saved cart\nWhen I sign in on another device\nThen I see the same items"),
        (CART,),
    ),
    ("gherkin-one-line", f"{CART}.", (CART,)),
    (
        "gherkin-and-but",
        "Given a cart\nAnd I am signed out\nWhen I sign in\nThen I see the cart\nBut not the coupon",
        ("Given a cart and I am signed out, when I sign in, then I see the cart but not the coupon",),
    ),
    (
        "gherkin-bulleted-bold",
        "## Acceptance criteria\n- **Given** a cart\n- **When** I pay\n- **Then** I get a receipt",
        ("Given a cart, when I pay, then I get a receipt",),
    ),
    (
        "gherkin-outside-ac-section",
        (
            "We keep carts.\n\nGiven a saved cart\nWhen I sign in on another device\n"
            "Then I see the same items\n\nMore prose."
        ),
        (CART,),
    ),
    (
        "gherkin-multi-scenario",
        (
            "Scenarios:\nScenario: one\nGiven a cart\nWhen I pay\nThen I get a receipt\n\n"
            "Scenario: two\nGiven no cart\nWhen I pay\nThen I see an error\n"
        ),
        ("Given a cart, when I pay, then I get a receipt", "Given no cart, when I pay, then I see an error"),
    ),
    (
        "gherkin-blank-line-between-steps",
        "Given a cart\n\nWhen I pay\n\nThen I get a receipt",
        ("Given a cart, when I pay, then I get a receipt",),
    ),
    (
        "gherkin-when-then-in-ac-section",
        "AC:\n- When I pay, then I get a receipt\n- When I cancel, I see the cart",
        ("When I pay, then I get a receipt", "When I cancel, I see the cart"),
    ),
    (
        "gherkin-background-not-a-scenario",
        ("Feature: cart\nBackground:\nGiven a user\nScenario: pay\nGiven a cart\nWhen I pay\nThen I get a receipt"),
        ("Given a cart, when I pay, then I get a receipt",),
    ),
    ("not-gherkin-prose-given", "Given the complexity, we should split this story.\nWe estimate again later.", ()),
    ("not-gherkin-given-when-without-then", "Given this, when we ship, the docs follow.", ()),
    ("not-gherkin-bug-when", "When I click save the app crashes.\nThen nothing works.", ()),
    ("scenario-heading-of-bug-steps", "Scenario:\n- create a route\n- deploy it\nExpected result:\n- it runs", ()),
    (
        "and-then-is-not-a-then-step",
        "AC:\n- When I click it, I name the view and then the view is created\n- Views show",
        ("When I click it, I name the view and then the view is created", "Views show"),
    ),
    # --- where a section ends
    (
        "ends-at-next-markdown-heading",
        "## Acceptance criteria\n- Export works\n## Design\n- Use a modal",
        ("Export works",),
    ),
    ("ends-at-next-jira-heading", "h3. Acceptance Criteria\n* Export works\nh3. Notes\n* Ask legal", ("Export works",)),
    (
        "ends-at-empty-jira-heading",
        "h3.\nAcceptance Criteria\n# Export works\nh3.\nAssumptions\n# Jobs are local",
        ("Export works",),
    ),
    (
        "ends-at-bold-heading",
        "Acceptance Criteria:\n* Export works\n*Old Description*\nThe old text.",
        ("Export works",),
    ),
    ("ends-at-notes-label", "Acceptance criteria:\n- Export works\nNotes:\n- Ask legal", ("Export works",)),
    ("ends-at-note-inline", "Acceptance Criteria:\n# Export works\nNOTE: only in EE.", ("Export works",)),
    ("ends-at-out-of-scope", "Acceptance criteria:\n- Export works\n\nOut of scope\n- PDF", ("Export works",)),
    (
        "ends-at-open-questions",
        "Acceptance criteria:\nExport works\n\nOpen questions:\nWhich format?",
        ("Export works",),
    ),
    ("ends-at-technical-notes", "AC\n- Export works\nTechnical notes\n- Use the queue", ("Export works",)),
    (
        "sub-headings-stay-inside",
        ("## Acceptance criteria\n### Login\n- Users log in\n### Logout\n- Users log out\n## Notes\n- Ask legal"),
        ("Users log in", "Users log out"),
    ),
    (
        "bold-sub-titles-stay-inside",
        (
            "## Acceptance criteria\n**Happy path**\n- Users log in\n**Errors**\n- Bad "
            "passwords are refused\n## Notes\n- x"
        ),
        ("Users log in", "Bad passwords are refused"),
    ),
    (
        "sub-list-label-stays-inside",
        ("Acceptance Criteria:\n# Examples come from the library\nFrom library:\n# Library filters by server"),
        ("Examples come from the library", "From library: Library filters by server"),
    ),
    # --- code and comments never count
    (
        "markdown-fence-ignored",
        "## AC\n- Export works\n```\n- not a criterion\n## Notes\n```\n- Import works",
        ("Export works", "Import works"),
    ),
    (
        "jira-code-ignored",
        "h3. AC\n* Export works\n{code:java}\n* not a criterion\nh3. Notes\n{code}\n* Import works",
        ("Export works", "Import works"),
    ),
    (
        "jira-noformat-ignored",
        ("AC:\n* Export works {noformat}* no{noformat}\n{noformat}\nGiven a\nWhen b\nThen c\n{noformat}"),
        ("Export works",),
    ),
    ("unclosed-fence-runs-to-end", "## AC\n- Export works\n```\n- not a criterion", ("Export works",)),
    (
        "html-comment-ignored",
        (
            "<!-- ## Acceptance Criteria\n- [ ] template hint -->\n## Acceptance Criteria\n"
            "- Export works <!-- TODO wording -->\n<!-- - hidden -->"
        ),
        ("Export works",),
    ),
    # --- checklists, plain bullets and text without criteria
    (
        "checklist-without-headings-counts",
        "As a user I want exports.\n\n- [ ] CSV export\n- [x] PDF export",
        ("CSV export", "PDF export"),
    ),
    ("checklist-under-other-heading-ignored", "## Tasks\n- [ ] write the code\n- [ ] deploy", ()),
    (
        "checklist-outside-ac-with-headings-ignored",
        "## Context\nText.\n- [ ] CSV export\n## AC\n- PDF export",
        ("PDF export",),
    ),
    ("jira-icons-outside-ac-ignored", "# Open the page\n#* (/) The user is found\n#* (x) The city is missing", ()),
    ("plain-bullets-without-heading-ignored", "As a user I want exports.\n\n- CSV\n- PDF", ()),
    ("prose-mentions-acceptance-criteria", "Create the tasks and acceptance criteria needed.\nACS: login message.", ()),
    ("empty-heading-no-criteria", "h3. Acceptance Criteria\n-\nh3. Notes\n- x", ()),
    ("empty", "", ()),
    ("blank", "  \n\t\n", ()),
    ("duplicates-dropped", "AC:\n- Export works\n- export works.\n- Export  works", ("Export works",)),
]


@pytest.mark.parametrize(("description", "expected"), [pytest.param(d, e, id=i) for i, d, e in CASES])
def test_extract(description: str, expected: tuple[str, ...]) -> None:
    """Each form yields exactly the criteria a PO would list."""
    assert extract_acceptance_criteria(description) == expected


# Every AC heading name, in each style a source writes it.
AC_NAMES = [
    "Acceptance Criteria",
    "acceptance criterion",
    "AC",
    "ACs",
    "A/C",
    "Definition of Done",
    "DoD",
    "Done when",
    "Done criteria",
    "Success criteria",
    "Conditions of satisfaction",
    "Acceptance tests",
    "Acceptance",
    "Test criteria",
    "Scenarios",
]
STYLES = {
    "plain": "{}\n- Users can export",
    "colon": "{}:\n- Users can export",
    "markdown": "## {}\n- Users can export",
    "markdown-bold": "**{}:**\n- Users can export",
    "jira": "h3. {}\n* Users can export",
    "jira-bold": "*{}*\n* Users can export",
    "inline": "{}: Users can export",
}


@pytest.mark.parametrize(
    "text", [pytest.param(s.format(n), id=f"{n}-{k}") for n in AC_NAMES for k, s in STYLES.items()]
)
def test_every_ac_heading_is_recognised(text: str) -> None:
    """Every heading name that introduces criteria works in every markup style."""
    assert extract_acceptance_criteria(f"Some context.\n{text}") == ("Users can export",)


def test_none_description() -> None:
    """None (an item without a description) has no criteria."""
    assert extract_acceptance_criteria(None) == ()
    assert split_sections(None) == []


# (id, description, field, expected)
FIELD_CASES = [
    (
        "field-list-first-then-new-from-description",
        "## AC\n- Export works\n- PDF works",
        "* export works.\n* CSV works",
        ("export works.", "CSV works", "PDF works"),
    ),
    ("field-lines", "", "Users can log in\nUsers can log out", ("Users can log in", "Users can log out")),
    (
        "field-jira-markup",
        "No criteria here.",
        "h3. Acceptance criteria\n# Export works\n# Import works",
        ("Export works", "Import works"),
    ),
    ("field-gherkin", "", "Given a saved cart\nWhen I sign in on another device\nThen I see the same items", (CART,)),
    ("field-notes-are-not-criteria", "", "* Export works\nNotes:\n* ask legal", ("Export works",)),
    ("field-blank-uses-description", "AC: users can export", "  \n", ("users can export",)),
    ("field-none-uses-description", "AC: users can export", None, ("users can export",)),
    ("field-only", None, "- Export works", ("Export works",)),
]


@pytest.mark.parametrize(
    ("description", "field", "expected"), [pytest.param(d, f, e, id=i) for i, d, f, e in FIELD_CASES]
)
def test_field_merging(description: str | None, field: str | None, expected: tuple[str, ...]) -> None:
    """The tracker's AC field comes first; the description adds only criteria the field lacks."""
    assert extract_acceptance_criteria(description, field) == expected


# (id, text, expected sections as (heading, body))
SECTION_CASES = [
    ("empty", "", []),
    ("no-headings", "Just text.\nMore.", [(None, "Just text.\nMore.")]),
    (
        "markdown",
        "Intro\n\n## Acceptance Criteria\n- a\n\n### Notes\nn",
        [(None, "Intro"), ("Acceptance Criteria", "- a"), ("Notes", "n")],
    ),
    ("starts-with-heading", "# Title\nbody", [("Title", "body")]),
    (
        "jira",
        "h3. Story\nAs a user…\nh3. Acceptance criteria\n# a\n# b",
        [("Story", "As a user…"), ("Acceptance criteria", "# a\n# b")],
    ),
    (
        "bold-and-labels",
        "*Context*\nc\nAcceptance criteria:\n* a\nOut of scope\nx",
        [("Context", "c"), ("Acceptance criteria", "* a"), ("Out of scope", "x")],
    ),
    ("inline-label", "AC: users can export\nmore", [("AC", "users can export\nmore")]),
    ("setext", "Title\n=====\nbody", [("Title", "body")]),
    ("empty-jira-heading", "h3.\nNarrative\ntext", [("", ""), ("Narrative", "text")]),
    (
        "code-keeps-hash-lines",
        "## Steps\n```\n# not a heading\n```\n## AC\n- a",
        [("Steps", "```\n# not a heading\n```"), ("AC", "- a")],
    ),
    ("comment-hides-heading", "<!--\n## Hidden\n-->\ntext", [(None, "<!--\n## Hidden\n-->\ntext")]),
    ("hash-list-is-not-headings", "Steps\n# open the page\n# click save", [("Steps", "# open the page\n# click save")]),
    ("crlf", "## A\r\nx\r\n## B\r\ny", [("A", "x"), ("B", "y")]),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in SECTION_CASES])
def test_split_sections(text: str, expected: list[tuple[str | None, str]]) -> None:
    """Headings of every markup cut the text; the text before the first one has heading None."""
    assert split_sections(text) == [Section(heading, body) for heading, body in expected]


# --- size: 5 MB must take well under a second, whatever its shape

_STORY = """As a shopper I want my cart saved so that I can finish later.

## Acceptance Criteria
- [ ] Given a saved cart, when I sign in on another device, then I see the same items
- Users can remove items from the cart
* The total updates:
  * when an item is removed
```python
def not_a_criterion(): pass
```
<!-- template hint -->
h3. Notes
Some *notes* with [links|http://x.io] that are not criteria.
Scenario: returning user
Given a returning user
When they sign in
Then they see their cart
"""
_FIVE_MB = 5_000_000


def _repeat(text: str) -> str:
    """Text repeated to 5 MB."""
    return (text * (_FIVE_MB // len(text) + 1))[:_FIVE_MB]


HUGE = [
    ("repeated-story", _repeat(_STORY)),
    ("one-line-of-words", _repeat("word ")),
    ("one-line-of-openers", _repeat("<!-- {code} ``` {{ [a| ![x]( **x *y _z -w ~~v ")),
    ("unclosed-code-block", "## AC\n- Export works\n{code}\n" + _repeat("x = 1\n")),
    ("run-on-bullets", "AC: " + _repeat("* a ")),
    ("one-long-ac-list", "## Acceptance Criteria\n" + _repeat("- Users can export the report as a CSV file\n")),
    ("many-scenarios", _repeat("Given a cart\nWhen I pay\nThen I get a receipt\n")),
    ("spaces", _repeat(" ")),
]


@pytest.mark.parametrize("text", [pytest.param(t, id=i) for i, t in HUGE])
def test_huge_input_is_fast(text: str) -> None:
    """A 5 MB description is read in about a second, not minutes (no regex backtracks over the text).

    The bound is loose on purpose: it catches quadratic behaviour, which takes minutes here, and stays green
    on a busy machine; speed itself is measured in bench/.
    """
    start = time.perf_counter()
    criteria = extract_acceptance_criteria(text)
    sections = split_sections(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"{elapsed:.2f}s"
    assert len(criteria) <= 1000 and sections is not None


def test_huge_input_keeps_its_criteria() -> None:
    """A long description still yields its criteria, once each."""
    assert extract_acceptance_criteria(_repeat(_STORY)) == (
        CART,
        "Users can remove items from the cart",
        "The total updates: when an item is removed",
        "Given a returning user, when they sign in, then they see their cart",
    )


# --- real Jira issues (third-party data, read in place; their CSV export lost line breaks: restore them here)


def _restore_line_breaks(text: str) -> str:
    """Put back the line breaks the CSV export turned into runs of spaces."""
    return re.sub(r" {2,}", "\n", text)


@pytest.fixture(scope="session")
def real_issues(shared_data: Path) -> dict[tuple[str, str], str]:
    """Every issue of the story-point datasets: (file name, issue key) → description with line breaks."""
    csv.field_size_limit(1 << 30)
    issues: dict[tuple[str, str], str] = {}
    for path in sorted((shared_data / "jira_storypoints").glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                issues[(path.name, row["issuekey"])] = _restore_line_breaks(row.get("description") or "")
    return issues


# (file, issue key, what a careful PO extracts); each a different form.
REAL_CASES = [
    (
        "mulestudio.csv",
        "STUDIO-2825",
        (  # plain "Acceptance Criteria:" and Jira bullets after a user story
            "Salesforce SOQL expressions are displayed",
            "I can edit a SOQL expression",
            (
                "I can reset a customized SOQL expression and go back to the generated query and receive a warning "
                "if I'm about to do so"
            ),
            "I cannot edit any of the items used to generate the query if I have customized the query",
            "The query editor is not displayed if the connector does not support it.",
        ),
    ),
    (
        "mulestudio.csv",
        "STUDIO-3317",
        (  # bullets run together on the label's line, a nested group
            "No extra vertical layout space",
            "No icons for accounts & fields",
            "Field type is shown in field list (see mockups)",
            "Field list is not shown if the connector does not support editing fields",
            "Selecting a field blocks other UI actions in the form until the field metadata is loaded (see mockups)",
            "All field lists are alphabetized",
            "Filters: Entering in a String results in DSQL with quotes around the string value",
            "Filters: It should be possible to put in an expression into any field",
            (
                "Filters: Only the operators that the connector supports and that are applicable for the fields "
                "show up (based on the connector metadata)"
            ),
            (
                "If DataSense query is not parseable (invalid format), then display a message describing the error "
                "(see mockup)"
            ),
            (
                "If the DataSense query is unsupported by the GUI editor (i.e. it has OR expressions), then display "
                'the message "The current query has operators that are not supported by the visual editor. '
                'Editing this query will cause your current query to be lost."'
            ),
        ),
    ),
    (
        "mule.csv",
        "MULE-7090",
        (  # plain label, one criterion per line; the problem bullets above are not AC
            (
                "It should be possible to use any JCE provider defined in the JVM environment in order to support FIPS "
                "compliant providers."
            ),
            (
                "Endpoints should rely on the registered JCE provider for SSL and use the default ssl type instead of "
                "hardcoding one (As FIPS providers will disable several modes and only allow TLS 1.0+)."
            ),
        ),
    ),
    (
        "springxd.csv",
        "XD-244",
        (  # Jira "h2." with the title on the next line, "#" items with {{monospace}}
            "Implement the ability to register a time based trigger trigger <CRON_STRING> for example",
            "Implement the ability to register a file existence based trigger trigger <PATH> for example",
            "Implement the ability to execute a job via an anonymous trigger: job_name @ <CRON_STRING OR PATH>",
            (
                "Implement the ability to execute a job via a job via the previously registered trigger: "
                "job_name @ trigger_name"
            ),
        ),
    ),
    (
        "springxd.csv",
        "XD-2052",
        (  # "Acceptance Criteria: - …" with dash items run together over two lines
            "User should be able to list the 'new source' through DSL commands",
            'User should be able to optionally choose the "new source" adapters for stream creation using XD shell',
            (
                "User should see appropriate error messages if the required attributes are missing while creating a "
                "stream with the 'new source' module"
            ),
            (
                "After successful stream creation with the 'new source' module, the definition should be included in "
                "stream listing"
            ),
            "REST endpoints should include 'new source' definitions",
            "Data ingested using the 'new source' should be validated for accurateness",
            (
                "Appropriate error/exception message needs logged if there's any problem ingesting data using "
                "'new source' module"
            ),
        ),
    ),
    (
        "COMPASS_deep-se.csv",
        "COMPASS-3291",
        (  # "h3. Acceptance Criteria" ending at "h3. Notes"
            "There is a place in the UI where I can set sample size, number of docs in preview and maxTimeMS",
            "By default, these settings are set to the default that is in Compass today",
            "When I change one of these values, the new configuration is preserved across different Compass sessions",
        ),
    ),
    (
        "COMPASS_deep-se.csv",
        "COMPASS-3830",
        (  # struck-through (withdrawn) items and Jira links
            (
                "The empty state of the documents tab contains an entry point to Import "
                "(https://mongodb.invisionapp.com/share/BVNOZB4DYT3#/screens/316135808)"
            ),
            (
                "The toolbar of the documents tab contains an entry point to Import "
                "(https://mongodb.invisionapp.com/share/BVNOZB4DYT3#/screens/316135808)"
            ),
            "The entry point to Import opens the Import dialog in the context of the collection the user selected",
            (
                "The entry point to Export opens the Export dialog in the context of the collection the user selected. "
                "By default, the whole collection will be exported."
            ),
            (
                "The toolbar of the documents tab contains an entry point to Export "
                "(https://mongodb.invisionapp.com/share/BVNOZB4DYT3#/screens/316135808)"
            ),
            (
                "When Export is selected in the documents tab toolbar, Export defaults to the current filter, project, "
                "sort and limit"
            ),
        ),
    ),
    (
        "MDL_deep-se.csv",
        "MDL-68134",
        (  # "The acceptance criteria … are as follows:", "#-" sub-items under a lead-in
            "The look and feel of the page should match the mocks, albeit as a page not a pane.",
            "This page does not need to be linked to from anywhere in this issue.",
            "Entering a profile url and saving should: Validate the profile URL syntax",
            (
                "Entering a profile url and saving should: Save the profile URL into the user's "
                "'MoodleNet profile URL' custom field"
            ),
            (
                "Entering a profile url and saving should: Redirect the user to the respective MoodleNet endpoint "
                "- there is a method to generate this endpoint - see MDL-68140."
            ),
        ),
    ),
    (
        "NEXUS_deep-se.csv",
        "NEXUS-16475",
        (  # "*Acceptance Criteria*" after steps to reproduce and a {code} block
            "delete by asset should not delete the component when other assets are associated with the component.",
            "delete by component should delete itself and all associated assets.",
        ),
    ),
    (
        "EVG_deep-se.csv",
        "EVG-3204",
        (  # two Given/When/Then scenarios, no heading at all
            (
                "Given a revision/patch is selected that contains tests with associated open Build Failures, when I "
                'scroll down the page, then I see a list of BF\'s listed in a "Failures" column that are open and that '
                "were created after the reference point (baseline tag, patch id, or revision)"
            ),
            (
                "Given a revision/patch is selected that contains tests with associated open Build Failures, when I "
                "click on a Build Failure Link, then I'm taken to that build failure in JIRA"
            ),
        ),
    ),
    (
        "datamanagement.csv",
        "DM-386",
        (  # "Definition of done:" with bullets run together and a continuation line
            (
                "A library that has method calls to each of these commands/events. Each method call sends one message "
                "to the given Topic."
            ),
            (
                "Command line tool that can send any of these commands/events to a commandable entity subscribed to a "
                "Topic."
            ),
            "Unit tests for each of the commands/events",
        ),
    ),
    (
        "jirasoftware.csv",
        "JSW-8662",
        (  # "A/C:" with numbers run together; Notes and (x) answers are not AC
            "I am able to create future sprints which I can assign issues to",
            "I'm able to remove future sprints and the issues are removed from them",
            (
                "I'm able to move issues between future sprints and out of future sprints and the db is updated "
                "accordingly"
            ),
            "The backlog shows all future sprints, regardless of whether they are empty or not",
        ),
    ),
    (
        "talendesb.csv",
        "TESB-2359",
        (  # italic inline label after an "*Expectations*" list that is not AC
            "PO is able to execute the demos following the instructions in the readme.",
        ),
    ),
]


@pytest.mark.parametrize(
    ("file", "key", "expected"), [pytest.param(f, k, e, id=f"{f.split('.')[0]}-{k}") for f, k, e in REAL_CASES]
)
def test_real_issue(real_issues: dict[tuple[str, str], str], file: str, key: str, expected: tuple[str, ...]) -> None:
    """Real Jira descriptions yield exactly the criteria a careful PO would list."""
    assert extract_acceptance_criteria(real_issues[(file, key)]) == expected


def test_huge_real_text_is_fast(real_issues: dict[tuple[str, str], str]) -> None:
    """5 MB of real descriptions, one after the other, are read in well under a second."""
    text = "\n\n".join(real_issues.values())[:_FIVE_MB]
    start = time.perf_counter()
    criteria = extract_acceptance_criteria(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0 and len(criteria) > 100, f"{elapsed:.2f}s, {len(criteria)} criteria"


# An AC heading as a test sees it, independently of the extractor: a line that is "Acceptance criteria",
# perhaps marked up, perhaps with a colon and text after it.
_AC_HEADING_LINE = re.compile(
    r"^[ \t#*_>]*(?:h[1-6]\.[ \t]*)?[*_]*acceptance criteri(?:a|on)\b[*_ \t]*(?::|$)", re.IGNORECASE | re.MULTILINE
)
# Anything that might introduce criteria; descriptions without any of it should yield none.
_ANY_AC_SIGN = re.compile(
    r"acceptance|\bA/?Cs?\b|definition of done|\bDoD\b|success criteria|done when|scenario|\bgiven\b",
    re.IGNORECASE,
)


def test_real_share_with_ac_heading(real_issues: dict[tuple[str, str], str]) -> None:
    """Nearly every real issue with an "Acceptance criteria" heading yields at least one criterion."""
    with_heading = [text for text in real_issues.values() if _AC_HEADING_LINE.search(text)]
    n_found = sum(1 for text in with_heading if extract_acceptance_criteria(text))
    pct_found = 100 * n_found / len(with_heading)
    assert len(with_heading) > 150 and pct_found >= 97, f"{n_found}/{len(with_heading)} = {pct_found:.1f}%"


def test_real_share_without_ac_signs(real_issues: dict[tuple[str, str], str]) -> None:
    """Real issues with no AC heading and no Given/When/Then almost never yield criteria."""
    without = [text for text in real_issues.values() if not _ANY_AC_SIGN.search(text)]
    n_none = sum(1 for text in without if not extract_acceptance_criteria(text))
    pct_none = 100 * n_none / len(without)
    assert len(without) > 40_000 and pct_none >= 99.5, f"{n_none}/{len(without)} = {pct_none:.2f}%"


def test_icon_with_a_status_alone_is_progress_not_a_criterion() -> None:
    text = "Acceptance criteria:\n(/) DONE\n(/) The list shows the new item\n(x) WIP\n* Works offline"
    assert extract_acceptance_criteria(text) == ("The list shows the new item", "Works offline")
    assert extract_acceptance_criteria("Acceptance criteria:\n- Done") == ("Done",)  # a weak criterion, kept
