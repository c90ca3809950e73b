"""Self-tests of the Jira stand-in, driven by the real `jira` library (jira.JIRA) over local HTTP."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

pytest.importorskip("jira")
requests = pytest.importorskip("requests")

import jira.resilientsession
from jira import JIRA
from jira.exceptions import JIRAError
from standins import jira_data
from standins.jira import Fault, JiraStandIn, Scenario

CLOUD_FIELDS = ["summary", "description", "status", "customfield_10016", "customfield_10020", "parent"]
DC_FIELDS = ["summary", "description", "status", "customfield_10106", "customfield_10104", "customfield_10101"]
JIRA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
LEGACY_SPRINT = re.compile(
    r"^com\.atlassian\.greenhopper\.service\.sprint\.Sprint@[0-9a-f]+\[id=\d+,rapidViewId=\d+,"
    r"state=(CLOSED|ACTIVE|FUTURE),name=[^,]+,.*\]$"
)


@pytest.fixture(scope="module")
def cloud_site(shared_data):
    """A Cloud site with 250 issues in two projects, AR and UT."""
    with JiraStandIn(Scenario(deployment="cloud", issue_count=250)) as site:
        yield site


@pytest.fixture(scope="module")
def dc_site(shared_data):
    """A Data Center site with 230 real issues (XD and JSW)."""
    with JiraStandIn(Scenario(deployment="datacenter", issue_count=230)) as site:
        yield site


def client(site: JiraStandIn, **options) -> JIRA:
    """A jira.JIRA on the stand-in with the scenario's credentials."""
    return JIRA(server=site.url, **site.client_kwargs(), **options)


def in_project(site: JiraStandIn, key: str) -> int:
    """How many of the scenario's issues belong to project key."""
    return sum(1 for i in site.scenario.issues if i["fields"]["project"]["key"] == key)


def test_server_info_and_fields(cloud_site, dc_site):
    cloud, dc = client(cloud_site), client(dc_site)
    assert cloud.server_info()["deploymentType"] == "Cloud" and cloud._is_cloud
    assert dc.server_info()["deploymentType"] == "Server" and dc._version == (9, 12, 0) and not dc._is_cloud
    by_name = {f["name"]: f for f in cloud.fields()}
    assert by_name["Story point estimate"]["id"] == "customfield_10016"
    assert by_name["Sprint"]["schema"] == {
        "type": "array",
        "items": "json",
        "custom": "com.pyxis.greenhopper.jira:gh-sprint",
        "customId": 10020,
    }
    assert {"Summary", "Description", "Parent", "Rank"} <= set(by_name)
    assert {f["name"]: f["id"] for f in dc.fields()}["Epic Link"] == "customfield_10101"


def test_cloud_enhanced_search_pages_with_tokens(cloud_site):
    jc, before = client(cloud_site), cloud_site.count("/rest/api/2/search/jql")
    token, pages = None, []
    while True:
        page = jc.enhanced_search_issues(
            "project in (AR, UT) ORDER BY Rank",
            nextPageToken=token,
            maxResults=100,
            fields=list(CLOUD_FIELDS),
            json_result=True,
        )
        pages.append(page)
        token = page.get("nextPageToken")
        if page["isLast"]:
            break
    assert [len(p["issues"]) for p in pages] == [100, 100, 50]
    assert [p["isLast"] for p in pages] == [False, False, True] and "nextPageToken" not in pages[-1]
    assert all("total" not in p and "startAt" not in p for p in pages)
    issues = [i for p in pages for i in p["issues"]]
    assert len({i["key"] for i in issues}) == 250
    assert all(set(i["fields"]) <= set(CLOUD_FIELDS) for i in issues)
    assert any(isinstance(i["fields"]["description"], str) for i in issues)  # API v2: wiki markup, not ADF
    assert cloud_site.count("/rest/api/2/search/jql") - before == 3
    assert len(jc.enhanced_search_issues("project = AR", maxResults=0)) == in_project(cloud_site, "AR")


def test_cloud_v3_post_search_returns_adf_and_default_is_ids_only(cloud_site):
    jc = client(cloud_site, options={"rest_api_version": "3"})
    page = jc.enhanced_search_issues(
        "project = AR", maxResults=20, fields=["description", "created"], json_result=True, use_post=True
    )
    descriptions = [i["fields"]["description"] for i in page["issues"] if i["fields"]["description"]]
    assert descriptions and all(d["type"] == "doc" and d["version"] == 1 for d in descriptions)
    assert all(JIRA_TIME.match(i["fields"]["created"]) for i in page["issues"])
    assert cloud_site.requests[-1].method == "POST" and cloud_site.requests[-1].body["fields"] == [
        "description",
        "created",
    ]
    bare = jc._get_json("search/jql", params={"jql": "project = UT"})
    assert bare == {"issues": [{"id": i["id"]} for i in bare["issues"]], "isLast": True}
    assert len(bare["issues"]) == jc.approximate_issue_count("project = UT") == in_project(cloud_site, "UT") > 0


