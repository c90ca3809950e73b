"""Network faults, live against the local stand-ins, through the command line.

Each tracker (Jira Cloud with nextPageToken, Jira Data Center with startAt, GitHub issues with Link headers,
GitHub Projects with GraphQL cursors) serves a three-page backlog and misbehaves on its page requests: 429 with
Retry-After, bursts of 5xx, connections reset mid-answer, answers slower than the timeout, truncated JSON,
credentials that expire after page 2, pages served again, cursors and Link headers that lead back; or the
network is down. A run that recovers writes complete reports; a run that cannot finish exits 2 with one clear
line naming the tracker, within bounded time and requests, and leaves every report, snapshot and the history
database (with its analysis cache and stored fetches) exactly as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from email.utils import formatdate
from functools import partialmethod
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from standins.github import GitHubStandIn
from standins.github import Scenario as GithubScenario
from standins.jira import CLOUD_401, Fault, JiraStandIn
from standins.jira import Scenario as JiraScenario

from backlog_health.cli import main
from backlog_health.sources.github import GithubSource
from backlog_health.sources.jira import JiraSource

JIRA_EMAIL, JIRA_TOKEN, JIRA_PAT = "po@example.com", "fake-token-cloud-3f9a1c", "fake-token-dc-pat-7c21e0"
GITHUB_TOKEN = "fake-gh-token-5b8e2d"
SECRETS = (JIRA_TOKEN, JIRA_PAT, GITHUB_TOKEN)
# Small limits keep the runs short: one second per answer, two retries, five seconds of Retry-After at most.
CONFIG = """\
[jira]
timeout = 1
max_retries = 2
max_wait = 5
[github]
timeout = 1
max_retries = 2
max_wait = 5
"""
ERROR = "backlog-health: error: "


@dataclass(frozen=True)
class Tracker:
    """One kind of tracker: how to serve it, how to ask for it, how it names itself and its pages."""

    id: str
    service: str  # how messages name the tracker
    pages: str  # path prefix of its page requests, where faults are injected
    what: str  # how retry messages name the page request
    paged: str  # how the paging guard names what is paged
    unit: str  # what a page holds, as the paging guard says
    serve: Callable[[], Any]  # a fault-free stand-in with a three-page backlog (a context manager)
    args: Callable[[str], list[str]]  # the stand-in's URL → the source options of `analyze`
    source: Callable[[str], Any]  # the stand-in's URL → the source, as the command line builds it
    env: dict[str, str | None]


def _jira(jql: str, credentials: tuple[str | None, str | None, str | None]) -> Callable[[str], Any]:
    from backlog_health.sources.jira import Credentials, JiraQuery, JiraSource

    return lambda url: JiraSource(JiraQuery(url=url, jql=jql), Credentials(*credentials), notify=_quiet)


def _github(**query: Any) -> Callable[[str], Any]:
    from backlog_health.sources.github import GithubQuery, GithubSource

    return lambda url: GithubSource(GithubQuery(api_url=url, **query), GITHUB_TOKEN, notify=_quiet)


def _quiet(message: str) -> None:
    """Drop a source's notices."""


def _url(site: Any) -> str:
    """A running stand-in's base URL: the REST API root of GitHub, the site root of Jira."""
    return getattr(site, "api_url", None) or site.url


CLOUD_JQL, DC_JQL = "project = AR OR project = UT", "project = XD OR project = JSW"
GITHUB_ENV = {"GITHUB_TOKEN": GITHUB_TOKEN, "GH_TOKEN": None, "GITHUB_API_URL": None}

