"""No token ever leaves the environment: every command, with --debug and on its error paths, is run with
distinctive fake tokens, and stdout, stderr, the debug log, every file written (reports, snapshots, the history
database with its cache tables, read as raw bytes) and the recorded cassettes are searched for them.

The trackers are the local stand-ins of tests/standins, talked to live (no cassette is recorded here).
"""

from __future__ import annotations

import base64
import logging
import os
import re
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from backlog_health.cli import main

EMAIL = "po@example.com"
TOKENS = {
    "JIRA_API_TOKEN": "jira-api-tok-SECRET-5e1a9c",
    "JIRA_PAT": "jira-pat-SECRET-77b2d4",
    "GITHUB_TOKEN": "gh-tok-SECRET-c0ffee",
    "GH_TOKEN": "gh-alt-SECRET-decade",
}


def forbidden(tokens: dict[str, str]) -> list[str]:
    """Every form of the tokens that must not appear: as they are, base64 alone, and Basic auth's email:token."""
    values = [value.strip() for value in tokens.values() if value.strip()]
    encoded = [base64.b64encode(value.encode()).decode() for value in values]
    basic = [base64.b64encode(f"{EMAIL}:{value}".encode()).decode() for value in values]
    return values + [e.rstrip("=") for e in encoded + basic]


class Runs:
    """Runs CLI commands in one folder with the tokens in the environment, and keeps all they printed."""

    def __init__(self, folder: Path, caplog: pytest.LogCaptureFixture):
        self.folder, self.caplog = folder, caplog
        self.outputs: list[tuple[str, str]] = []  # (what ran, what it printed or logged)

    def __call__(self, *args: str, env: dict[str, str] | None = None, expect: int | None = None) -> str:
        before = os.getcwd()
        os.chdir(self.folder)
        try:
            result = CliRunner(env={"JIRA_EMAIL": EMAIL, **TOKENS, **(env or {})}).invoke(main, list(args))
        finally:
            os.chdir(before)
        printed = result.stdout + result.stderr
        if result.exception and not isinstance(result.exception, SystemExit):
            # --debug: the traceback a user would see
            printed += "".join(traceback.format_exception(result.exception))
        self.outputs.append((" ".join(args), printed))
        if expect is not None:
            assert result.exit_code == expect, f"{args}: exit {result.exit_code}\n{printed[-2000:]}"
        return printed

    def leaks(self, secrets: list[str]) -> Iterator[str]:
        """Where a secret appears: a command's output, the debug log, or a file under the folder."""
        for what, printed in self.outputs:
            for secret in (secret for secret in secrets if secret in printed):
                at = printed.index(secret)
                yield f"output of {what}: {printed[max(0, at - 150) : at + 40]!r}"
        yield from (f"debug log ({secret})" for secret in secrets if secret in self.caplog.text)
        for path in self.folder.rglob("*"):
            if path.is_file():
                raw = path.read_bytes()
                yield from (f"{path.name} ({secret})" for secret in secrets if secret.encode() in raw)


@pytest.fixture()
def runs(tmp_path, caplog) -> Runs:
    caplog.set_level(logging.DEBUG)
    return Runs(tmp_path, caplog)


BACKLOG = (
    "key,title,description\nS-1,As a user I want to pay so that I save time,Given a cart when I pay then it is paid\n"
)


def test_file_demo_check_and_rules_write_no_token(runs):
    (runs.folder / "backlog.csv").write_text(BACKLOG, encoding="utf-8")
    reports = ("--html", "r.html", "--json", "r.json", "--markdown", "r.md")
    runs("analyze", "backlog.csv", *reports, "--save-snapshot", "snap.json", "--debug", expect=0)
    runs("analyze", "snap.json", "--json", "-", "--debug", expect=0)
    runs("analyze", "missing.csv", "--debug")  # --debug: the traceback
    runs("analyze", "missing.csv", expect=2)
    runs("demo", "--html", "demo.html", expect=0)
    runs("check", "As a user, I want to log in", "--debug", "--fail-on", "never", expect=0)
    runs("rules", expect=0)
    runs("rules", "show", "AM01", expect=0)
    assert (runs.folder / ".backlog-health" / "history.sqlite").is_file(), "the history and its cache are searched"
    assert list(runs.leaks(forbidden(TOKENS))) == []