def test_datacenter_search_pages_with_start_at(dc_site):
    jc, start, pages = client(dc_site), 0, []
    while True:
        page = jc.search_issues(
            "project in (XD, JSW) ORDER BY Rank",
            startAt=start,
            maxResults=100,
            fields=list(DC_FIELDS),
            json_result=True,
        )
        pages.append(page)
        start += len(page["issues"])
        if start >= page["total"]:
            break
    assert [(p["startAt"], p["maxResults"], p["total"], len(p["issues"])) for p in pages] == [
        (0, 100, 230, 100),
        (100, 100, 230, 100),
        (200, 100, 230, 30),
    ]
    issues = [i for p in pages for i in p["issues"]]
    assert all(set(i["fields"]) == set(DC_FIELDS) for i in issues)
    sprints = [s for i in issues for s in i["fields"]["customfield_10104"] or []]
    assert sprints and all(LEGACY_SPRINT.match(s) for s in sprints)
    keys = {i["key"] for i in issues}
    assert {i["fields"]["customfield_10101"] for i in issues} - {None} <= keys  # Epic Link: a key string
    assert dc_site.requests[-1].query["startAt"] == ["200"] and dc_site.requests[-1].query["fields"] == DC_FIELDS
    assert jc.search_issues("project = XD", maxResults=500, json_result=True)["maxResults"] == 100  # capped
    keys = jc.search_issues("project in (XD, JSW)", maxResults=5000, fields="key", json_result=True)
    assert keys["maxResults"] == 1000 and len(keys["issues"]) == 230  # keys only: up to 1,000 a page


def test_wrong_or_missing_credentials_are_401(cloud_site, dc_site):
    with pytest.raises(JIRAError) as cloud_error:
        JIRA(server=cloud_site.url, basic_auth=(cloud_site.scenario.email, "fake-token-wrong"))
    assert cloud_error.value.status_code == 401
    assert cloud_error.value.response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    with pytest.raises(JIRAError) as dc_error:
        JIRA(server=dc_site.url, token_auth="fake-token-wrong")
    assert dc_error.value.status_code == 401 and "not authenticated" in dc_error.value.text
    anonymous = JIRA(server=dc_site.url)  # serverInfo answers anonymously, as on real sites
    with pytest.raises(JIRAError) as missing:
        anonymous.myself()
    assert missing.value.status_code == 401


def test_cloud_legacy_search_is_410(cloud_site):
    jc = client(cloud_site, get_server_info=False)  # without serverInfo the library thinks it is not Cloud
    assert not jc._is_cloud
    with pytest.raises(JIRAError) as gone:
        jc.search_issues("project = AR", maxResults=10)
    assert gone.value.status_code == 410 and "/rest/api/3/search/jql" in gone.value.text


def test_429_with_retry_after_then_success(cloud_site, monkeypatch):
    naps = []
    monkeypatch.setattr(jira.resilientsession, "time", SimpleNamespace(sleep=naps.append))
    jc = client(cloud_site)
    before = cloud_site.count("/rest/api/2/field")
    cloud_site.add_faults("/rest/api/2/field", Fault(status=429, headers={"Retry-After": "1"}))
    assert len(jc.fields()) == len(cloud_site.scenario.fields)
    assert cloud_site.count("/rest/api/2/field") - before == 2
    assert len(naps) == 1 and 1.0 <= naps[0] <= 2.0  # the library waits 2 × Retry-After × jitter(0.5–1)