TRACKERS = {
    tracker.id: tracker
    for tracker in (
        Tracker(
            "jira-cloud",
            "Jira",
            "/rest/api/3/search/jql",
            "the issue search",
            "the issue search",
            "issues",
            lambda: JiraStandIn(JiraScenario(deployment="cloud", issue_count=250)),
            lambda url: ["--jira", url, "--jql", CLOUD_JQL],
            _jira(CLOUD_JQL, (JIRA_EMAIL, JIRA_TOKEN, None)),
            {"JIRA_EMAIL": JIRA_EMAIL, "JIRA_API_TOKEN": JIRA_TOKEN, "JIRA_PAT": None},
        ),
        Tracker(
            "jira-datacenter",
            "Jira",
            "/rest/api/2/search",
            "the issue search",
            "the issue search",
            "issues",
            lambda: JiraStandIn(JiraScenario(deployment="datacenter", issue_count=250)),
            lambda url: ["--jira", url, "--jql", DC_JQL],
            _jira(DC_JQL, (None, None, JIRA_PAT)),
            {"JIRA_EMAIL": None, "JIRA_API_TOKEN": None, "JIRA_PAT": JIRA_PAT},
        ),
        Tracker(
            "github-issues",
            "GitHub",
            "/repos",  # page 1 at /repos/{owner}/{repo}/issues, the next ones at /repositories/{id}/issues
            "the issue list",
            "the issue list",
            "issues",
            lambda: GitHubStandIn(GithubScenario(issue_count=250)),
            lambda url: ["--github", "acme-shop/storefront", "--github-state", "all", "--github-url", url],
            _github(repo="acme-shop/storefront", state="all"),
            GITHUB_ENV,
        ),
        Tracker(
            "github-project",
            "GitHub",
            "/graphql",
            "the project query",
            "the project items",
            "items",
            lambda: GitHubStandIn(GithubScenario(project_item_count=250)),
            lambda url: ["--github-project", "acme-shop/7", "--include-done", "--github-url", url],
            _github(project="acme-shop/7", include_done=True),
            GITHUB_ENV,
        ),
    )
}
ALL = pytest.mark.parametrize("tracker", list(TRACKERS.values()), ids=list(TRACKERS))


# -- the workspace: older reports, a snapshot and a history with its analysis cache -------------------------------


@pytest.fixture(scope="module")
def baseline(shared_data, tmp_path_factory) -> Path:
    """A folder after one successful run: old reports, an old snapshot, a history database with a filled cache."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "faults.toml").write_text(CONFIG, encoding="utf-8")
    tracker = TRACKERS["jira-cloud"]
    outputs = ["--html", "old.html", "--json", "old.json", "--markdown", "old.md", "--save-snapshot", "old-snap.json"]
    with tracker.serve() as site, _inside(folder):
        # NOTE: another query than the tests', so that no test run finds this fetch to build on incrementally
        result = _analyze(["--jira", site.url, "--jql", "project = AR"], tracker.env, outputs)
    assert result.exit_code == 0, result.output
    assert _rows(folder / "history.sqlite")["analysis_cache"] > 0, "the baseline run filled the analysis cache"
    return folder


@pytest.fixture(scope="module")
def served_keys(shared_data) -> dict[str, list[str]]:
    """The item keys each tracker serves without faults, loaded by its source directly."""
    keys = {}
    for tracker in TRACKERS.values():
        with tracker.serve() as site:
            keys[tracker.id] = [item.key for item in tracker.source(_url(site)).load().items]
    return keys


@pytest.fixture
def workspace(baseline, tmp_path, monkeypatch) -> Path:
    """A copy of the baseline folder, the current directory for the test."""
    folder = tmp_path / "workspace"
    shutil.copytree(baseline, folder)
    monkeypatch.chdir(folder)
    return folder


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under folder (temporary ones too), by relative path."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _rows(database: Path) -> dict[str, int]:
    """Rows per table of a history database, read without changing it."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}
    finally:
        connection.close()


# NOTE: old.html and old.json exist (from the baseline run); new.md and new-snap.json do not.
OUTPUTS = ["--html", "old.html", "--json", "old.json", "--markdown", "new.md", "--save-snapshot", "new-snap.json"]


def _analyze(source: list[str], env: dict[str, str | None], outputs: list[str]) -> Result:
    args = ["analyze", *source, *outputs, "--config", "faults.toml", "--history", "history.sqlite"]
    return CliRunner().invoke(main, args, env={**env, "CI": "true"})


@dataclass
class Run:
    """A finished command-line run against a misbehaving stand-in."""

    result: Result
    seconds: float  # wall time, without the pauses between retries
    pauses: list[float]  # the pauses the retries asked for, in seconds (recorded, not slept)
    n_page_requests: int  # requests under the tracker's page prefix

    @property
    def total(self) -> float:
        """How long the run would have taken with its pauses."""
        return self.seconds + sum(self.pauses)

    @property
    def error(self) -> str:
        """The run's error line (without the prefix); asserts that the run ended with exactly one."""
        lines = self.result.stderr.splitlines()
        errors = [line for line in lines if line.startswith(ERROR)]
        assert len(errors) == 1 and lines[-1] == errors[0], self.result.stderr
        return errors[0][len(ERROR) :]