@pytest.fixture(scope="module")
def sites(shared_data) -> Iterator[dict[str, str]]:
    """Jira Cloud, Jira Data Center and GitHub stand-ins that accept the fake tokens."""
    from standins.github import GitHubStandIn
    from standins.github import Scenario as GithubScenario
    from standins.jira import JiraStandIn
    from standins.jira import Scenario as JiraScenario

    cloud = JiraScenario(deployment="cloud", issue_count=20, email=EMAIL, api_token=TOKENS["JIRA_API_TOKEN"])
    datacenter = JiraScenario(deployment="datacenter", issue_count=20, pat=TOKENS["JIRA_PAT"])
    github = GithubScenario(issue_count=20, project_item_count=10, token=TOKENS["GITHUB_TOKEN"])
    with JiraStandIn(cloud) as c, JiraStandIn(datacenter) as d, GitHubStandIn(github) as g:
        yield {
            "cloud": c.url,
            "datacenter": d.url,
            "github": g.url,
            "repo": f"{github.owner}/{github.repo}",
            "project": f"{github.owner}/{github.project_number}",
        }


def test_trackers_write_no_token(runs, sites):
    reports = ("--html", "r.html", "--json", "r.json", "--markdown", "r.md", "--save-snapshot", "snap.json")
    jql = ("--jql", "project = AR OR project = UT")
    runs("analyze", "--jira", sites["cloud"], *jql, *reports, "--debug", env={"JIRA_PAT": ""}, expect=0)
    dc_jql = ("--jql", "project = XD OR project = JSW")
    runs("analyze", "--jira", sites["datacenter"], *dc_jql, *reports, "--debug", expect=0)
    github = ("--github-url", sites["github"])
    runs("analyze", "--github", sites["repo"], *github, *reports, "--debug", expect=0)
    runs("analyze", "--github-project", sites["project"], *github, *reports, "--debug", expect=0)
    # GH_TOKEN when GITHUB_TOKEN is empty (the stand-in knows only the first: 401)
    runs("analyze", "--github", sites["repo"], *github, "--json", "gh.json", env={"GITHUB_TOKEN": ""}, expect=2)
    assert (runs.folder / ".backlog-health" / "history.sqlite").stat().st_size > 0
    assert list(runs.leaks(forbidden(TOKENS))) == []


@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
def test_error_paths_show_no_token(runs, sites, debug):
    # NOTE: no retries: the first failure is the one shown, and the test does not wait out backoffs.
    (runs.folder / "backlog-health.toml").write_text("[jira]\nmax_retries = 0\n\n[github]\nmax_retries = 0\n")
    jql = ("--jql", "project = AR", "--max-wait", "1")
    github = ("--github", sites["repo"], "--github-url", sites["github"], "--max-wait", "1")
    wrong = {"JIRA_API_TOKEN": "jira-wrong-SECRET-0a0b", "JIRA_PAT": "", "GITHUB_TOKEN": "gh-wrong-SECRET-0c0d"}
    # rejected credentials: 401
    assert "401" in runs("analyze", "--jira", sites["cloud"], *jql, *debug, env=wrong, expect=2 if not debug else None)
    assert "401" in runs("analyze", *github, *debug, env=wrong, expect=2 if not debug else None)
    # nothing listens there
    runs("analyze", "--jira", "http://127.0.0.1:9", *jql, "--jira-deployment", "cloud", *debug)
    runs("analyze", "--github", "o/r", "--github-url", "http://127.0.0.1:9", *debug)
    # a token pasted with its line end: the HTTP library refuses the header and its message quotes the value
    newline = {"JIRA_PAT": TOKENS["JIRA_PAT"] + "\n", "GITHUB_TOKEN": TOKENS["GITHUB_TOKEN"] + "\n"}
    dc_jql = ("--jql", "project = XD", "--max-wait", "1")
    for printed in (
        runs("analyze", "--jira", sites["datacenter"], *dc_jql, *debug, env=newline),
        runs("analyze", *github, *debug, env=newline),
    ):
        assert "line break" in printed, printed[-500:]
    assert list(runs.leaks(forbidden(TOKENS) + forbidden(wrong))) == []


def test_cassettes_hold_no_token():
    """The recorded cassettes hold neither the tokens they were recorded with nor any Authorization header."""
    cassettes = Path(__file__).parent / "cassettes"
    recorded = ["fake-token-cloud-3f9a1c", "fake-token-dc-pat-7c21e0", "fake-gh-token-5b8e2d"]
    secrets = recorded + [base64.b64encode(f"{EMAIL}:{recorded[0]}".encode()).decode()]
    files = list(cassettes.rglob("*.yaml"))
    assert len(files) >= 20
    for path in files:
        raw = path.read_bytes()
        assert not [secret for secret in secrets if secret.encode() in raw], path.name
        assert re.search(rb"(?im)^\s*authorization:", raw) is None, f"an Authorization header in {path.name}"
