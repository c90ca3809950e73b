"""Incremental fetch: a second run asks the tracker only for what changed, and its backlog equals a full fetch's.

Each tracker test runs the CLI three times against one site: a first full fetch, an incremental fetch after the
site changed (an issue edited, one done, one deleted, one new, one that joined the query without an update),
then a `--full-refresh` of the same site; the second and third runs must report the same backlog.
Re-record (needs ../shared/data):  BH_RECORD_CASSETTES=1 python -m pytest tests/test_incremental.py
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import vcr
from click.testing import CliRunner

from backlog_health import history
from backlog_health.cli import main
from backlog_health.model import BacklogItem, SkippedItem, SourceInfo
from backlog_health.sources import Loaded
from backlog_health.sources import incremental as inc
from backlog_health.sources.jira import since_jql

CASSETTES = Path(__file__).parent / "cassettes" / "incremental"
RECORD = os.environ.get("BH_RECORD_CASSETTES") == "1"
GITHUB_PORT = 18732  # NOTE: PyGithub follows Link headers only on its own host: recording and replay share it
JIRA_REPLAY = "http://jira.stand-in.invalid"
T1 = datetime(2024, 6, 10, 10, 0, tzinfo=timezone.utc)
T2 = T1 + timedelta(hours=2)
T3 = T2 + timedelta(minutes=5)
ENV = {
    "JIRA_EMAIL": "po@example.com",
    "JIRA_API_TOKEN": "fake-token-cloud-3f9a1c",
    "JIRA_PAT": "fake-token-dc-pat-7c21e0",
    "GITHUB_TOKEN": "fake-gh-token-5b8e2d",
}

_VCR = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORD else "none",
    match_on=["method", "path", "query", "body"],
    filter_headers=["authorization", "cookie", "set-cookie"],
    decode_compressed_response=True,
)


# -- the merge and the store ---------------------------------------------------------------------------------


def _item(key: str, title: str = "", **fields) -> BacklogItem:
    return BacklogItem(key, title or f"As a user, I want {key}", **fields)


def _baseline(*items: BacklogItem, skipped: tuple[SkippedItem, ...] = ()) -> inc.Baseline:
    return inc.Baseline(T1, T1, tuple(i.key for i in items), {i.key: i for i in items}, skipped)


def test_merged_takes_fresh_items_and_the_new_order():
    base = _baseline(_item("A"), _item("B"), _item("C"))
    fresh = {"B": _item("B", "As a user, I want B changed"), "D": _item("D")}
    items, skipped = inc.merged(base, ["D", "B", "A"], fresh)
    assert [(i.key, i.rank) for i in items] == [("D", 1), ("B", 2), ("A", 3)], "C left the query"
    assert items[1].title.endswith("B changed") and skipped == ()


def test_merged_keeps_unreadable_items_accounted_for():
    base = _baseline(_item("A"), skipped=(SkippedItem("X", "malformed issue"),))
    items, skipped = inc.merged(base, ["A", "X", "Y"], {}, [SkippedItem("Y", "malformed issue")])
    assert [i.key for i in items] == ["A"]
    assert [s.key for s in skipped] == ["X", "Y"]
    # skipped again: this fetch's reason
    _, skipped = inc.merged(base, ["A", "X"], {}, [SkippedItem("X", "malformed issue: no summary")])
    assert [(s.key, s.reason) for s in skipped] == [("X", "malformed issue: no summary")]
    # an item that was unreadable and is now fetched fine is an item again
    items, skipped = inc.merged(base, ["A", "X"], {"X": _item("X")})
    assert [i.key for i in items] == ["A", "X"] and skipped == ()


def test_missing_names_keys_nobody_holds():
    base = _baseline(_item("A"))
    assert inc.missing(base, ["A", "B", "C"], {"B": _item("B")}) == ["C"]


def _loaded(*items: BacklogItem) -> Loaded:
    ranked = tuple(BacklogItem(**{**i.__dict__, "rank": n}) for n, i in enumerate(items, 1))
    return Loaded(SourceInfo("jira", "https://example.atlassian.net", "project = X"), ranked)


def test_store_round_trip_and_partial_writes(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite")
    store = inc.SnapshotStore(conn, "jira one")
    assert store.baseline(T1) is None
    created = datetime(2024, 1, 2, tzinfo=timezone.utc)
    first = _loaded(_item("A", created=created, labels=("x",)), _item("B"))
    store.save(first, T1, None, ())
    base = store.baseline(T2)
    assert base is not None and base.order == ("A", "B") and base.fetched_at == T1 == base.full_at
    assert base.items["A"].created == created and base.items["A"].labels == ("x",)
    assert base.items["A"].rank is None, "the order is kept once, not in every row"
    # an incremental save: B changed, A left, C is new; full_at stays the first fetch's
    second = _loaded(_item("C"), _item("B", "As a user, I want B changed"))
    store.save(second, T2, base, {"B", "C"})
    again = store.baseline(T3)
    assert again.order == ("C", "B") and again.fetched_at == T2 and again.full_at == T1
    assert set(again.items) == {"B", "C"} and again.items["B"].title.endswith("changed")
    # another query's baseline is its own
    assert inc.SnapshotStore(conn, "jira two").baseline(T3) is None


def test_store_refuses_old_foreign_or_broken_baselines(tmp_path, monkeypatch):
    conn = history.connect(tmp_path / "h.sqlite")
    store = inc.SnapshotStore(conn, "q")
    store.save(_loaded(_item("A"), _item("B")), T1, None, ())
    assert store.baseline(T1 + timedelta(days=29)) is not None
    assert store.baseline(T1 + timedelta(days=31)) is None, "older than full_refresh_days"
    assert store.baseline(T1 + timedelta(days=3), full_refresh_days=2) is None
    conn.execute("DELETE FROM snapshot_items WHERE key = 'B'")
    assert store.baseline(T2) is None, "an order naming an item that is not stored"
    store.save(_loaded(_item("A")), T1, None, ())
    monkeypatch.setattr(inc, "__version__", "0.0.0-other")
    assert store.baseline(T2) is None, "items read by another version of the tool"


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = X ORDER BY Rank ASC", '(project = X) AND updated >= "2024-06-09 10:00" ORDER BY Rank ASC'),
        (
            'summary ~ "order by" AND project = X',
            '(summary ~ "order by" AND project = X) AND updated >= "2024-06-09 10:00"',
        ),
        ("ORDER BY created DESC", 'updated >= "2024-06-09 10:00" ORDER BY created DESC'),
        ("a = 1 OR b = 2", '(a = 1 OR b = 2) AND updated >= "2024-06-09 10:00"'),
    ],
)
def test_since_jql_keeps_the_query_and_its_order(jql, expected):
    assert since_jql(jql, T1 - timedelta(days=1)) == expected


# -- through the CLI, against the trackers ---------------------------------------------------------------------


@contextmanager
def _site(name: str, kind: str, scenario) -> Iterator[tuple[str, object | None]]:
    """The site's URL and, while recording, the stand-in to change between runs."""
    if RECORD:
        if kind == "jira":
            from standins.jira import JiraStandIn

            server = JiraStandIn(scenario())
            base = lambda: server.url
        else:
            from standins.github import GitHubStandIn

            server = GitHubStandIn(scenario(), port=GITHUB_PORT)
            base = lambda: server.api_url
        with server, _VCR.use_cassette(f"{name}.yaml"):
            yield base(), server
    else:
        with _VCR.use_cassette(f"{name}.yaml"):
            yield (JIRA_REPLAY if kind == "jira" else f"http://127.0.0.1:{GITHUB_PORT}"), None