Faults = list[Fault] | Callable[[Any], list[Fault]]


@pytest.fixture
def run(workspace, monkeypatch) -> Callable[..., Run]:
    """Analyze a tracker's stand-in with faults queued on its page requests (faults may depend on the site).

    The sources record the pauses between retries instead of sleeping them, so that a run takes only the time its
    requests take; the network-down test below keeps the real pauses."""
    pauses: list[float] = []
    for source in (JiraSource, GithubSource):
        monkeypatch.setattr(source, "__init__", partialmethod(source.__init__, sleep=pauses.append))

    def analyze(tracker: Tracker, faults: Faults, outputs: list[str] = OUTPUTS, on: Any = None) -> Run:
        """On a stand-in already running (a second run on the same site), else on a fresh one."""
        pauses.clear()
        with nullcontext(on) if on is not None else tracker.serve() as site:
            n_before = site.count(tracker.pages)
            site.add_faults(tracker.pages, *(faults(site) if callable(faults) else faults))
            start = time.monotonic()
            result = _analyze(tracker.args(_url(site)), tracker.env, outputs)
            seconds = time.monotonic() - start
            n_requests = site.count(tracker.pages) - n_before
        assert "Traceback" not in result.output, result.output
        for secret in SECRETS:
            assert secret not in result.output
        return Run(result, seconds, list(pauses), n_requests)

    return analyze


def _failed_cleanly(run: Run, workspace: Path, before: dict[str, bytes], rows: dict[str, int]) -> str:
    """Assert exit 2 and an untouched workspace; return the error line."""
    assert run.result.exit_code == 2, run.result.output
    message = run.error
    assert not (workspace / "new.md").exists() and not (workspace / "new-snap.json").exists(), "no partial output"
    after = _files(workspace)
    assert sorted(after) == sorted(before), "no new file, not even a temporary one"
    for name, content in before.items():
        assert after[name] == content, f"{name} changed by a failed run"
    assert _rows(workspace / "history.sqlite") == rows, "history and analysis cache rows unchanged"
    assert run.total < 30, f"a run that cannot finish took {run.total:.1f} s"
    return message


@pytest.fixture
def untouched(workspace) -> Callable[[Run], str]:
    """Checks a failed run against the workspace as it was before."""
    before, rows = _files(workspace), _rows(workspace / "history.sqlite")
    return lambda run: _failed_cleanly(run, workspace, before, rows)


def _items(report: Path) -> list[str]:
    return [item["key"] for item in json.loads(report.read_text(encoding="utf-8"))["items"]]


# -- runs that recover ---------------------------------------------------------------------------------------------


@ALL
def test_a_flaky_tracker_is_retried_and_the_report_is_complete(tracker, run, workspace, served_keys):
    # page 1: the connection drops mid-answer; page 2: a burst of 500 and 502; page 3: 429 with Retry-After
    faults = [Fault(cut=True), Fault(), Fault(status=500), Fault(status=502), Fault()]
    faults.append(Fault(status=429, headers={"Retry-After": "1"}))
    outcome = run(tracker, faults, ["--json", "report.json", "--save-snapshot", "snapshot.json"])
    assert outcome.result.exit_code == 0, outcome.result.output
    assert _items(workspace / "snapshot.json") == served_keys[tracker.id], "every item once, in order"
    assert (workspace / "report.json").is_file()
    notices = [line for line in outcome.result.stderr.splitlines() if "retrying" in line]
    service, what, name = tracker.service, tracker.what, tracker.service.lower()
    assert notices == [
        f"{name}: cannot reach {service} for {what} (connection broken mid-answer); retrying",
        f"{name}: {service} answered 500 to {what}; retrying in 1 s (1 of 2)",
        f"{name}: {service} answered 502 to {what}; retrying in 2 s (2 of 2)",
        f"{name}: {service} answered 429 to {what}; retrying in 1 s (1 of 2)",
    ]
    assert outcome.n_page_requests == 3 + 4, "three pages and four retries"
    assert outcome.pauses == [1.0, 1.0, 2.0, 1.0], "a pause before each retry, as long as asked"


