"""The GitHub source, replaying cassettes of PyGithub talking to the stand-in in tests/standins.

Re-record every cassette (needs ../shared/data):  BH_RECORD_CASSETTES=1 python -m pytest tests/test_github.py
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import vcr
from click.testing import CliRunner

from backlog_health.cli import main
from backlog_health.errors import BacklogHealthError
from backlog_health.sources.github import GithubQuery, GithubSource

CASSETTES = Path(__file__).parent / "cassettes" / "github"
RECORD = os.environ.get("BH_RECORD_CASSETTES") == "1"
# NOTE: PyGithub follows Link headers only on its own host, so recording and replay share one fixed address.
PORT = 18731
SITE = f"http://127.0.0.1:{PORT}"
TOKEN = "fake-gh-token-5b8e2d"
REPO = "acme-shop/storefront"

_VCR = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORD else "none",
    match_on=["method", "scheme", "host", "port", "path", "query", "body"],
    filter_headers=["authorization", "cookie", "set-cookie"],
    decode_compressed_response=True,
)


@contextmanager
def github_site(name: str, scenario: Callable[[], object] | None = None, enterprise: bool = False) -> Iterator[str]:
    """The REST base URL of a GitHub: the stand-in while recording, the cassette while replaying."""
    if RECORD:
        from standins.github import GitHubStandIn, Scenario

        with (
            GitHubStandIn(scenario() if scenario else Scenario(), port=PORT) as server,
            _VCR.use_cassette(f"{name}.yaml"),
        ):
            yield server.api_url
    else:
        with _VCR.use_cassette(f"{name}.yaml"):
            yield SITE + ("/api/v3" if enterprise else "")


def _scenario(**kwargs):
    def build():
        from standins.github import Scenario

        return Scenario(**kwargs)

    return build


def _source(url: str, token: str = TOKEN, **query) -> tuple[GithubSource, list[str], list[float]]:
    messages: list[str] = []
    waits: list[float] = []
    source = GithubSource(GithubQuery(api_url=url, **query), token, notify=messages.append, sleep=waits.append)
    return source, messages, waits


def test_repository_issues_over_three_pages_without_pull_requests():
    with github_site("repo_pages", _scenario(issue_count=250)) as url:
        source, _, _ = _source(url, repo=REPO, state="all")
        loaded = source.load()
    items = loaded.items
    # one REST page of 100, then one GraphQL query for who last touched that page's issues
    assert source.n_requests == 6, source.n_requests
    assert len(items) == 200, "the 50 pull requests are left out"
    assert all("/pull/" not in (item.url or "") for item in items)
    assert all(item.key.startswith("#") for item in items)
    assert {"todo", "done"} == {item.status_category for item in items}
    assert any(item.estimate is not None for item in items), "estimates from labels"
    assert any(item.priority for item in items), "priorities from labels"
    assert any(item.type == "Bug" for item in items) and any(item.sprint for item in items)
    assert loaded.info.kind == "github" and loaded.info.location == REPO


def test_staleness_leaves_bots_out():
    """A stale bot's comment moves `updated_at`; the item's `touched` is still the last person's update."""
    with github_site("repo_open", _scenario(issue_count=120)) as url:
        loaded = _source(url, repo=REPO)[0].load()
    assert all(item.touched is not None for item in loaded.items)
    assert all(item.touched <= item.updated for item in loaded.items if item.updated)
    bumped = [item for item in loaded.items if (item.updated - item.touched).days > 20]
    assert bumped, "issues whose only recent update is a bot's"
    assert all(int(item.key[1:]) % 7 == 3 for item in bumped), [item.key for item in bumped]
    person = [item for item in loaded.items if int(item.key[1:]) % 7 != 3]
    assert any(item.touched == item.updated for item in person), "a person's comment is the last update"


def _old_schema():
    from standins.github import Fault

    # NOTE: an older GitHub Enterprise Server whose schema lacks a field answers 200 with an error.
    error = {"errors": [{"message": "Field 'timelineItems' doesn't exist on type 'Issue'"}]}
    return Fault(status=200, body=json.dumps(error))


def test_issue_timelines_unavailable_fall_back_to_updates():
    with github_site("timeline_missing", _faults("/graphql", _old_schema, _old_schema)) as url:
        source, messages, _ = _source(url, repo=REPO)
        loaded = source.load()
    assert loaded.items and all(item.touched is None for item in loaded.items)
    notes = [m for m in messages if "did not say who last updated" in m]
    assert len(notes) == 1 and "timelineItems" in notes[0], messages


