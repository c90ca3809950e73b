"""The Jira source, replaying cassettes of the real `jira` library talking to the stand-in in tests/standins.

Re-record every cassette (needs ../shared/data):  BH_RECORD_CASSETTES=1 python -m pytest tests/test_jira.py
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
from backlog_health.sources.jira import Credentials, JiraQuery, JiraSource

CASSETTES = Path(__file__).parent / "cassettes" / "jira"
RECORD = os.environ.get("BH_RECORD_CASSETTES") == "1"
REPLAY_URL = "http://jira.stand-in.invalid"
CLOUD = Credentials("po@example.com", "fake-token-cloud-3f9a1c", None)
DC = Credentials(None, None, "fake-token-dc-pat-7c21e0")
SECRETS = ("fake-token-cloud-3f9a1c", "fake-token-dc-pat-7c21e0", "cG9AZXhhbXBsZS5jb20")

_VCR = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORD else "none",
    match_on=["method", "path", "query", "body"],
    filter_headers=["authorization", "cookie", "set-cookie"],
    decode_compressed_response=True,
)


@contextmanager
def jira_site(name: str, scenario: Callable[[], object] | None = None) -> Iterator[str]:
    """The URL of a Jira site: the stand-in while recording, the cassette while replaying."""
    if RECORD:
        from standins.jira import JiraStandIn, Scenario

        with JiraStandIn(scenario() if scenario else Scenario()) as server, _VCR.use_cassette(f"{name}.yaml"):
            yield server.url
    else:
        with _VCR.use_cassette(f"{name}.yaml"):
            yield REPLAY_URL


def _source(url: str, credentials: Credentials, **query) -> tuple[JiraSource, list[str], list[float]]:
    messages: list[str] = []
    waits: list[float] = []
    source = JiraSource(JiraQuery(url=url, **query), credentials, notify=messages.append, sleep=waits.append)
    return source, messages, waits


def _scenario(**kwargs):
    def build():
        from standins.jira import Scenario

        return Scenario(**kwargs)

    return build


def _fields(name: str):
    def build():
        from standins import jira_data
        from standins.jira import Scenario

        field_set = getattr(jira_data, name).with_acceptance_criteria()
        return Scenario(deployment="cloud", issue_count=60, field_set=field_set)

    return build


def test_cloud_three_pages_of_adf():
    with jira_site("cloud_pages", _scenario(deployment="cloud", issue_count=250)) as url:
        source, _, _ = _source(url, CLOUD, jql="project = AR OR project = UT ORDER BY Rank ASC")
        loaded = source.load()
    items = loaded.items
    assert len(items) == 250 and not loaded.skipped
    # the change history tells a person's last update from the automation's later one
    by_bot = [item for item in items if item.touched and item.updated and item.touched < item.updated]
    assert by_bot and all(item.touched for item in items), "touched: the last update made by a person"
    assert all(item.touched >= item.created for item in by_bot)
    # serverInfo, field, approximate count, then one search per page of 100
    assert source.n_requests == 3 + 3, source.n_requests
    assert [item.rank for item in items] == list(range(1, 251))
    assert loaded.info.kind == "jira" and "project = AR" in loaded.info.query
    assert all(item.url and item.url.endswith(f"/browse/{item.key}") for item in items)
    assert sum(1 for item in items if item.estimate is not None) > 100
    assert any(item.sprint for item in items) and any(item.parent for item in items)
    assert any(link.kind for item in items for link in item.links)
    assert all(not item.description.startswith("{") for item in items), "ADF became text"
    stories = [item for item in items if item.title.lower().startswith("as a")]
    assert stories, "real stories among the summaries"
    assert {"todo", "in_progress", "done"} >= {item.status_category for item in items}


def test_datacenter_startat_pages_with_wiki_and_sprint_strings():
    with jira_site("datacenter_pages", _scenario(deployment="datacenter", issue_count=230)) as url:
        source, _, _ = _source(url, DC, jql="project = XD OR project = JSW ORDER BY Rank ASC")
        loaded = source.load()
    items = loaded.items
    assert len(items) == 230
    assert source.n_requests == 2 + 3, source.n_requests  # serverInfo, field, three pages
    assert any(item.sprint for item in items), "legacy sprint strings parsed"
    assert all("Sprint@" not in (item.sprint or "") for item in items)
    assert any(item.parent for item in items), "Epic Link becomes the parent"
    assert not any("{code" in item.description or "h3." in item.description for item in items), "wiki became text"


def test_field_discovery_company_managed_with_acceptance_criteria_field():
    with jira_site("cloud_company_managed", _fields("CLOUD_COMPANY_MANAGED")) as url:
        source, _, _ = _source(url, CLOUD, jql="project = AR OR project = UT")
        loaded = source.load()
    assert any(item.estimate is not None for item in loaded.items), "estimates from 'Story Points'"
    assert any(item.acceptance_criteria_field for item in loaded.items), "the Acceptance Criteria field is read"
    assert "acceptance_criteria_field" in loaded.info.fields


def test_board_backlog_leaves_out_done_and_sprint_work():
    with jira_site("cloud_board", _scenario(deployment="cloud", issue_count=60)) as url:
        source, _, _ = _source(url, CLOUD, board=1)
        loaded = source.load()
    assert "filter = " in loaded.info.query and "openSprints()" in loaded.info.query
    assert loaded.items and all(item.status_category != "done" for item in loaded.items)
    # the velocity: done points of the board's last three closed sprints, from the sprint reports
    assert loaded.velocity is not None, "the board's closed sprints give a velocity"
    velocity, sprints = loaded.velocity
    assert len(sprints) == 3 and velocity > 0


@pytest.mark.parametrize(
    ("name", "scenario", "credentials", "query", "words"),
    [
        pytest.param(
            "error_401",
            _scenario(deployment="cloud"),
            Credentials("po@example.com", "wrong", None),
            {"project": "AR"},
            ["401", "JIRA_EMAIL", "JIRA_API_TOKEN"],
            id="rejected credentials",
        ),
        pytest.param(
            "error_400",
            _scenario(deployment="cloud"),
            CLOUD,
            {"jql": "project = AR AND BAD_JQL"},
            ["400", "Error in the JQL Query"],
            id="bad JQL shows Jira's message",
        ),
        pytest.param(
            "error_403",
            _scenario(deployment="cloud"),
            CLOUD,
            {"jql": "project = AR AND FORBIDDEN_JQL"},
            ["403", "permission"],
            id="forbidden",
        ),
        pytest.param(
            "error_404", _scenario(deployment="cloud"), CLOUD, {"board": 999}, ["404", "--jira URL"], id="unknown board"
        ),
    ],
)
def test_error_answers_are_one_clear_line(name, scenario, credentials, query, words):
    with jira_site(name, scenario) as url:
        source, _, _ = _source(url, credentials, **query)
        with pytest.raises(BacklogHealthError) as error:
            source.load()
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    for secret in SECRETS:
        assert secret not in message


def _faults(*faults):
    def build():
        from standins.jira import Scenario

        scenario = Scenario(deployment="cloud", issue_count=30)
        scenario.faults["/rest/api/3/search/jql"] = list(faults)
        return scenario

    return build


def _fault(**kwargs):
    from standins.jira import Fault

    return Fault(**kwargs)


def test_429_is_retried_after_retry_after():
    scenario = _faults(_fault(status=429, headers={"Retry-After": "2"})) if RECORD else None
    with jira_site("retry_429", scenario) as url:
        source, messages, waits = _source(url, CLOUD, jql="project = AR OR project = UT")
        loaded = source.load()
    assert len(loaded.items) == 30
    assert waits == [2.0], waits
    assert any("429" in message and "retrying in 2 s" in message for message in messages), messages


def test_503_burst_gives_up_after_bounded_retries():
    scenario = _faults(*[_fault(status=503) for _ in range(4)]) if RECORD else None
    with jira_site("retry_503", scenario) as url:
        source, messages, waits = _source(url, CLOUD, jql="project = AR OR project = UT", max_retries=3)
        with pytest.raises(BacklogHealthError, match="503"):
            source.load()
    assert len(waits) == 3 and len(messages) == 3


def test_truncated_json_is_retried():
    scenario = _faults(_fault(truncate=True)) if RECORD else None
    with jira_site("truncated_json", scenario) as url:
        source, messages, _ = _source(url, CLOUD, jql="project = AR OR project = UT")
        loaded = source.load()
    assert len(loaded.items) == 30
    assert any("broken answer" in message for message in messages)


def test_missing_credentials_name_the_variables():
    source, _, _ = _source(REPLAY_URL, Credentials(None, None, None), project="AR", deployment="cloud")
    with pytest.raises(BacklogHealthError, match="JIRA_EMAIL and JIRA_API_TOKEN .* JIRA_PAT"):
        source.load()
    assert source.n_requests == 0


def test_network_down_ends_quickly():
    source = JiraSource(
        JiraQuery(url="http://127.0.0.1:9", project="AR", timeout=5),
        CLOUD,
        notify=lambda message: None,
        sleep=lambda seconds: None,
    )
    start = time.monotonic()
    with pytest.raises(BacklogHealthError, match="cannot reach Jira"):
        source.load()
    assert time.monotonic() - start < 30


def test_cassettes_hold_no_secrets():
    cassettes = list(CASSETTES.glob("*.yaml"))
    assert len(cassettes) >= 8
    for cassette in cassettes:
        text = cassette.read_text(encoding="utf-8")
        assert re.search(r"(?im)^\s*authorization:", text) is None, cassette.name
        for secret in SECRETS:
            assert secret not in text, f"{secret} in {cassette.name}"


def test_cli_jira_with_snapshot_then_offline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JIRA_EMAIL", CLOUD.email)
    monkeypatch.setenv("JIRA_API_TOKEN", CLOUD.api_token)
    monkeypatch.delenv("JIRA_PAT", raising=False)
    with jira_site("cli_cloud", _scenario(deployment="cloud", issue_count=40)) as url:
        result = CliRunner().invoke(
            main,
            [
                "analyze",
                "--jira",
                url,
                "--jql",
                "project = AR OR project = UT",
                "--json",
                "report.json",
                "--save-snapshot",
                "snap.json",
                "--debug",
            ],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.output
    online = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert online["source"]["kind"] == "jira" and online["summary"]["n_items"] > 0
    snapshot = (tmp_path / "snap.json").read_text(encoding="utf-8")
    assert CLOUD.api_token not in snapshot
    offline = CliRunner().invoke(main, ["analyze", "snap.json", "--json", "again.json"], catch_exceptions=False)
    assert offline.exit_code == 0, offline.output
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert [i["key"] for i in again["items"]] == [i["key"] for i in online["items"]]
    assert [i["findings"] for i in again["items"]] == [i["findings"] for i in online["items"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            [
                (
                    "com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=3,rapidViewId=1,state=CLOSED,name=Sprint 3,"
                    "goal=Ship, then test,startDate=2024-01-01]"
                ),
                (
                    "com.atlassian.greenhopper.service.sprint.Sprint@9f[id=4,rapidViewId=1,state=ACTIVE,name=Sprint 4, hardening,"
                    "goal=,startDate=2024-02-01]"
                ),
            ],
            "Sprint 4, hardening",
            id="legacy strings, commas in values, active wins",
        ),
        pytest.param(
            [{"id": 1, "name": "S1", "state": "closed"}, {"id": 2, "name": "S2", "state": "future"}],
            "S2",
            id="cloud objects, future before closed",
        ),
        pytest.param(None, None, id="none"),
        pytest.param(["garbage"], None, id="garbage"),
    ],
)
def test_sprint_values(value, expected):
    from backlog_health.sources.jira import _sprint

    assert _sprint(value) == expected


def test_field_overrides_and_unknown_override():
    from backlog_health.sources.jira import discover_fields

    fields = [
        {"id": "customfield_1", "name": "Effort", "schema": {"custom": "x:float"}},
        {"id": "customfield_2", "name": "Story Points"},
        {"id": "customfield_3", "name": "Sprint", "schema": {"custom": "com.pyxis.greenhopper.jira:gh-sprint"}},
        {"id": "customfield_4", "name": "Definition of Done"},
    ]
    roles = discover_fields(fields, {"estimate": "effort", "acceptance_criteria": "Definition of Done"})
    assert roles["estimate"] == ("customfield_1",)
    assert roles["acceptance_criteria"] == ("customfield_4",)
    assert roles["sprint"] == ("customfield_3",)
    assert discover_fields(fields, {})["estimate"] == ("customfield_2",)
    with pytest.raises(BacklogHealthError, match="jira.fields.estimate: no field named 'Size'"):
        discover_fields(fields, {"estimate": "Size"})


def test_malformed_issues_are_skipped_not_fatal(monkeypatch):
    source, _, _ = _source(REPLAY_URL, CLOUD, jql="x", deployment="cloud")

    class FakeClient:
        def fields(self):
            return []

    monkeypatch.setattr(source, "_client", lambda version, deployment: FakeClient())
    monkeypatch.setattr(
        source,
        "_cloud_pages",
        lambda client, jql, fields, count=True: iter(
            [
                {"key": "A-1", "fields": {"summary": "ok"}},
                "not an issue",
                {"fields": {}},
                {"key": "A-4", "fields": None},
            ]
        ),
    )
    loaded = source.load()
    assert [item.key for item in loaded.items] == ["A-1", "A-4"]
    assert len(loaded.skipped) == 2 and all("malformed" in s.reason for s in loaded.skipped)


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_both_kinds_of_credentials_set(shared_data, deployment):
    """CI often sets JIRA_PAT and JIRA_EMAIL/JIRA_API_TOKEN: the site's kind decides which one is used."""
    from standins.jira import JiraStandIn, Scenario

    both = Credentials("po@example.com", "fake-token-cloud-3f9a1c", "fake-token-dc-pat-7c21e0")
    with JiraStandIn(Scenario(deployment=deployment, issue_count=20)) as site:
        source, _, _ = _source(site.url, both, jql="statusCategory != Done ORDER BY Rank")
        loaded = source.load()
    assert loaded.items and source.deployment() == deployment


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://po:secret@example.atlassian.net", "holds a user name or password"),
        ("https://po@example.atlassian.net", "holds a user name or password"),
        ("example.atlassian.net", "not an http(s) address"),
        ("ftp://example.atlassian.net", "not an http(s) address"),
        ("https://", "not an http(s) address"),
    ],
)
def test_site_urls_without_credentials_only(url, error):
    with pytest.raises(BacklogHealthError, match=re.escape(error)) as raised:
        JiraSource(JiraQuery(url=url, project="AR"), CLOUD)
    assert "secret" not in str(raised.value)


def test_a_site_url_keeps_its_path_without_the_trailing_slash():
    assert JiraSource(JiraQuery(url="https://example.com/jira/", project="AR"), CLOUD).base_url == (
        "https://example.com/jira"
    )