@ALL
def test_retry_after_as_an_http_date_is_honoured(tracker, run):
    # Retry-After may be a date instead of seconds (RFC 9110); five seconds from now, to the second (max_wait is 5;
    # without the date, the pause would be the 1 s backoff)
    when = formatdate(time.time() + 5, usegmt=True)
    outcome = run(tracker, [Fault(), Fault(status=429, headers={"Retry-After": when})], ["--json", "report.json"])
    assert outcome.result.exit_code == 0, outcome.result.output
    assert len(outcome.pauses) == 1 and 2.5 < outcome.pauses[0] <= 5.0, outcome.pauses
    assert f"{tracker.service} answered 429 to {tracker.what}; retrying in" in outcome.result.stderr


# -- runs that cannot finish -----------------------------------------------------------------------------------------


@ALL
def test_a_burst_of_server_errors_longer_than_the_retries_ends_the_run(tracker, run, untouched):
    outcome = run(tracker, [Fault(), Fault(status=500), Fault(status=502), Fault(status=503), Fault(status=503)])
    assert untouched(outcome).startswith(f"{tracker.service} answered 503 to {tracker.what}")
    assert outcome.n_page_requests == 1 + 3, "page 1, then page 2 tried three times (max_retries = 2)"
    assert outcome.pauses == [1.0, 2.0]
    assert "retrying in 1 s (1 of 2)" in outcome.result.stderr and "retrying in 2 s (2 of 2)" in outcome.result.stderr


@ALL
def test_a_rate_limit_longer_than_max_wait_ends_the_run_without_waiting(tracker, run, untouched):
    outcome = run(tracker, [Fault(), Fault(status=429, headers={"Retry-After": "600"})])
    message = untouched(outcome)
    assert message.startswith(tracker.service) and "600 s" in message and "5 s" in message, message
    assert outcome.n_page_requests == 2 and outcome.pauses == []


@ALL
def test_connections_reset_mid_answer_end_the_run(tracker, run, untouched):
    outcome = run(tracker, [Fault(), *[Fault(cut=True)] * 5])
    assert untouched(outcome).startswith(f"cannot reach {tracker.service} (connection broken mid-answer); check")
    assert outcome.n_page_requests == 1 + 3 and outcome.pauses == [1.0, 2.0]


@ALL
def test_answers_slower_than_the_timeout_end_the_run_in_bounded_time(tracker, run, untouched):
    outcome = run(tracker, [Fault(), *[Fault(delay=2.5)] * 5])
    assert untouched(outcome).startswith(f"cannot reach {tracker.service} (timed out); check")
    assert outcome.n_page_requests == 1 + 3 and outcome.pauses == [1.0, 2.0]
    # three attempts that each give up after the configured 1 s, plus page 1
    assert 3 <= outcome.seconds < 10, outcome.seconds


@pytest.mark.parametrize("tracker", [TRACKERS["jira-cloud"], TRACKERS["github-issues"]], ids=["jira", "github"])
def test_answers_trickled_a_byte_at_a_time_end_the_run_in_bounded_time(tracker, run, untouched):
    """Each byte comes well within the 1 s timeout; the whole answer (3 timeouts at most) does not. (The deadline
    sits in the retry policy both trackers share: two of them are enough to see it.)"""
    outcome = run(tracker, [Fault(), *[Fault(trickle=0.05)] * 5])
    assert untouched(outcome).startswith(f"cannot reach {tracker.service} (timed out); check")
    assert outcome.n_page_requests == 1 + 3 and outcome.pauses == [1.0, 2.0]
    assert 9 <= outcome.seconds < 16, outcome.seconds


@ALL
def test_truncated_json_that_stays_truncated_ends_the_run(tracker, run, untouched):
    outcome = run(tracker, [Fault(), *[Fault(truncate=True)] * 5])
    assert untouched(outcome).startswith(f"{tracker.service} sent an answer that is not valid JSON to {tracker.what}")
    assert outcome.n_page_requests == 1 + 3 and outcome.pauses == [1.0, 2.0]