def _clock(monkeypatch, *moments: datetime) -> None:
    queue = list(moments)
    monkeypatch.setattr(inc, "now_utc", lambda: queue.pop(0))


def _analyze(tmp_path: Path, args: list[str], out: str, *extra: str) -> tuple[dict, str]:
    result = CliRunner().invoke(
        main,
        ["analyze", *args, "--history", str(tmp_path / "h.sqlite"), "--json", str(tmp_path / out), *extra],
        env=ENV,
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads((tmp_path / out).read_text(encoding="utf-8")), result.stderr


def _backlog(report: dict) -> list[tuple]:
    return [(i["key"], i["title"], i["rank"], i["status"], tuple(i["labels"])) for i in report["items"]]


def _request_counts(caplog, name: str) -> list[int]:
    """The request counts of the runs, as --debug logs them (the first run's left out)."""
    counts = [int(m.group(1)) for r in caplog.records if (m := re.match(rf"{name}: (\d+) requests", r.getMessage()))]
    return counts[1:]


def _jira_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _change_jira(site) -> None:
    """Edit one issue, finish one, delete one, add one at the top of the backlog."""
    issues = site.scenario.issues
    todo = [i for i in issues if i["fields"]["status"]["statusCategory"]["key"] != "done"]
    edited, finished, deleted = todo[3], todo[5], todo[8]
    edited["fields"]["summary"] = "As a buyer, I want to save my cart so that I can finish later"
    edited["fields"]["updated"] = _jira_stamp(T1 + timedelta(minutes=30))
    finished["fields"]["status"] = {
        **finished["fields"]["status"],
        "name": "Done",
        "statusCategory": {**finished["fields"]["status"]["statusCategory"], "key": "done", "name": "Done"},
    }
    finished["fields"]["updated"] = _jira_stamp(T1 + timedelta(minutes=40))
    new = copy.deepcopy(todo[0])
    new.update(id="99001", key=todo[0]["key"].split("-")[0] + "-9001")
    new["fields"]["summary"] = "As an admin, I want to export the audit log so that I can answer auditors"
    new["fields"]["created"] = new["fields"]["updated"] = _jira_stamp(T1 + timedelta(minutes=50))
    issues.remove(deleted)
    issues.insert(0, new)
    site.reload()


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_jira_incremental_equals_a_full_fetch(tmp_path, monkeypatch, caplog, deployment):
    def scenario():
        from standins import jira_data
        from standins.jira import Scenario

        build = jira_data.cloud_issues if deployment == "cloud" else jira_data.datacenter_issues
        field_set = jira_data.CLOUD_TEAM_MANAGED if deployment == "cloud" else jira_data.DATACENTER
        issues = build(150, field_set)
        # NOTE: one open issue is away during the first run and comes back unchanged, as when a filter widens
        hidden = [i for i in issues if i["fields"]["status"]["statusCategory"]["key"] != "done"][11]
        scenario = Scenario(deployment=deployment, issues=[i for i in issues if i is not hidden])
        scenario.hidden = (issues.index(hidden), hidden)  # type: ignore[attr-defined]
        return scenario

    project = "AR" if deployment == "cloud" else "XD"
    caplog.set_level(logging.DEBUG, logger="backlog_health.cli")
    _clock(monkeypatch, T1, T2, T3)
    with _site(f"jira_{deployment}", "jira", scenario) as (url, site):
        args = ["--jira", url, "--jira-project", project, "--jira-deployment", deployment, "--debug"]
        first, _ = _analyze(tmp_path, args, "first.json")
        if site is not None:
            site.scenario.issues.insert(*site.scenario.hidden)
            _change_jira(site)
        second, log = _analyze(tmp_path, args, "second.json")
        third, full_log = _analyze(tmp_path, args, "third.json", "--full-refresh")
    assert (
        "fetched the changes since the last fetch (2024-06-10 10:00 UTC): 2 updated, 1 joined the query without an update"
        in log
    )
    assert "2 left it" in log and "fetched the changes" not in full_log
    assert "fetched in full (--full-refresh)" in full_log
    assert _backlog(second) == _backlog(third), "an incremental fetch gives the backlog a full one gives"
    keys_before = {i["key"] for i in first["items"]}
    keys_after = {i["key"] for i in second["items"]}
    assert len(keys_before - keys_after) == 2, "the finished and the deleted issue left"
    assert len(keys_after - keys_before) == 2, "the new and the returning issue joined"
    titles = {i["title"] for i in second["items"]}
    assert "As a buyer, I want to save my cart so that I can finish later" in titles
    assert second["items"][0]["title"].startswith("As an admin, I want to export the audit log")
    incremental, full = _request_counts(caplog, "jira")
    # NOTE: 3 issues fetched with their fields instead of 150, the rest as keys only (5,000 a page on Cloud): about
    # as many requests at this size, far fewer bytes; far fewer requests on big backlogs (see the README)
    assert incremental <= full + 2, (incremental, full)


def test_github_incremental_equals_a_full_fetch(tmp_path, monkeypatch, caplog):
    def scenario():
        from standins.github import Scenario

        return Scenario(issue_count=260)

    caplog.set_level(logging.DEBUG, logger="backlog_health.cli")
    start = datetime(2024, 6, 3, 10, 0, tzinfo=timezone.utc)
    _clock(monkeypatch, start, start + timedelta(hours=2), start + timedelta(hours=3))
    with _site("github_repo", "github", scenario) as (url, site):
        args = ["--github", "acme-shop/storefront", "--github-url", url, "--github-label", "bug", "--debug"]
        first, _ = _analyze(tmp_path, args, "first.json")
        if site is not None:
            _change_github(site, start)
        second, log = _analyze(tmp_path, args, "second.json")
        third, _ = _analyze(tmp_path, args, "third.json", "--full-refresh")
    assert "fetched the changes since the last fetch (2024-06-03 10:00 UTC): 2 updated or new, 2 left the query" in log
    assert _backlog(second) == _backlog(third)
    titles = {i["title"] for i in second["items"]}
    assert "Checkout fails when the cart holds a gift card" in titles
    assert len({i["key"] for i in first["items"]} - {i["key"] for i in second["items"]}) == 2
    incremental, full = _request_counts(caplog, "github")
    assert incremental <= full, (incremental, full)  # one page of changes: two requests, whatever the backlog's size


def _change_github(site, start: datetime) -> None:
    """Edit one bug, close one, take the label off one, and open a new bug."""
    from standins import github_data

    stamp = lambda minutes: (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    issues = site.scenario.issues
    bugs = [
        i
        for i in issues
        if "pull_request" not in i and i["state"] == "open" and any(e["name"] == "bug" for e in i["labels"])
    ]
    edited, closed, unlabelled = bugs[1], bugs[2], bugs[3]
    edited.update(title="Checkout fails when the cart holds a gift card", updated_at=stamp(20))
    closed.update(state="closed", closed_at=stamp(30), updated_at=stamp(30), state_reason="completed")
    unlabelled.update(labels=[e for e in unlabelled["labels"] if e["name"] != "bug"], updated_at=stamp(40))
    new = copy.deepcopy(bugs[0])
    number = max(i["number"] for i in issues) + 1
    new.update(
        number=number,
        id=2_400_000_000 + 7 * number,
        node_id=github_data._node_id("I_kwDOLpM0ts", number),
        title="Search shows archived products",
        created_at=stamp(50),
        updated_at=stamp(50),
        html_url=bugs[0]["html_url"].rsplit("/", 1)[0] + f"/{number}",
    )
    issues.append(new)
    site.reload()


def test_projects_and_milestones_are_fetched_in_full(tmp_path):
    from backlog_health.sources.github import GithubQuery, GithubSource

    def source(**query):
        return GithubSource(GithubQuery(api_url="http://127.0.0.1:1", **query), token="t")

    assert source(repo="o/r").incremental
    assert not source(repo="o/r", milestone="3").incremental
    assert not source(project="o/7").incremental


def test_a_failed_run_keeps_the_baseline(tmp_path, monkeypatch):
    """The fetched backlog is stored with the run's history, after the reports are out; a failure stores nothing."""
    db = tmp_path / "h.sqlite"
    conn = history.connect(db)
    store = inc.SnapshotStore(conn, "q")
    store.save(_loaded(_item("A")), T1, None, ())
    before = conn.execute("SELECT fetched_at, info FROM snapshots").fetchall()
    conn.close()
    monkeypatch.setenv("JIRA_EMAIL", "po@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", "x")
    result = CliRunner().invoke(
        main,
        ["analyze", "--jira", "http://127.0.0.1:9", "--jira-project", "X", "--jira-deployment", "cloud"]
        + ["--history", str(db), "--json", str(tmp_path / "r.json")],
    )
    assert result.exit_code == 2 and not (tmp_path / "r.json").exists()
    after = sqlite3.connect(db).execute("SELECT fetched_at, info FROM snapshots").fetchall()
    assert after == before


def test_an_issue_deleted_after_the_key_search_is_left_out_not_fatal(monkeypatch):
    """Jira refuses `key in (…)` when one key no longer exists: the others are fetched one by one."""
    from backlog_health.errors import BacklogHealthError
    from backlog_health.sources.jira import Credentials, JiraQuery, JiraSource

    source = JiraSource(JiraQuery(url="https://example.atlassian.net", project="AR"), Credentials("a", "b", None))
    asked: list[str] = []

    def pages(client, jql, fields, count=True):
        asked.append(jql)
        if "AR-9" in jql:
            raise BacklogHealthError("Jira rejected the query (400): An issue with key 'AR-9' does not exist")
        keys = re.findall(r"AR-\d+", jql)
        yield from ({"key": key, "fields": {"summary": f"Story {key}"}} for key in keys)

    monkeypatch.setattr(source, "_pages", pages)
    items, skipped = source._by_key(None, ["AR-1", "AR-9", "AR-3"], [], {})
    assert [item.key for item in items] == ["AR-1", "AR-3"] and skipped == []
    assert asked == ["key in (AR-1, AR-9, AR-3)", "key in (AR-1)", "key in (AR-9)", "key in (AR-3)"]
    monkeypatch.setattr(
        source, "_pages", lambda *a, **k: (_ for _ in ()).throw(BacklogHealthError("Jira answered 500"))
    )
    with pytest.raises(BacklogHealthError, match="500"):
        source._by_key(None, ["AR-1"], [], {})


def test_an_issue_whose_blocker_changed_is_read_again(monkeypatch):
    """A's "is blocked by B" shows B's status; B was finished (it left the query) without A being updated."""
    from backlog_health.model import Link
    from backlog_health.sources.jira import Credentials, JiraQuery, JiraSource

    source = JiraSource(
        JiraQuery(url="https://example.atlassian.net", project="AR", deployment="cloud"), Credentials("a", "b", None)
    )
    notes: list[str] = []
    source.notify = notes.append
    asked: list[str] = []
    blocked = _item("AR-1", links=(Link("is blocked by", "AR-2", "todo"),))
    base = _baseline(blocked, _item("AR-2"), _item("AR-3"))

    def pages(client, jql, fields, count=True):
        asked.append(jql)
        if jql.startswith("key in"):
            link = {
                "type": {"inward": "is blocked by"},
                "inwardIssue": {"key": "AR-2", "fields": {"status": {"statusCategory": {"key": "done"}}}},
            }
            yield {"key": "AR-1", "fields": {"summary": blocked.title, "issuelinks": [link]}}

    monkeypatch.setattr(source, "_pages", pages)
    monkeypatch.setattr(source, "_keys", lambda client, jql: ["AR-1", "AR-3"])
    items, _ = source._incremental(None, "project = AR", [], {}, base)
    assert asked[-1] == "key in (AR-1)", asked
    assert items[0].links[0].status_category == "done"
    assert "1 read again for a linked issue that changed" in notes[0]