def test_issue_bodies_are_markdown_to_text():
    from backlog_health.nlp.criteria import extract_acceptance_criteria

    with github_site("repo_open", _scenario(issue_count=120)) as url:
        loaded = _source(url, repo=REPO)[0].load()
    assert all(item.status_category == "todo" for item in loaded.items), "open issues by default"
    with_criteria = [item for item in loaded.items if extract_acceptance_criteria(item.description)]
    assert with_criteria, "issue-form acceptance criteria sections are found"
    assert not any("<!--" in item.description for item in loaded.items), "HTML comments dropped"


def test_label_filter():
    with github_site("repo_labels", _scenario(issue_count=120)) as url:
        loaded = _source(url, repo=REPO, labels=("bug",), state="all")[0].load()
    assert loaded.items and all("bug" in item.labels for item in loaded.items)


def test_enterprise_base_url():
    with github_site("enterprise", _scenario(issue_count=30, enterprise=True), enterprise=True) as url:
        source, _, _ = _source(url, repo=REPO)
        loaded = source.load()
    assert url.endswith("/api/v3") and loaded.items


def test_project_three_pages_with_fields_and_drafts():
    with github_site("project_pages", _scenario(issue_count=250, project_item_count=250)) as url:
        source, _, _ = _source(url, project="acme-shop/7", include_done=True)
        loaded = source.load()
    items = loaded.items
    assert source.n_requests == 3, source.n_requests  # one GraphQL query per 100 items
    assert loaded.info.kind == "github-project"
    assert [item.rank for item in items] == list(range(1, len(items) + 1))
    assert any(item.key.startswith("PVTI_") for item in items), "draft issues are kept"
    assert all("/pull/" not in (item.url or "") for item in items), "pull requests are left out"
    assert any(item.status for item in items) and any(item.sprint for item in items)
    assert any(item.estimate is not None for item in items) and any(item.priority for item in items)


def test_project_leaves_done_items_out_by_default():
    with github_site("project_open", _scenario(project_item_count=60)) as url:
        loaded = _source(url, project="acme-shop/7")[0].load()
    assert loaded.items and all(item.status_category != "done" for item in loaded.items)
    # every project item is accounted for: in the backlog, or left out with why
    counts = {note.split(" project ")[1]: int(note.split()[0]) for note in loaded.notes if "were left out" in note}
    assert len(loaded.items) + len(loaded.skipped) + sum(counts.values()) == 60, loaded.notes
    assert any(why.startswith("done items") for why in counts)
    # the done items left out still tell the velocity, from the iterations they were finished in
    assert loaded.velocity is not None, "finished iterations give a velocity"
    velocity, iterations = loaded.velocity
    assert velocity > 0 and 2 <= len(iterations) <= 3 and all(name.startswith("Iteration") for name in iterations)


def test_user_project_falls_back_from_organization():
    with github_site("project_user", _scenario(owner_kind="user", owner="octo-po", project_item_count=20)) as url:
        source, _, _ = _source(url, project="octo-po/7")
        loaded = source.load()
    assert loaded.items and source.n_requests == 2  # organization (not found), then user


@pytest.mark.parametrize(
    ("name", "scenario", "token", "query", "words"),
    [
        pytest.param("error_401", _scenario(), "wrong-token", {"repo": REPO}, ["401", "GITHUB_TOKEN"], id="bad token"),
        pytest.param(
            "error_404",
            _scenario(),
            TOKEN,
            {"repo": "acme-shop/nope"},
            ["404", "acme-shop/nope"],
            id="unknown repository",
        ),
        pytest.param(
            "error_scopes",
            _scenario(token_scopes=("repo",)),
            TOKEN,
            {"project": "acme-shop/7"},
            ["read:project"],
            id="token without read:project",
        ),
        pytest.param(
            "error_actions",
            _scenario(actions_token=True),
            TOKEN,
            {"project": "acme-shop/7"},
            ["GitHub Actions cannot read Projects"],
            id="Actions token",
        ),
        pytest.param(
            "error_project_404",
            _scenario(),
            TOKEN,
            {"project": "acme-shop/99"},
            ["no project acme-shop/99"],
            id="unknown project",
        ),
    ],
)
def test_error_answers_are_one_clear_line(name, scenario, token, query, words):
    with github_site(name, scenario) as url:
        source, _, _ = _source(url, token=token, **query)
        with pytest.raises(BacklogHealthError) as error:
            source.load()
    message = str(error.value)
    assert "\n" not in message and TOKEN not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def _faults(path: str, *faults: Callable[[], object]):
    def build():
        from standins.github import Scenario

        scenario = Scenario(issue_count=30)
        scenario.faults[path] = [fault() for fault in faults]
        return scenario

    return build