@ALL
def test_credentials_that_expire_after_page_2_end_the_run(tracker, run, untouched):
    if tracker.service == "Jira":
        expired = Fault(status=401, body=CLOUD_401, headers={"Content-Type": "text/plain;charset=UTF-8"})
        expected = "Jira rejected the credentials (401): check JIRA_EMAIL and JIRA_API_TOKEN"
    else:
        expired = Fault(status=401, body='{"message": "Bad credentials", "status": "401"}')
        expected = "GitHub rejected the token (401): check GITHUB_TOKEN"
    outcome = run(tracker, [Fault(), Fault(), expired])
    assert untouched(outcome).startswith(expected)
    assert outcome.n_page_requests == 3 and outcome.pauses == [], "a rejected credential is not retried"


@ALL
def test_a_page_served_again_never_loops(tracker, run, untouched):
    # a server that answers every later page with the previous one: Data Center ignoring startAt, a cursor or
    # page token that leads back to the same page
    outcome = run(tracker, [Fault(), *[Fault(replay=True)] * 100])
    assert untouched(outcome) == (
        f"{tracker.service} repeated a page of {tracker.unit} already read (page 2 of {tracker.paged}); "
        "stopped to avoid an endless loop"
    )
    assert outcome.n_page_requests == 2


def _jira_page(key: str, token: str) -> Fault:
    page = {"issues": [{"id": key.split("-")[1], "key": key, "fields": {"summary": key}}], "nextPageToken": token}
    return Fault(status=200, body=json.dumps({**page, "isLast": False}))


def _project_page(node_id: str, cursor: str) -> Fault:
    node = {"id": node_id, "type": "DRAFT_ISSUE", "isArchived": False, "fieldValues": {"nodes": []}, "content": None}
    items = {"pageInfo": {"hasNextPage": True, "endCursor": cursor}, "nodes": [node]}
    return Fault(status=200, body=json.dumps({"data": {"organization": {"projectV2": {"items": items}}}}))


def _link_back(site: Any) -> list[Fault]:
    first = f"{site.api_url}/repos/acme-shop/storefront/issues?state=all&per_page=100&page=1"
    return [Fault(), Fault(headers={"Link": f'<{first}>; rel="first", <{first}>; rel="next"'})]


@pytest.mark.parametrize(
    ("tracker", "faults", "repeated", "n_requests"),
    [
        pytest.param(
            TRACKERS["jira-cloud"],
            [_jira_page("AR-9001", "T1"), _jira_page("AR-9002", "T1")],
            "Jira repeated a link to a page already read (page 2 of the issue search)",
            2,
            id="jira-cloud: nextPageToken repeats",
        ),
        pytest.param(
            TRACKERS["github-issues"],
            _link_back,
            "GitHub repeated a page of issues already read (page 3 of the issue list)",
            3,
            id="github-issues: Link header back to page 1",
        ),
        pytest.param(
            TRACKERS["github-project"],
            [_project_page("PVTI_a", "MTAw"), _project_page("PVTI_b", "MTAw")],
            "GitHub repeated a link to a page already read (page 2 of the project items)",
            2,
            id="github-project: endCursor repeats",
        ),
    ],
)
def test_a_cursor_that_leads_back_never_loops(tracker, faults, repeated, n_requests, run, untouched):
    outcome = run(tracker, faults)
    assert untouched(outcome) == f"{repeated}; stopped to avoid an endless loop"
    assert outcome.n_page_requests == n_requests


@pytest.mark.parametrize("tracker", [TRACKERS["jira-cloud"], TRACKERS["github-issues"]], ids=["jira", "github"])
def test_a_failed_incremental_run_leaves_the_stored_fetch_as_it_was(tracker, run, workspace):
    with tracker.serve() as site:
        first = run(tracker, [], ["--json", "first.json"], on=site)
        assert first.result.exit_code == 0, first.result.output
        before, rows = _files(workspace), _rows(workspace / "history.sqlite")
        assert rows["snapshots"] > 0, "the first run stored its fetch for the next one"
        n_before = len(site.requests)
        second = run(tracker, [Fault(status=503)] * 5, on=site)
        asked = site.requests[n_before:]
    message = _failed_cleanly(second, workspace, before, rows)
    assert message.startswith(f"{tracker.service} answered 503 to ")
    changed_since = [
        r for r in asked if any("updated >=" in jql for jql in r.query.get("jql", [])) or "since" in r.query
    ]
    assert changed_since, "the second run asked only for what changed since the first"