def test_network_faults(dc_site):
    jc = client(dc_site, max_retries=0, timeout=0.3)
    dc_site.add_faults(
        "/rest/api/2/myself", Fault(reset=True), Fault(truncate=True), Fault(delay=0.6), Fault(status=503)
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        jc.myself()
    with pytest.raises(ValueError):  # requests' JSONDecodeError
        jc.myself()
    with pytest.raises(requests.exceptions.ReadTimeout):
        jc.myself()
    with pytest.raises(JIRAError) as unavailable:
        jc.myself()
    assert unavailable.value.status_code == 503
    assert jc.myself()["name"] == "po"


def test_jql_errors_and_selection(cloud_site):
    jc = client(cloud_site)
    cases = {
        "project = AR AND BAD_JQL": (400, "Error in the JQL Query"),
        "project = AR AND FORBIDDEN_JQL": (403, ""),
        "project = NOPE": (400, "does not exist for the field 'project'"),
        "ORDER BY Rank": (400, "Unbounded"),
    }
    for jql, (status, text) in cases.items():
        with pytest.raises(JIRAError) as error:
            jc.enhanced_search_issues(jql, fields=["summary"], json_result=True)
        assert error.value.status_code == status and text in error.value.text
    count = jc.approximate_issue_count
    assert count("project = AR") + count("project = UT") == count("project = AR OR project = UT") == 250
    assert count("project = AR AND statusCategory != Done") < count("project = AR")
    assert count("filter = 10001") == count("project = AR")


def test_agile_board_endpoints(cloud_site):
    jc = client(cloud_site)
    config = jc._get_json("board/1/configuration", base=jc.AGILE_BASE_URL)
    assert config["filter"]["id"] == "10001" and config["ranking"]["rankCustomFieldId"] == 10019
    assert config["estimation"]["field"]["fieldId"] == "customfield_10016"
    assert jc._get_json("filter/10001")["jql"].startswith("project = AR")
    assert [s.state for s in jc.sprints(1, state="closed")] == ["closed"] * 5
    assert jc._get_json("board/1/backlog", params={"maxResults": 500}, base=jc.AGILE_BASE_URL)["maxResults"] == 100
    pages = [
        jc._get_json("board/1/backlog", params={"startAt": start, "maxResults": 40}, base=jc.AGILE_BASE_URL)
        for start in range(0, 250, 40)
    ]
    backlog = [i for p in pages for i in p["issues"]]
    assert 40 < len(backlog) == pages[0]["total"] < in_project(cloud_site, "AR")
    for issue in backlog:
        fields = issue["fields"]
        assert fields["status"]["statusCategory"]["key"] != "done" and fields["sprint"] is None
        assert fields["description"] is None or isinstance(fields["description"], str)


def test_field_names_and_acceptance_criteria_field_are_configurable(shared_data):
    field_set = jira_data.CLOUD_COMPANY_MANAGED.with_acceptance_criteria()
    with JiraStandIn(Scenario(deployment="cloud", field_set=field_set, issue_count=40)) as site:
        v3, v2 = client(site, options={"rest_api_version": "3"}), client(site)
        names = {f["id"]: f["name"] for f in v2.fields()}
        assert names["customfield_10028"] == "Story Points" and names["customfield_10016"] == "Story point estimate"
        assert names["customfield_12310243"] == "Acceptance Criteria"
        wanted = ["customfield_10028", "customfield_10016", "customfield_12310243"]
        adf = v3.enhanced_search_issues("project = AR", maxResults=100, fields=wanted, json_result=True)["issues"]
        wiki = v2.enhanced_search_issues("project = AR", maxResults=100, fields=wanted, json_result=True)["issues"]
        assert any(i["fields"]["customfield_10028"] for i in adf) and not any(
            i["fields"]["customfield_10016"] for i in adf
        )
        assert {type(i["fields"]["customfield_12310243"]) for i in adf} == {dict, type(None)}
        assert {type(i["fields"]["customfield_12310243"]) for i in wiki} == {str, type(None)}


def test_credentials_are_never_echoed(dc_site):
    secret, pat = "fake-token-must-not-echo-91f3", dc_site.scenario.pat
    answers = [
        requests.get(dc_site.url + "/rest/api/2/myself", headers={"Authorization": f"Bearer {secret}"}),
        requests.get(dc_site.url + "/rest/api/2/nope", headers={"Authorization": f"Bearer {pat}"}),
        requests.get(
            dc_site.url + "/rest/api/2/search", params={"jql": "BAD_JQL"}, headers={"Authorization": f"Bearer {pat}"}
        ),
    ]
    assert [a.status_code for a in answers] == [401, 404, 400]
    for answer in answers:
        assert secret not in answer.text and pat not in answer.text
        assert not any(secret in value or pat in value for value in answer.headers.values())
    assert all(secret not in repr(r) and pat not in repr(r) for r in dc_site.requests)


def test_builders_take_their_texts_from_the_real_data(shared_data):
    cloud = jira_data.cloud_issues(250)
    kinds = {i["fields"]["issuetype"]["name"] for i in cloud}
    assert kinds == {"Epic", "Story", "Bug", "Task", "Sub-task"}
    nodes = {n["type"] for i in cloud if i["fields"]["description"] for n in i["fields"]["description"]["content"]}
    assert {"heading", "bulletList", "taskList", "paragraph", "codeBlock"} <= nodes
    summaries = [i["fields"]["summary"] for i in cloud]
    assert any(re.match(r"As an? .+ I want .+ so that", s) for s in summaries)
    assert any(i["fields"]["description"] is None for i in cloud)
    assert all(JIRA_TIME.match(i["fields"]["created"]) and JIRA_TIME.match(i["fields"]["updated"]) for i in cloud)
    rows = {r["key"]: r for r in jira_data.storypoint_rows("springxd", shared_data)}
    dc = jira_data.datacenter_issues(230)
    xd = [i for i in dc if i["key"] in rows]
    assert xd and all(i["fields"]["summary"] == rows[i["key"]]["title"] for i in xd)
    assert all(i["fields"]["description"] == rows[i["key"]]["description"] for i in xd)