def _secondary(retry_after: int):
    def build():
        from standins.github import secondary_rate_limit

        return secondary_rate_limit(retry_after)

    return build


def test_secondary_rate_limit_waits_as_told():
    with github_site("retry_secondary", _faults("/repos/", _secondary(3))) as url:
        source, messages, waits = _source(url, repo=REPO)
        loaded = source.load()
    assert loaded.items and waits == [3.0]
    assert any("403" in message and "retrying in 3 s" in message for message in messages), messages


def test_rate_limit_longer_than_max_wait_ends_the_run():
    with github_site("retry_too_long", _faults("/repos/", _secondary(600))) as url:
        source, _, waits = _source(url, repo=REPO, max_wait=60)
        with pytest.raises(BacklogHealthError, match="longer than --max-wait 60"):
            source.load()
    assert waits == []


def test_missing_token_names_the_variables(monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with pytest.raises(BacklogHealthError, match="GITHUB_TOKEN .*GH_TOKEN"):
        GithubSource(GithubQuery(repo=REPO))


def test_network_down_ends_quickly():
    source = GithubSource(
        GithubQuery(repo=REPO, api_url="http://127.0.0.1:9", timeout=5),
        TOKEN,
        notify=lambda message: None,
        sleep=lambda seconds: None,
    )
    start = time.monotonic()
    with pytest.raises(BacklogHealthError, match="cannot reach GitHub"):
        source.load()
    assert time.monotonic() - start < 30


def test_cassettes_hold_no_token():
    cassettes = list(CASSETTES.glob("*.yaml"))
    assert len(cassettes) >= 10
    for cassette in cassettes:
        text = cassette.read_text(encoding="utf-8")
        assert TOKEN not in text and re.search(r"(?im)^\s*authorization:", text) is None, cassette.name


def test_cli_github_with_snapshot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with github_site("cli_repo", _scenario(issue_count=40)) as url:
        result = CliRunner().invoke(
            main,
            [
                "analyze",
                "--github",
                REPO,
                "--github-url",
                url,
                "--json",
                "report.json",
                "--save-snapshot",
                "snap.json",
                "--debug",
            ],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["source"]["kind"] == "github" and report["summary"]["n_items"] > 0
    assert TOKEN not in (tmp_path / "snap.json").read_text(encoding="utf-8")


def test_odd_issues_never_abort_the_run():
    source = GithubSource(GithubQuery(repo=REPO, api_url=SITE), TOKEN)
    huge = {"number": 1, "title": "As a user, I want x", "body": "word " * 1_000_000, "html_url": f"{SITE}/i/1"}
    empty = {"number": 2, "title": None, "body": None, "labels": None, "assignees": None, "milestone": None}
    odd = {"number": 3, "title": "🚀 \u202e", "labels": [{"name": "size: many"}, "not a label"], "type": "weird"}
    pull = {"number": 4, "title": "PR", "pull_request": {"url": "x"}}
    items = [source._issue_item(raw, rank) for rank, raw in enumerate((huge, empty, odd, pull), 1)]
    assert items[0] is not None and len(items[0].description) > 1_000_000
    assert items[1] is not None and items[1].title == "#2" and items[1].n_comments is None
    assert (
        source._issue_item({"number": 5, "title": "t", "comments": 3, "sub_issues_summary": {"total": 2}}, 5).n_subtasks
        == 2
    )
    assert items[2] is not None and items[2].estimate is None and items[2].labels == ("size: many",)
    assert items[3] is None, "pull requests are left out"


def _event(typename: str, when: str, login: str, bot: bool = False, **extra) -> dict:
    who = {"__typename": "Bot" if bot else "User", "login": login}
    return {
        "__typename": typename,
        "createdAt": when,
        ("author" if typename == "IssueComment" else "actor"): who,
        **extra,
    }


@pytest.mark.parametrize(
    ("nodes", "edit", "expected"),
    [
        ([], None, "2024-01-01"),  # nothing since creation
        ([_event("IssueComment", "2024-03-01T00:00:00Z", "ana")], None, "2024-03-01"),
        ([_event("IssueComment", "2024-05-01T00:00:00Z", "github-actions", bot=True)], None, "2024-01-01"),
        ([_event("LabeledEvent", "2024-05-01T00:00:00Z", "renovate[bot]")], None, "2024-01-01"),
        ([_event("AssignedEvent", "2024-05-01T00:00:00Z", "ci-bot")], None, "2024-01-01"),
        (
            [
                _event("LabeledEvent", "2024-02-01T00:00:00Z", "ana"),
                _event("IssueComment", "2024-05-01T00:00:00Z", "stale", bot=True),
            ],
            None,
            "2024-02-01",
        ),
        # a person edited a bot's comment, or the body: that is a person's touch
        (
            [
                _event(
                    "IssueComment",
                    "2024-02-01T00:00:00Z",
                    "dependabot",
                    bot=True,
                    editor={"__typename": "User", "login": "ana"},
                    lastEditedAt="2024-04-01T00:00:00Z",
                )
            ],
            None,
            "2024-04-01",
        ),
        ([], ({"__typename": "User", "login": "ana"}, "2024-03-03T00:00:00Z"), "2024-03-03"),
        ([], ({"__typename": "Bot", "login": "mergify"}, "2024-03-03T00:00:00Z"), "2024-01-01"),
        ([None, {"__typename": "IssueComment"}], None, "2024-01-01"),  # odd nodes are skipped
    ],
)
def test_people_touched(nodes, edit, expected):
    from backlog_health.sources.github import people_touched

    issue = {"createdAt": "2024-01-01T00:00:00Z", "timelineItems": {"nodes": nodes}}
    if edit:
        issue["editor"], issue["lastEditedAt"] = edit
    assert people_touched(issue).date().isoformat() == expected


def test_people_touched_needs_the_timeline():
    from backlog_health.sources.github import people_touched

    assert people_touched({"createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-05-01T00:00:00Z"}) is None


@pytest.mark.parametrize(
    "given",
    [
        "acme-shop/7",
        "https://github.com/orgs/acme-shop/projects/7",
        "https://github.com/orgs/acme-shop/projects/7/views/2",
        "https://github.example.com/orgs/acme-shop/projects/7?query=is%3Aopen",
    ],
)
def test_a_project_is_named_by_owner_and_number_or_by_its_url(shared_data, given):
    from standins.github import GitHubStandIn, Scenario

    with GitHubStandIn(Scenario(project_item_count=12)) as site:
        loaded = _source(site.api_url, project=given)[0].load()
    assert loaded.items


@pytest.mark.parametrize("given", ["acme-shop", "https://github.com/acme-shop/storefront", "acme-shop/seven"])
def test_a_project_named_otherwise_is_a_clear_error(given):
    source, _, _ = _source("https://api.github.com", project=given)
    with pytest.raises(BacklogHealthError, match="give the project as OWNER/NUMBER or its URL"):
        source.load()


def test_a_window_of_bot_events_says_nothing_of_older_ones():
    """The last 20 events are a bot's, 40 in all: the person's touch is older than the window, not known."""
    from backlog_health.sources.github import people_touched

    bots = [_event("LabeledEvent", f"2024-05-{day:02d}T00:00:00Z", "ci", bot=True) for day in range(1, 21)]
    issue = {"createdAt": "2020-01-01T00:00:00Z", "timelineItems": {"totalCount": 40, "nodes": bots}}
    assert people_touched(issue) is None
    issue["timelineItems"]["totalCount"] = 20  # the window is the whole timeline: only bots since creation
    assert people_touched(issue).year == 2020


def test_project_timelines_unavailable_fall_back_to_updates():
    with github_site("project_timeline_missing", _faults("/graphql", _old_schema)) as url:
        source, messages, _ = _source(url, project="acme-shop/7")
        loaded = source.load()
    assert loaded.items and all(item.touched is None for item in loaded.items)
    notes = [m for m in messages if "did not say who last updated" in m]
    assert len(notes) == 1 and "timelineItems" in notes[0], messages