def test_a_broken_rule_fails_before_any_request_and_leaves_no_snapshot(run, workspace):
    rule = workspace / "team-rules" / "team" / "TM01.yaml"
    rule.parent.mkdir(parents=True)
    rule.write_text("id: TM01\nname: Broken\ncriterion: atomic\nseverity: warning\nkind: no_such_kind\n")
    with (workspace / "faults.toml").open("a", encoding="utf-8") as config:
        config.write('[rules]\npaths = ["team-rules"]\n')
    before, rows = _files(workspace), _rows(workspace / "history.sqlite")
    outcome = run(TRACKERS["jira-cloud"], [])
    message = _failed_cleanly(outcome, workspace, before, rows)
    assert message.startswith(str(rule)) and "(rule TM01)" in message, message
    assert outcome.n_page_requests == 0


def test_the_paging_guard_tells_a_loop_from_a_backlog_that_changed_while_read():
    from backlog_health.errors import BacklogHealthError
    from backlog_health.sources.retry import PageGuard

    def pages(*pages: tuple[list[str], str | None]) -> str | None:
        guard = PageGuard("Jira", "the issue search", "issues")
        try:
            for keys, cursor in pages:
                guard.check(keys, cursor)
        except BacklogHealthError as error:
            return str(error)
        return None

    # an issue added at the top while page 2 was read: the short last page holds the last issue of page 2 again
    assert pages((["A", "B"], "t1"), (["C", "D"], "t2"), (["D"], None)) is None
    # the first page served again, the same page token again, pages that bring nothing new
    assert pages((["A", "B"], "t1"), (["A", "B"], "t1")) == (
        "Jira repeated a page of issues already read (page 2 of the issue search); stopped to avoid an endless loop"
    )
    assert pages((["A"], "t1"), (["B"], "t2"), (["C"], "t1")).startswith("Jira repeated a link to a page already read")
    assert pages((["A", "B"], "t1"), (["B"], "t2"), (["A"], "t3")).startswith(
        "Jira sent 2 pages in a row without issues not read before (page 3 of the issue search)"
    )
    assert pages(([], "t1"), ([], "t2")).startswith("Jira sent 2 pages in a row without issues")


# -- network down ---------------------------------------------------------------------------------------------------


@contextmanager
def _refusing() -> Iterator[str]:
    """A URL whose port refuses connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


@contextmanager
def _black_hole() -> Iterator[str]:
    """A URL whose connections are never accepted, as behind a firewall that drops packets: a listening socket
    with a full accept queue makes the kernel ignore further connection attempts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    try:
        yield url
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_network_down_ends_each_run_within_half_a_minute_with_default_timeouts(workspace):
    """Real processes with the packaged defaults (30 s per answer, 3 retries), all four at once."""
    before = _files(workspace)
    with _refusing() as refused, _black_hole() as dropped:
        commands = {
            (service, kind): [sys.executable, "-m", "backlog_health", "analyze", *args, "--json", "new.json"]
            for kind, url in (("refused", refused), ("dropped", dropped))
            for service, args in (
                ("Jira", ["--jira", url, "--jira-project", "AR"]),
                ("GitHub", ["--github", "acme-shop/storefront", "--github-url", url]),
            )
        }
        env = {**os.environ, "CI": "true", "JIRA_EMAIL": JIRA_EMAIL, "JIRA_API_TOKEN": JIRA_TOKEN}
        env |= {"GITHUB_TOKEN": GITHUB_TOKEN}
        start = time.monotonic()
        processes = {
            key: subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for key, command in commands.items()
        }
        outcomes = {}
        for key, process in processes.items():
            _, stderr = process.communicate(timeout=90)
            outcomes[key] = (process.returncode, stderr.strip().splitlines()[-1], time.monotonic() - start)
    for (service, kind), (code, last, seconds) in outcomes.items():
        reason = "connection failed" if kind == "refused" else "timed out"
        assert code == 2, (service, kind, last)
        assert last.startswith(f"{ERROR}cannot reach {service} ({reason}); check"), (service, kind, last)
        assert seconds < 30, f"{service}, {kind}: {seconds:.1f} s"
    assert _files(workspace) == before
