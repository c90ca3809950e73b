"""Self-tests of the GitHub stand-in, driven by the real PyGithub client over local HTTP."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest

github = pytest.importorskip("github")
requests = pytest.importorskip("requests")

import urllib3.util.retry
from github import Auth, Github, GithubException, GithubRetry
from standins import github_data
from standins.github import Fault, GitHubStandIn, Scenario, secondary_rate_limit

OWNER, REPO = github_data.OWNER, github_data.REPO
FULL = f"{OWNER}/{REPO}"
ISSUES_PATH = f"/repos/{FULL}/issues"
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="(?P<rel>prev|next|last|first)"$')
PROJECT_QUERY = """
query Backlog($owner: String!, $number: Int!, $after: String) {
  organization(login: $owner) {
    projectV2(number: $number) {
      title
      fields(first: 30) { nodes { ... on ProjectV2FieldCommon { name dataType } } }
      items(first: 100, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          id type
          fieldValues(first: 20) {
            nodes {
              ... on ProjectV2ItemFieldSingleSelectValue { name field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldIterationValue { title startDate field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldTextValue { text field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldDateValue { date field { ... on ProjectV2FieldCommon { name } } }
            }
          }
          content {
            ... on Issue { number title body url state repository { nameWithOwner } labels(first: 20) { nodes { name } } }
            ... on PullRequest { number title body url state }
            ... on DraftIssue { title body }
          }
        }
      }
    }
  }
}"""


@pytest.fixture(autouse=True)
def quiet_pygithub():
    """`import github` adds a stderr handler at INFO to the "github" logger: keep the test output clean."""
    github.set_log_level(logging.WARNING)
    yield


@pytest.fixture(scope="module")
def site(shared_data):
    """github.com with 250 issues and pull requests, and a 250-item organization project."""
    with GitHubStandIn(Scenario(issue_count=250, project_item_count=250)) as running:
        yield running


def client(site: GitHubStandIn, token: str | None = None, **options) -> Github:
    """A PyGithub client as the connector builds it, without PyGithub's pauses (0.25 s between requests, 1 s
    between "writes", which include every GraphQL POST) to keep the tests quick."""
    options.setdefault("seconds_between_requests", None)
    options.setdefault("seconds_between_writes", None)
    return Github(auth=Auth.Token(token or site.scenario.token), base_url=site.api_url, per_page=100, **options)


def graphql_pages(gh: Github, owner: str = OWNER, number: int = 7) -> list[dict]:
    """Every page of the project's items, following endCursor through PyGithub's requester."""
    pages, after = [], None
    while True:
        _, answer = gh.requester.graphql_query(PROJECT_QUERY, {"owner": owner, "number": number, "after": after})
        items = answer["data"]["organization"]["projectV2"]["items"]
        pages.append(items)
        if not items["pageInfo"]["hasNextPage"]:
            return pages
        after = items["pageInfo"]["endCursor"]


def test_repo_issues_page_through_link_headers(site):
    gh, before = client(site), site.count("/repositories/")
    repo = gh.get_repo(FULL)
    issues = list(repo.get_issues(state="all"))
    assert len(issues) == 250 and len({i.number for i in issues}) == 250
    assert site.count("/repositories/") - before == 2  # pages 2 and 3 follow the Link header's /repositories/{id}
    assert site.requests[-3].path == ISSUES_PATH and site.requests[-3].query == {"per_page": ["100"], "state": ["all"]}
    created = [i.created_at for i in issues]
    assert created == sorted(created, reverse=True)  # newest first by default
    prs = [i for i in issues if "/pull/" in i.html_url]
    assert 0 < len(prs) < 125 and all(i._rawData.get("pull_request") for i in prs)
    assert all("pull_request" not in i._rawData for i in issues if i not in prs)
    assert {i.state for i in issues} == {"open", "closed"}
    default = list(repo.get_issues())
    assert len(default) == sum(1 for i in site.scenario.issues if i["state"] == "open") and {
        i.state for i in default
    } == {"open"}

    headers = {"Authorization": f"token {site.scenario.token}"}
    answer = requests.get(
        site.api_url + ISSUES_PATH, params={"state": "all", "per_page": 100, "page": 2}, headers=headers
    )
    links = [LINK.match(part).groupdict() for part in answer.headers["link"].split(", ")]
    base = f"{site.url}/repositories/{github_data.REPO_ID}/issues?state=all&per_page=100&page="
    assert links == [
        {"url": base + "1", "rel": "prev"},
        {"url": base + "3", "rel": "next"},
        {"url": base + "3", "rel": "last"},
        {"url": base + "1", "rel": "first"},
    ]
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used"):
        assert answer.headers[name].isdigit()
    assert (
        answer.headers["x-ratelimit-resource"] == "core"
        and answer.headers["x-oauth-scopes"] == "read:org, read:project, repo"
    )
    capped = requests.get(site.api_url + ISSUES_PATH, params={"state": "all", "per_page": 500}, headers=headers)
    assert len(capped.json()) == 100
    assert gh.rate_limiting[1] == 5000 and gh.rate_limiting[0] < 5000


def test_filters_labels_milestone_type_since_and_sort(site):
    repo = client(site).get_repo(FULL)
    both = list(repo.get_issues(state="all", labels=["priority: high", "bug"]))
    expected = [
        i for i in site.scenario.issues if {"priority: high", "bug"} <= {label["name"] for label in i["labels"]}
    ]
    assert 0 < len(both) == len(expected)
    assert all({"priority: high", "bug"} <= {label.name for label in i.labels} for i in both)
    assert site.requests[-1].query["labels"] == ["priority: high,bug"]
    sprint = repo.get_milestone(2)
    in_sprint = list(repo.get_issues(state="all", milestone=sprint))
    assert in_sprint and all(i.milestone.number == 2 for i in in_sprint)
    assert sprint.open_issues + sprint.closed_issues == len(in_sprint)
    assert all(i.milestone is None for i in repo.get_issues(state="all", milestone="none"))
    bugs = list(repo.get_issues(state="all", type="Bug"))
    assert bugs and all(i.type.name == "Bug" for i in bugs)
    cutoff = github_data.NOW - timedelta(days=30)
    recent = list(repo.get_issues(state="all", since=cutoff))
    assert recent and all(i.updated_at >= cutoff for i in recent) and len(recent) < 250
    oldest = list(repo.get_issues(state="all", sort="created", direction="asc"))
    assert [i.number for i in oldest[:3]] == [1, 2, 3]
    with pytest.raises(GithubException) as invalid:
        list(repo.get_issues(state="everything"))
    assert invalid.value.status == 422 and invalid.value.data["errors"][0]["field"] == "state"


def test_wrong_or_missing_token_is_401(site):
    with pytest.raises(GithubException) as wrong:
        client(site, token="fake-gh-token-wrong").get_repo(FULL)
    assert wrong.value.status == 401 and type(wrong.value).__name__ == "BadCredentialsException"
    assert wrong.value.data["message"] == "Bad credentials" and "documentation_url" in wrong.value.data
    missing = requests.get(site.api_url + f"/repos/{FULL}")
    assert missing.status_code == 401 and missing.json()["message"] == "Requires authentication"
    bearer = requests.get(site.api_url + "/user", headers={"Authorization": f"Bearer {site.scenario.token}"})
    assert bearer.status_code == 200 and bearer.json()["login"] == github_data.LOGIN


def test_unknown_repo_is_404(site):
    with pytest.raises(GithubException) as unknown:
        client(site).get_repo(f"{OWNER}/no-such-repo")
    assert unknown.value.status == 404 and type(unknown.value).__name__ == "UnknownObjectException"
    assert unknown.value.data["message"] == "Not Found"
    with GitHubStandIn(Scenario(issue_count=5, token_scopes=("read:project",))) as no_repo_scope:
        with pytest.raises(GithubException) as hidden:  # a private repository hides from a token without `repo`
            client(no_repo_scope).get_repo(FULL)
        assert hidden.value.status == 404


def test_enterprise_base_url(shared_data):
    with GitHubStandIn(Scenario(enterprise=True, issue_count=120, project_item_count=20)) as ghes:
        assert ghes.api_url == ghes.url + "/api/v3"
        gh = client(ghes)
        assert gh.requester.graphql_url == ghes.url + "/api/graphql"  # PyGithub drops /v3 and appends /graphql
        repo = gh.get_repo(FULL)
        assert repo.url == f"{ghes.url}/api/v3/repos/{FULL}" and repo.html_url == f"{ghes.url}/{FULL}"
        issues = list(repo.get_issues(state="all"))
        assert len(issues) == 120 and ghes.count("/api/v3/repositories/") == 1
        assert all(i.html_url.startswith(f"{ghes.url}/{FULL}/") for i in issues)
        pages = graphql_pages(gh)
        assert [len(p["nodes"]) for p in pages] == [20] and ghes.count("/api/graphql", "POST") == 1
        with pytest.raises(GithubException) as relative:  # a relative "/graphql" gets the /api/v3 prefix: 404
            gh.requester.requestJsonAndCheck("POST", "/graphql", input={"query": "{ viewer { login } }"})
        assert relative.value.status == 404 and ghes.requests[-1].path == "/api/v3/graphql"
        _, viewer = gh.requester.requestJsonAndCheck(
            "POST", gh.requester.graphql_url, input={"query": "{ viewer { login } }"}
        )
        assert viewer == {"data": {"viewer": {"login": github_data.LOGIN}}}
        root = requests.get(ghes.url + f"/repos/{FULL}", headers={"Authorization": f"token {ghes.scenario.token}"})
        assert root.status_code == 404 and root.headers["content-type"].startswith("text/html")
        assert ghes.requests[-1].path == f"/repos/{FULL}"


def test_graphql_project_pages_through_the_requester(site):
    gh, before = client(site), site.count("/graphql")
    pages = graphql_pages(gh)
    assert [len(p["nodes"]) for p in pages] == [100, 100, 50] and site.count("/graphql") - before == 3
    assert all(p["totalCount"] == 250 for p in pages)
    cursors = [p["pageInfo"]["endCursor"] for p in pages]
    assert len(set(cursors)) == 3 and not any(c.isdigit() for c in cursors)
    items = [n for p in pages for n in p["nodes"]]
    assert len({n["id"] for n in items}) == 250
    assert set(Counter(n["type"] for n in items)) == {"ISSUE", "PULL_REQUEST", "DRAFT_ISSUE"}
    for item in items:
        values = {v["field"]["name"]: v for v in item["fieldValues"]["nodes"] if v}
        assert values["Title"]["text"] == item["content"]["title"]
        if "Status" in values:
            assert values["Status"]["name"] in ("Todo", "In Progress", "Done")
        if item["type"] == "ISSUE":
            assert item["content"]["repository"]["nameWithOwner"] == FULL and "/issues/" in item["content"]["url"]
        if item["type"] == "DRAFT_ISSUE":
            assert set(item["content"]) == {"title", "body"}  # only what the query selected
    names = {v["field"]["name"] for n in items for v in n["fieldValues"]["nodes"] if v}
    assert {"Title", "Status", "Priority", "Estimate", "Iteration", "Text", "Date"} <= names
    _, first = gh.requester.graphql_query(PROJECT_QUERY, {"owner": OWNER, "number": 7})
    field_names = [f["name"] for f in first["data"]["organization"]["projectV2"]["fields"]["nodes"]]
    assert {"Status", "Priority", "Estimate", "Iteration", "Text", "Date"} <= set(field_names)


def test_graphql_errors_in_githubs_shape(site):
    gh = client(site)
    with pytest.raises(GithubException) as no_org:
        gh.requester.graphql_query(PROJECT_QUERY, {"owner": "nobody-here", "number": 7})
    assert no_org.value.status == 404  # PyGithub maps a single NOT_FOUND error to UnknownObjectException
    assert no_org.value.data == {
        "data": {"organization": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["organization"],
                "locations": [{"line": 3, "column": 3}],
                "message": "Could not resolve to an Organization with the login of 'nobody-here'.",
            }
        ],
    }
    _, raw = gh.requester.requestJsonAndCheck(
        "POST", "/graphql", input={"query": PROJECT_QUERY, "variables": {"owner": OWNER, "number": 99}}
    )
    assert raw["data"] == {"organization": {"projectV2": None}}
    assert raw["errors"][0]["type"] == "NOT_FOUND" and raw["errors"][0]["path"] == ["organization", "projectV2"]
    _, bad = gh.requester.requestJsonAndCheck(
        "POST",
        "/graphql",
        input={"query": '{ organization(login: "x") { projectV2(number: 1) { itemz(first: 1) { totalCount } } } }'},
    )
    assert "data" not in bad and bad["errors"][0]["message"] == "Field 'itemz' doesn't exist on type 'ProjectV2'"
    _, unbounded = gh.requester.requestJsonAndCheck(
        "POST",
        "/graphql",
        input={
            "query": 'query { organization(login: "' + OWNER + '") { projectV2(number: 7) { items { totalCount } } } }'
        },
    )
    assert unbounded["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    with GitHubStandIn(Scenario(owner_kind="user", issue_count=5, project_item_count=3)) as personal:
        user_query = PROJECT_QUERY.replace("organization(", "user(").replace('["organization"]', '["user"]')
        _, answer = client(personal).requester.graphql_query(user_query, {"owner": OWNER, "number": 7})
        assert len(answer["data"]["user"]["projectV2"]["items"]["nodes"]) == 3
        with pytest.raises(GithubException):  # a user-owned project is not an organization's
            client(personal).requester.graphql_query(PROJECT_QUERY, {"owner": OWNER, "number": 7})


def test_missing_project_scope_and_actions_token(shared_data):
    with GitHubStandIn(Scenario(issue_count=5, project_item_count=3, token_scopes=("read:org", "repo"))) as site:
        gh = client(site)
        assert len(list(gh.get_repo(FULL).get_issues())) > 0  # REST still works
        with pytest.raises(GithubException) as scopes:
            gh.requester.graphql_query(PROJECT_QUERY, {"owner": OWNER, "number": 7})
        assert scopes.value.status == 400  # PyGithub raises any other GraphQL error as a 400
        errors = scopes.value.data["errors"]
        assert "data" not in scopes.value.data and {e["type"] for e in errors} == {"INSUFFICIENT_SCOPES"}
        assert errors[0]["message"].startswith(
            "Your token has not been granted the required scopes to execute this "
            "query. The 'projectV2' field requires one of the following scopes: "
            "['read:project'], but your token has only been granted the: "
            "['read:org', 'repo'] scopes."
        )
    with GitHubStandIn(Scenario(issue_count=5, project_item_count=3, actions_token=True)) as actions:
        gh = client(actions)
        assert len(list(gh.get_repo(FULL).get_issues())) > 0
        with pytest.raises(GithubException) as forbidden:
            _ = gh.get_user().login
        assert (
            forbidden.value.status == 403
            and forbidden.value.data["message"] == "Resource not accessible by integration"
        )
        _, raw = gh.requester.requestJsonAndCheck(
            "POST", "/graphql", input={"query": PROJECT_QUERY, "variables": {"owner": OWNER, "number": 7}}
        )
        assert raw["data"] == {"organization": {"projectV2": None}}
        assert (
            raw["errors"][0]["type"] == "FORBIDDEN"
            and raw["errors"][0]["message"] == "Resource not accessible by integration"
        )
        assert "x-oauth-scopes" not in {k.lower() for k in actions_headers(actions)}


def actions_headers(site: GitHubStandIn) -> dict[str, str]:
    return dict(
        requests.get(site.api_url + f"/repos/{FULL}", headers={"Authorization": f"token {site.scenario.token}"}).headers
    )


def test_secondary_rate_limit_403_with_retry_after(site, monkeypatch):
    naps = []
    monkeypatch.setattr(
        urllib3.util.retry, "time", SimpleNamespace(sleep=naps.append, time=time.time, monotonic=time.monotonic)
    )
    gh, before = client(site, retry=GithubRetry(total=3)), site.count(f"/repos/{FULL}")
    site.add_faults(f"/repos/{FULL}", secondary_rate_limit(retry_after=7))
    assert gh.get_repo(FULL).full_name == FULL
    assert site.count(f"/repos/{FULL}") - before == 2 and naps == [7]  # urllib3 sleeps exactly Retry-After
    bounded = client(site, retry=0)  # no retries: the connector sees the limit at once and decides
    site.add_faults(f"/repos/{FULL}", secondary_rate_limit(retry_after=60))
    with pytest.raises(GithubException) as limited:
        bounded.get_repo(FULL)
    assert limited.value.status == 403 and type(limited.value).__name__ == "RateLimitExceededException"
    assert limited.value.headers["retry-after"] == "60" and limited.value.data["message"].startswith(
        "You have exceeded a secondary rate limit"
    )
    site.add_faults("/graphql", Fault(status=429, headers={"retry-after": "3"}))
    naps.clear()
    assert graphql_pages(client(site, retry=GithubRetry(total=3)))[0]["totalCount"] == 250 and naps == [3]


def test_primary_rate_limit_runs_out(shared_data):
    with GitHubStandIn(Scenario(issue_count=5, project_item_count=2, rate_limit=3)) as site:
        gh = client(site, retry=0)
        repo = gh.get_repo(FULL)
        assert len(list(repo.get_issues())) > 0 and gh.rate_limiting == (1, 3)
        repo.get_issue(1)
        with pytest.raises(GithubException) as exhausted:
            repo.get_issue(2)
        assert exhausted.value.status == 403 and type(exhausted.value).__name__ == "RateLimitExceededException"
        assert exhausted.value.headers["x-ratelimit-remaining"] == "0"
        _, answer = gh.requester.requestJsonAndCheck("POST", "/graphql", input={"query": "{ viewer { login } }"})
        assert answer == {"data": {"viewer": {"login": github_data.LOGIN}}}  # GraphQL has its own budget


def test_lazy_attributes_cost_a_request_each(site):
    """What the connector author must know: PyGithub completes a listed issue with a GET on unknown attributes."""
    repo = client(site).get_repo(FULL)
    issues = list(repo.get_issues(state="all"))
    issue = next(i for i in issues if "/issues/" in i.html_url and i.type is not None)
    pull = next(i for i in issues if "/pull/" in i.html_url)
    before = len(site.requests)
    assert (
        issue.title,
        issue.number,
        issue.labels,
        issue.milestone,
        issue.type.name,
        issue.sub_issues_summary.total,
        pull.pull_request.html_url,
        issue._rawData.get("pull_request"),
    ) and len(site.requests) == before
    assert issue.pull_request is None and len(site.requests) == before + 1  # an issue has no "pull_request" key
    assert site.requests[-1].path == f"{ISSUES_PATH}/{issue.number}"
    other = next(i for i in issues if i is not issue and "/issues/" in i.html_url)
    assert other.raw_data and len(site.requests) == before + 2  # raw_data completes the object too


def test_network_faults(site):
    gh = client(site, retry=0, timeout=1)  # PyGithub asserts an int timeout
    path = f"/repos/{FULL}/milestones"
    site.add_faults(path, Fault(reset=True), Fault(truncate=True), Fault(delay=1.3), Fault(status=502))
    repo = gh.get_repo(FULL)
    with pytest.raises(requests.exceptions.ConnectionError):
        list(repo.get_milestones())
    with pytest.raises(ValueError):  # json.JSONDecodeError
        list(repo.get_milestones())
    with pytest.raises(requests.exceptions.ReadTimeout):
        list(repo.get_milestones())
    with pytest.raises(GithubException) as bad_gateway:
        list(repo.get_milestones())
    assert bad_gateway.value.status == 502
    assert [m.title for m in repo.get_milestones()] == ["Sprint 42", "v2.0"]


def test_vcrpy_records_without_the_token_and_replays(site, tmp_path):
    vcr = pytest.importorskip("vcr")
    recorder = vcr.VCR(
        cassette_library_dir=str(tmp_path),
        filter_headers=["authorization"],
        record_mode="once",
        match_on=["method", "uri", "body"],
    )
    with recorder.use_cassette("issues.yaml"):
        live = [i.number for i in client(site).get_repo(FULL).get_issues(state="all")]
    cassette = (tmp_path / "issues.yaml").read_text()
    assert site.scenario.token not in cassette
    assert cassette.count("uri: ") == 4 and 'rel="next"' in cassette
    before = len(site.requests)
    with recorder.use_cassette("issues.yaml"):  # replays: the stand-in sees nothing
        replayed = [i.number for i in client(site).get_repo(FULL).get_issues(state="all")]
    assert replayed == live and len(site.requests) == before


def test_credentials_are_never_echoed(site):
    secret, token = "fake-gh-token-must-not-echo-77aa", site.scenario.token
    answers = [
        requests.get(site.api_url + "/user", headers={"Authorization": f"token {secret}"}),
        requests.get(site.api_url + "/nope", headers={"Authorization": f"token {token}"}),
        requests.post(
            site.graphql_url, json={"query": "{ viewer { login nope } }"}, headers={"Authorization": f"bearer {token}"}
        ),
    ]
    assert [a.status_code for a in answers] == [401, 404, 200]
    for answer in answers:
        assert secret not in answer.text and token not in answer.text
        assert not any(secret in value or token in value for value in answer.headers.values())
    assert all(secret not in repr(r) and token not in repr(r) for r in site.requests)


def test_builders_take_their_texts_from_the_real_data(shared_data):
    real = github_data.real_items()
    assert len(real) == 70 and sum("pull_request" in i for i in real) == 16
    issues = github_data.repo_issues(250)
    titles = {i["title"] for i in real}
    assert {i["title"] for i in issues} <= titles | github_data.SYNTHESIZED_TITLES
    assert 40 < sum("pull_request" in i for i in issues) < 80
    names = Counter(label["name"] for i in issues for label in i["labels"])
    assert {"priority: high", "size: 5", "estimate/3", "bug", "enhancement"} <= set(names)
    assert {(i["type"] or {}).get("name") for i in issues if "pull_request" not in i} == {
        "Bug",
        "Task",
        "Feature",
        None,
    }
    assert any(i["sub_issues_summary"]["total"] for i in issues if "pull_request" not in i)
    bodies = [i["body"] or "" for i in issues]
    for marker in ("### Acceptance Criteria", "- [ ] ", "Given ", "<!--", "```"):
        assert any(marker in body for body in bodies), marker
    assert all(i["html_url"].endswith(f"/pull/{i['number']}") == ("pull_request" in i) for i in issues)
    project = github_data.project_v2(40)
    assert project["owner"] == {"__typename": "Organization", "login": OWNER}
    kinds = Counter(i["type"] for i in project["items"])
    assert set(kinds) == {"ISSUE", "PULL_REQUEST", "DRAFT_ISSUE"}
    recorded = github_data.gr2m("api.items.list")[0]["response"]["data"]["data"]["userOrOrganization"]["projectV2"]
    assert {f["id"].split("_")[0] for f in project["fields"]} == {
        f["id"].split("_")[0] for f in recorded["fields"]["nodes"]
    }
