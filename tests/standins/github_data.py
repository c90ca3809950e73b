"""Issue, repository and ProjectV2 payloads for the GitHub stand-in, built from the real data in ../shared/data.

Shapes and texts come from api_payloads/github: the REST issue lists PyGithub recorded (PyGithub 2024 and 2025,
openFrameworks 2018: 70 real issues and pull requests with their titles, Markdown bodies, users, labels, issue
types and sub-issue summaries) and the ProjectV2 GraphQL answers gr2m/github-project recorded (fields, items,
field values, iterations, draft issues). Nothing is copied into the product: the files are read at run time.

What the real data lacks is synthesized and marked "synthesized" below: the backlog labels ("priority: high",
"size: 5", "estimate/3"), milestones, sub-issue links, issue-form bodies with "### Acceptance Criteria", task
lists, Given/When/Then and HTML comments (none of the 70 real bodies has them), the Priority options, the
Text/Date values and the timeline. Everything is deterministic: the same arguments give the same payloads.
API links point at API and web links at WEB; the stand-in rewrites both to its own URLs when it answers.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"  # as tests/conftest.py
PAYLOADS = Path("api_payloads") / "github"
API = "https://api.github.com"
WEB = "https://github.com"
NOW = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)
OWNER, REPO, REPO_ID, OWNER_ID = "acme-shop", "storefront", 781_234_567, 161_803_398
LOGIN = "po-stand-in"  # the account the scenario's token belongs to

Json = dict[str, Any]

ISSUE_LISTS = (
    "rest_list_repo_issues_PyGithub_2024-09-17.json",
    "rest_list_repo_issues_openFrameworks_2018-10-26.json",
    "rest_list_repo_issues_type_any_open_2025-09-19.json",
    "rest_list_repo_issues_type_any_closed_2025-09-19.json",
    "rest_list_sub_issues_2025-07-16.json",
)

# -- real data -----------------------------------------------------------------------------------------------


def load_json(relative: str, data_dir: Path | None = None) -> Any:
    """A payload under api_payloads/github, parsed fresh."""
    return copy.deepcopy(_load_json(str((data_dir or SHARED_DATA) / PAYLOADS / relative)))


@cache
def _load_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def real_items(data_dir: Path | None = None) -> list[Json]:
    """The 70 real REST issue-list items (issues and pull requests), each once, as recorded."""
    seen, items = set(), []
    for name in ISSUE_LISTS:
        for item in load_json(f"pygithub_replaydata/{name}", data_dir):
            if item["id"] not in seen:
                seen.add(item["id"])
                items.append(item)
    return items


def real_users(data_dir: Path | None = None) -> list[Json]:
    """The distinct user objects of the real items (authors, assignees, closers), in first-seen order."""
    users: dict[str, Json] = {}
    for item in real_items(data_dir):
        for user in [item["user"], *item["assignees"], item.get("closed_by")]:
            if user and user["login"] not in users:
                users[user["login"]] = {**user, "user_view_type": "public"}
    return list(users.values())


def issue_types(data_dir: Path | None = None) -> dict[str, Json]:
    """The real issue-type objects by name (Bug, Task, Feature: the PyGithub organization's)."""
    return {i["type"]["name"]: i["type"] for i in real_items(data_dir) if i.get("type")}


def gr2m(name: str, data_dir: Path | None = None) -> list[Json]:
    """A recorded gr2m/github-project scenario: [{operation, variables, response}]."""
    return load_json(f"gr2m_github_project_projectv2/{name}.json", data_dir)


# -- synthesized texts (the real bodies have no acceptance criteria, task lists, GWT nor HTML comments) ---------

SYNTHESIZED = [  # synthesized: issue-form and backlog-style bodies, each marked by its title in SYNTHESIZED_TITLES
    (
        "As a product owner, I want to export the sprint backlog as CSV",
        (
            "### User story\n\nAs a product owner, I want to export the sprint backlog as CSV so that I can share it with "
            "stakeholders who do not use GitHub.\n\n### Acceptance Criteria\n\n- [ ] The export has one row per open issue "
            "of the current milestone\n- [ ] The columns are number, title, labels, assignees and estimate\n- [x] The file "
            "downloads in under 5 seconds for 500 issues\n\n### Additional context\n\n_No response_"
        ),
        "Feature",
    ),
    (
        "Flag stale issues automatically",
        (
            "<!-- Thanks for the request! Describe the behaviour you expect. -->\n**Story:** As a team member I want stale "
            "issues to be flagged so that the backlog stays relevant.\n\n#### Acceptance criteria\n\n```gherkin\nGiven an "
            "open issue that has not been updated for 90 days\nWhen the nightly triage job runs\nThen the issue gets the "
            'label "stale"\nAnd a comment asks the author to confirm that it is still relevant\n```'
        ),
        "Feature",
    ),
    (
        "Show stories without an estimate first in the planning view",
        (
            "As a scrum master I want to see which stories lack an estimate so that planning poker covers them.\n\n"
            "Acceptance Criteria:\nGiven a milestone with 12 open stories\nWhen I open the planning view\nThen the stories "
            'without a "size:" label are listed first'
        ),
        "Feature",
    ),
    (
        "Improve checkout performance",
        (
            "Improve the checkout page performance. It should be fast and user-friendly, and work well on mobile etc.\n\n"
            "- [ ] Investigate\n- [ ] Fix\n- [ ] Test"
        ),
        "Task",
    ),
    (
        "Update login",
        (
            "<!--\nPlease use the template below.\nDescribe the problem and the acceptance criteria.\n-->\n## Description\n\n"
            "<!-- What should change? -->\n\n## Acceptance Criteria\n\n<!-- - [ ] criterion -->\n"
        ),
        None,
    ),
    (
        "Paginate the /orders endpoint",
        (
            "As an API consumer, I want the `/orders` endpoint to support pagination so that large accounts do not time "
            "out.\n\n### Acceptance Criteria\n- [ ] `GET /orders?page=2&per_page=50` returns the second page\n- [ ] The "
            'response carries a `Link` header with `rel="next"`\n\n```http\nGET /orders?per_page=50 HTTP/1.1\n'
            "Accept: application/json\n```"
        ),
        "Feature",
    ),
    (
        "Discount code can be applied twice",
        (
            "### Describe the bug\n\nApplying a discount code twice doubles the discount.\n\n### Steps to reproduce\n\n"
            "1. Add an item to the cart\n2. Apply the code SAVE10\n3. Apply the code SAVE10 again\n\n### Expected behavior\n"
            '\nThe second application is rejected with "Code already applied".\n\n### Acceptance Criteria\n\n- [ ] A code '
            "can be applied once per order\n- [ ] The error message names the code"
        ),
        "Bug",
    ),
]
SYNTHESIZED_TITLES = frozenset(title for title, _, _ in SYNTHESIZED)

# synthesized: the backlog labels and milestones a product owner's repository typically has
PRIORITY_LABELS = [("priority: high", "b60205"), ("priority: medium", "fbca04"), ("priority: low", "0e8a16")]
SIZES = [1, 2, 3, 5, 8, 13]
OTHER_LABELS = {
    "bug": ("d73a4a", "Something isn't working"),
    "enhancement": ("a2eeef", "New feature or request"),
    "documentation": ("0075ca", "Improvements or additions to documentation"),
}
MILESTONES = [  # number, title, state, due (days from NOW), description
    (1, "Sprint 41", "closed", -14, "Checkout hardening"),
    (2, "Sprint 42", "open", 4, "Backlog export and planning view"),
    (3, "v2.0", "open", None, ""),
]
_BUGGY = re.compile(r"(?i)\b(bug|broken|crash\w*|error|exception|fails?|hangs?|leak|wrong|not found|missing)\b")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_id(prefix: str, number: int) -> str:
    return prefix + base64.b64encode(f"0:{OWNER_ID}:{number}".encode()).decode().rstrip("=")


def _rehome(value: Any, source_repo: str, owner: str, repo: str) -> Any:
    """Links of a real object moved from its recorded repository to owner/repo."""
    text = json.dumps(value).replace(f"/repos/{source_repo}/", f"/repos/{owner}/{repo}/")
    return json.loads(text.replace(f"{WEB}/{source_repo}/", f"{WEB}/{owner}/{repo}/"))


def label(
    name: str, owner: str = OWNER, repo: str = REPO, color: str | None = None, description: str | None = None
) -> Json:
    """A label object in the shape of the real ones."""
    color = color or dict(PRIORITY_LABELS).get(name) or OTHER_LABELS.get(name, ("ededed",))[0]
    description = description if description is not None else OTHER_LABELS.get(name, (None, None))[1]
    number = int.from_bytes(name.encode()[:6].ljust(6, b"_"), "big") % 9_000_000 + 1_000_000
    return {
        "id": number,
        "node_id": _node_id("LA_kwDOLpM0ts8AAAAB", number),
        "url": f"{API}/repos/{owner}/{repo}/labels/{name.replace(' ', '%20').replace(':', '%3A')}",
        "name": name,
        "color": color,
        "default": name in OTHER_LABELS,
        "description": description,
    }


def milestone(number: int, owner: str = OWNER, repo: str = REPO, data_dir: Path | None = None) -> Json:
    """A milestone in the shape of the real ones (counts filled in by repo_issues)."""
    shape = next(i["milestone"] for i in real_items(data_dir) if i.get("milestone"))
    _, title, state, due, description = MILESTONES[number - 1]
    created = NOW - timedelta(days=120 - 14 * number)
    shape.update(
        url=f"{API}/repos/{owner}/{repo}/milestones/{number}",
        html_url=f"{WEB}/{owner}/{repo}/milestone/{number}",
        labels_url=f"{API}/repos/{owner}/{repo}/milestones/{number}/labels",
        id=10_500_000 + number,
        node_id=_node_id("MI_kwDOLpM0ts4A", number),
        number=number,
        title=title,
        description=description,
        creator=real_users(data_dir)[0],
        open_issues=0,
        closed_issues=0,
        state=state,
        created_at=_stamp(created),
        updated_at=_stamp(created),
        due_on=_stamp(NOW + timedelta(days=due)) if due is not None else None,
        closed_at=_stamp(NOW + timedelta(days=due)) if state == "closed" else None,
    )
    return shape


# -- the repository ------------------------------------------------------------------------------------------


def owner_object(owner: str = OWNER, kind: str = "organization", data_dir: Path | None = None) -> Json:
    """The owner as REST embeds it: a user object of type "Organization" or "User"."""
    shape = copy.deepcopy(real_users(data_dir)[0])
    text = json.dumps(shape).replace(f"/{shape['login']}", f"/{owner}")
    shape = json.loads(text)
    shape.update(
        login=owner,
        id=OWNER_ID,
        node_id=("O_kgDO" if kind == "organization" else "U_kgDO") + "CaHbxg",
        avatar_url=f"https://avatars.githubusercontent.com/u/{OWNER_ID}?v=4",
        type="Organization" if kind == "organization" else "User",
    )
    return shape


def repository(
    owner: str = OWNER,
    repo: str = REPO,
    kind: str = "organization",
    private: bool = True,
    issues: list[Json] | None = None,
    data_dir: Path | None = None,
) -> Json:
    """GET /repos/{owner}/{repo}: the real repository shape (from the sub-issue recording) moved to owner/repo."""
    shape = load_json("pygithub_replaydata/rest_list_sub_issues_2025-07-16.json", data_dir)[0]["repository"]
    shape = json.loads(json.dumps(shape).replace("PyGithub/PyGithub", f"{owner}/{repo}"))
    open_count = sum(1 for i in issues or [] if i["state"] == "open")
    shape.update(
        id=REPO_ID,
        node_id="R_kgDOLpM0tw",
        name=repo,
        full_name=f"{owner}/{repo}",
        private=private,
        owner=owner_object(owner, kind, data_dir),
        description="Online shop: storefront, cart and checkout",
        homepage="",
        topics=["backlog", "shop"],
        visibility="private" if private else "public",
        created_at="2023-03-18T17:07:04Z",
        updated_at=_stamp(NOW - timedelta(hours=3)),
        pushed_at=_stamp(NOW - timedelta(hours=3)),
        open_issues_count=open_count,
        open_issues=open_count,
        stargazers_count=4,
        watchers_count=4,
        watchers=4,
        forks_count=1,
        forks=1,
        size=1990,
        language="Python",
        default_branch="main",
        has_issues=True,
        has_projects=True,
    )
    return shape


def authenticated_user(login: str = LOGIN, data_dir: Path | None = None) -> Json:
    """GET /user: a user object (real shape) plus the profile fields the endpoint adds (synthesized values)."""
    shape = json.loads(json.dumps(real_users(data_dir)[0]).replace(f"/{real_users(data_dir)[0]['login']}", f"/{login}"))
    shape.update(
        login=login,
        id=98_765_432,
        node_id="U_kgDOBeMfOA",
        avatar_url="https://avatars.githubusercontent.com/u/98765432?v=4",
    )
    shape.update(
        name="Product Owner",
        company="ACME Shop",
        blog="",
        location=None,
        email=None,
        hireable=None,
        bio=None,
        twitter_username=None,
        notification_email=None,
        public_repos=2,
        public_gists=0,
        followers=3,
        following=1,
        created_at="2021-02-01T10:00:00Z",
        updated_at="2024-05-30T08:00:00Z",
    )
    return shape


# -- issues --------------------------------------------------------------------------------------------------


def repo_issues(
    n: int, owner: str = OWNER, repo: str = REPO, seed: int = 7, data_dir: Path | None = None
) -> list[Json]:
    """n issues and pull requests of owner/repo, newest first (numbers 1..n in creation order), as GET …/issues.

    Every 12th item (from the 6th) takes a synthesized backlog text; the others cycle through the 70 real items
    (so beyond 76 items texts repeat). Real titles, bodies, authors, reactions and comment counts are kept;
    numbers, dates, states, labels, milestones, assignees, types and sub-issue links are planned here.
    """
    rng = random.Random(seed)
    real = real_items(data_dir)
    random.Random(seed + 1).shuffle(real)
    users, types = real_users(data_dir), issue_types(data_dir)
    mstones = {m: milestone(m, owner, repo, data_dir) for m in (1, 2, 3)}
    features: list[Json] = []
    items, next_real = [], 0
    for k in range(n):
        number = k + 1
        if k % 12 == 5:
            title, body, type_name = SYNTHESIZED[(k // 12) % len(SYNTHESIZED)]
            src = {
                **copy.deepcopy(real[0]),
                "title": title,
                "body": body,
                "comments": 0,
                "labels": [],
                "type": types.get(type_name) if type_name else None,
            }
            src.pop("pull_request", None)
            src.pop("draft", None)
            src["user"] = users[k % len(users)]
        else:
            src = copy.deepcopy(real[next_real % len(real)])
            next_real += 1
        source_repo = src["repository_url"].split("/repos/", 1)[1]
        item = _rehome(src, source_repo, owner, repo)
        items.append(_plan_issue(item, number, n, rng, owner, repo, users, types, mstones, features))
    for m in mstones.values():
        m["open_issues"] = sum(
            1 for i in items if (i["milestone"] or {}).get("number") == m["number"] and i["state"] == "open"
        )
        m["closed_issues"] = sum(
            1 for i in items if (i["milestone"] or {}).get("number") == m["number"] and i["state"] == "closed"
        )
    for item in items:
        if item["milestone"]:
            item["milestone"] = copy.deepcopy(mstones[item["milestone"]["number"]])
    return sorted(items, key=lambda i: (i["created_at"], i["number"]), reverse=True)


def _plan_issue(
    item: Json,
    number: int,
    n: int,
    rng: random.Random,
    owner: str,
    repo: str,
    users: list[Json],
    types: dict[str, Json],
    mstones: dict[int, Json],
    features: list[Json],
) -> Json:
    pr = "pull_request" in item
    base = f"{API}/repos/{owner}/{repo}/issues/{number}"
    created = NOW - timedelta(
        days=400 * (n - number + 1) / max(n, 1) + 1, hours=rng.randrange(12), minutes=rng.randrange(60)
    )
    stale = rng.random() < 0.1
    updated = min(NOW - timedelta(hours=1), created + timedelta(hours=2 if stale else rng.uniform(3, 1500)))
    closed = item["state"] == "closed" or rng.random() < 0.22
    if not pr and not closed and _bot_bumped(number, created):
        updated = NOW - timedelta(days=1 + number % 5)  # a stale-bot comment, long after the last person's
    item.update(
        url=base,
        labels_url=base + "/labels{/name}",
        comments_url=base + "/comments",
        events_url=base + "/events",
        timeline_url=base + "/timeline",
        repository_url=f"{API}/repos/{owner}/{repo}",
        html_url=f"{WEB}/{owner}/{repo}/{'pull' if pr else 'issues'}/{number}",
        id=2_400_000_000 + 7 * number,
        node_id=_node_id("PR_kwDOLpM0ts" if pr else "I_kwDOLpM0ts", number),
        number=number,
        created_at=_stamp(created),
        updated_at=_stamp(updated),
        locked=False,
        active_lock_reason=None,
        state="closed" if closed else "open",
        closed_at=_stamp(updated) if closed else None,
    )
    if "reactions" in item:  # the 2018 recording predates reactions in issue lists
        item["reactions"]["url"] = base + "/reactions"
    if "closed_by" in item or closed:
        item["closed_by"] = users[number % len(users)] if closed else None
    if "state_reason" in item or not pr:
        item["state_reason"] = ("completed" if rng.random() < 0.8 else "not_planned") if closed and not pr else None
    item.pop("repository", None)
    item.pop("parent_issue_url", None)
    if pr:
        merged = closed and rng.random() < 0.7
        item["draft"] = bool(item.get("draft")) or (not closed and rng.random() < 0.15)
        item["pull_request"] = {
            "url": f"{API}/repos/{owner}/{repo}/pulls/{number}",
            "html_url": f"{WEB}/{owner}/{repo}/pull/{number}",
            "diff_url": f"{WEB}/{owner}/{repo}/pull/{number}.diff",
            "patch_url": f"{WEB}/{owner}/{repo}/pull/{number}.patch",
            "merged_at": _stamp(updated) if merged else None,
        }
    else:  # issues carry the 2025 fields (type, sub-issue and dependency summaries) as in the recent recordings
        kind = item.get("type")
        if kind is None and item["title"] not in SYNTHESIZED_TITLES:
            roll = rng.random()
            kind = (
                types.get("Bug")
                if _BUGGY.search(item["title"]) and roll < 0.8
                else types.get("Feature")
                if roll < 0.3
                else types.get("Task")
                if roll < 0.55
                else None
            )
        item["type"] = kind
        item["sub_issues_summary"] = {"total": 0, "completed": 0, "percent_completed": 0}
        item["issue_dependencies_summary"] = {
            "blocked_by": 0,
            "total_blocked_by": 0,
            "blocking": 0,
            "total_blocking": 0,
        }
        if kind and kind["name"] == "Feature":
            features.append(item)
        elif features and rng.random() < 0.3:  # synthesized: a sub-issue of an earlier feature
            parent = features[rng.randrange(len(features))]
            item["parent_issue_url"] = parent["url"]
            summary = parent["sub_issues_summary"]
            summary["total"] += 1
            summary["completed"] += closed
            summary["percent_completed"] = summary["completed"] * 100 // summary["total"]
    item["labels"] = _labels(item, rng, owner, repo)
    roll = rng.random()
    item["milestone"] = None if pr or roll < 0.55 else mstones[1 if closed and roll < 0.75 else 2 if roll < 0.9 else 3]
    count = 0 if rng.random() < 0.45 else 1 if rng.random() < 0.8 else 2
    item["assignees"] = [users[(number * 3 + j) % len(users)] for j in range(count)]
    item["assignee"] = item["assignees"][0] if item["assignees"] else None
    return item


def _labels(item: Json, rng: random.Random, owner: str, repo: str) -> list[Json]:
    """The item's real labels plus synthesized backlog labels: priority, size or estimate, bug or enhancement."""
    names = [entry["name"] for entry in item["labels"]]
    if rng.random() < 0.65:
        names.append(PRIORITY_LABELS[rng.randrange(3)][0])
    roll = rng.random()
    if roll < 0.45:
        names.append(f"size: {SIZES[rng.randrange(len(SIZES))]}")
    elif roll < 0.6:
        names.append(f"estimate/{SIZES[rng.randrange(4)]}")
    kind = (item.get("type") or {}).get("name")
    if kind == "Bug" or _BUGGY.search(item["title"]) and "pull_request" not in item:
        names.append("bug")
    elif "pull_request" not in item and (kind == "Feature" or rng.random() < 0.25):
        names.append("enhancement")
    elif rng.random() < 0.05:
        names.append("documentation")
    real = {
        entry["name"]: _rehome(entry, entry["url"].split("/repos/")[1].rsplit("/labels/")[0], owner, repo)
        for entry in item["labels"]
    }
    return [real.get(name) or label(name, owner, repo) for name in dict.fromkeys(names)]


# -- ProjectV2 -----------------------------------------------------------------------------------------------

STATUS = ("Todo", "In Progress", "Done")
PRIORITIES = ("P0", "P1", "P2")  # synthesized: the recorded project's second single select has One/Two/Three
NOTES = ["Needs design review", "Blocked by the payment provider", "Split before planning", "Ask support for data"]


def project_fields(data_dir: Path | None = None) -> list[Json]:
    """The project's fields as GraphQL answers them: the recorded gr2m fields, with Number renamed Estimate and
    "Single select" renamed Priority (options P0-P2), the iterations moved to the weeks around NOW."""
    recorded = gr2m("api.items.update-iteration", data_dir)[0]["response"]["data"]["data"]
    fields = []
    for raw in recorded["userOrOrganization"]["projectV2"]["fields"]["nodes"]:
        field = {
            "__typename": {"SINGLE_SELECT": "ProjectV2SingleSelectField", "ITERATION": "ProjectV2IterationField"}.get(
                raw["dataType"], "ProjectV2Field"
            ),
            **raw,
            "databaseId": 30_000 + len(fields),
            "createdAt": "2024-01-08T10:00:00Z",
            "updatedAt": "2024-01-08T10:00:00Z",
        }
        field["id"] = raw["id"].split("_")[0] + "_lADOCaHbxs4AZ3s4zgT" + f"{len(fields):03d}"
        if raw["name"] == "Number":
            field["name"] = "Estimate"
        if raw["name"] == "Single select":
            field["name"] = "Priority"
            field["options"] = [{"id": option["id"], "name": name} for option, name in zip(raw["options"], PRIORITIES)]
        for option in field.get("options", []):
            option.update(
                __typename="ProjectV2SingleSelectFieldOption",
                nameHTML=option["name"],
                color=["GRAY", "BLUE", "GREEN"][field["options"].index(option)],
                description="",
                descriptionHTML="",
            )
        if raw["dataType"] == "ITERATION":
            field["configuration"] = _iterations(raw["configuration"])
        fields.append(field)
    return fields


def _iterations(recorded: Json) -> Json:
    """Three completed two-week iterations (the recorded ids and titles), the current one and two ahead."""
    start = (NOW - timedelta(days=NOW.weekday() + 7)).date()  # the current iteration began last Monday but one
    completed = []
    for k, done in enumerate(reversed(recorded["completedIterations"])):  # Iteration 1..3, oldest first
        begin = start - timedelta(days=14 * (3 - k))
        completed.append(
            {
                "__typename": "ProjectV2IterationFieldIteration",
                "id": done["id"],
                "title": done["title"],
                "titleHTML": done["title"],
                "startDate": begin.isoformat(),
                "duration": 14,
            }
        )
    upcoming = [
        {
            "__typename": "ProjectV2IterationFieldIteration",
            "id": f"{0x7A11C0DE + k:08x}",
            "title": f"Iteration {4 + k}",
            "titleHTML": f"Iteration {4 + k}",
            "startDate": (start + timedelta(days=14 * k)).isoformat(),
            "duration": 14,
        }
        for k in range(3)
    ]
    return {
        "__typename": "ProjectV2IterationFieldConfiguration",
        "duration": 14,
        "startDay": 1,
        "iterations": upcoming,
        "completedIterations": completed[::-1],
    }


def _user_node(user: Json) -> Json:
    return {
        "__typename": "User",
        "login": user["login"],
        "id": user["node_id"],
        "databaseId": user["id"],
        "url": user["html_url"],
        "avatarUrl": user["avatar_url"],
        "name": None,
    }


def _repository_node(owner: str, repo: str, kind: str) -> Json:
    return {
        "__typename": "Repository",
        "id": "R_kgDOLpM0tw",
        "databaseId": REPO_ID,
        "name": repo,
        "nameWithOwner": f"{owner}/{repo}",
        "url": f"{WEB}/{owner}/{repo}",
        "isPrivate": True,
        "owner": {"__typename": "Organization" if kind == "organization" else "User", "login": owner},
    }


def issue_content(issue: Json, owner: str = OWNER, repo: str = REPO, kind: str = "organization") -> Json:
    """A REST issue or pull request as GraphQL's Issue or PullRequest (the fields a backlog reader uses)."""
    pr = "pull_request" in issue
    closed = issue["state"] == "closed"
    merged = pr and bool(issue["pull_request"].get("merged_at"))
    content = {
        "__typename": "PullRequest" if pr else "Issue",
        "id": issue["node_id"],
        "databaseId": issue["id"],
        "number": issue["number"],
        "title": issue["title"],
        "body": issue["body"] or "",
        "bodyText": _plain(issue["body"] or ""),
        "url": issue["html_url"],
        "resourcePath": issue["html_url"].split("github.com", 1)[1],
        "closed": closed,
        "closedAt": issue["closed_at"],
        "createdAt": issue["created_at"],
        "updatedAt": issue["updated_at"],
        "state": "MERGED" if merged else "CLOSED" if closed else "OPEN",
        "author": {"__typename": "User", "login": issue["user"]["login"]},
        "assignees": [_user_node(u) for u in issue["assignees"]],
        "labels": [
            {
                "__typename": "Label",
                "id": entry["node_id"],
                "name": entry["name"],
                "color": entry["color"],
                "description": entry.get("description"),
            }
            for entry in issue["labels"]
        ],
        "milestone": None,
        "repository": _repository_node(owner, repo, kind),
        "comments": [],
        "reactions": [],
        "lastEditedAt": None,
        "editor": None,
        "timelineItems": timeline(issue),
    }
    if issue.get("milestone"):
        m = issue["milestone"]
        content["milestone"] = {
            "__typename": "Milestone",
            "id": m["node_id"],
            "number": m["number"],
            "title": m["title"],
            "state": m["state"].upper(),
            "dueOn": m["due_on"],
            "url": m["html_url"],
            "description": m["description"],
        }
    if pr:
        content.update(isDraft=bool(issue.get("draft")), merged=merged, mergedAt=issue["pull_request"]["merged_at"])
    else:
        reason = issue.get("state_reason")
        content["stateReason"] = reason.upper() if reason else None
        kind_obj = issue.get("type")
        content["issueType"] = (
            None
            if not kind_obj
            else {  # newer than the bundled schema (added by GitHub in 2025)
                "__typename": "IssueType",
                "id": kind_obj["node_id"],
                "name": kind_obj["name"],
                "description": kind_obj["description"],
                "color": kind_obj["color"].upper(),
                "isEnabled": True,
            }
        )
        summary = issue.get("sub_issues_summary") or {"total": 0, "completed": 0, "percent_completed": 0}
        content["subIssuesSummary"] = {
            "__typename": "SubIssuesSummary",
            "total": summary["total"],
            "completed": summary["completed"],
            "percentCompleted": summary["percent_completed"],
        }
        content["parent"] = None
        content["subIssues"] = []
    return content


STALE_BOT = {"__typename": "Bot", "login": "github-actions"}
STALE_COMMENT = (
    "This issue is stale because it has been open 60 days with no activity. Remove stale label or comment or "
    "this will be closed in 7 days."
)


def _bot_bumped(number: int, created: datetime) -> bool:
    """Synthesized: every 7th open issue older than a month was last updated by a stale bot, not by a person."""
    return number % 7 == 3 and created < NOW - timedelta(days=30)


def timeline(issue: Json) -> list[Json]:
    """Synthesized Issue.timelineItems, oldest first: labels and assignees set by the author, then a comment by a
    person at the issue's last update, or (for a bot-bumped issue) a person's comment a day after creation and a
    stale bot's comment at the last update."""
    created = datetime.fromisoformat(issue["created_at"].replace("Z", "+00:00"))
    updated = datetime.fromisoformat(issue["updated_at"].replace("Z", "+00:00"))
    person = {"__typename": "User", "login": issue["user"]["login"]}
    nodes: list[Json] = []

    def add(typename: str, moment: datetime, who: Json, **extra: Any) -> None:
        stamp = _stamp(min(moment, updated))
        node = {"__typename": typename, "id": _node_id("TE_", issue["number"] * 100 + len(nodes)), "createdAt": stamp}
        if typename == "IssueComment":
            node.update(author=who, editor=None, lastEditedAt=None, updatedAt=stamp)
        else:
            node["actor"] = who
        nodes.append({**node, **extra})

    for entry in issue["labels"][:2]:
        add(
            "LabeledEvent", created + timedelta(minutes=5), person, label={"__typename": "Label", "name": entry["name"]}
        )
    for user in issue["assignees"][:1]:
        add("AssignedEvent", created + timedelta(minutes=10), person, assignee=_user_node(user))
    bumped = "pull_request" not in issue and issue["state"] == "open" and _bot_bumped(issue["number"], created)
    if bumped:
        add("IssueComment", created + timedelta(days=1), person, body="Still needed; see the linked discussion.")
        add("IssueComment", updated, STALE_BOT, body=STALE_COMMENT)
    elif updated > created + timedelta(minutes=10):
        add("IssueComment", updated, person, body="Updated the description after the refinement meeting.")
    return nodes


def _plain(markdown: str) -> str:
    """A rough bodyText: Markdown without HTML comments, emphasis marks and heading marks."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.DOTALL)
    text = re.sub(r"(?m)^#{1,6}\s*", "", text)
    return re.sub(r"[*_`]{1,3}", "", text).strip()


def project_items(
    n: int,
    issues: list[Json] | None = None,
    owner: str = OWNER,
    repo: str = REPO,
    kind: str = "organization",
    fields: list[Json] | None = None,
    seed: int = 5,
    data_dir: Path | None = None,
) -> list[Json]:
    """n ProjectV2 items in project order: issues and pull requests of owner/repo (from repo_issues, real texts)
    and about one draft issue in eight (titles and bodies of real issues; every item once there are no issues
    left), each with its field values in the
    recorded gr2m shapes (text, number, date, single select, iteration, labels, users, repository, milestone)."""
    rng = random.Random(seed)
    fields = fields or project_fields(data_dir)
    by_name = {f["name"]: f for f in fields}
    drafts = [k for k in range(n) if k % 8 == 3]
    issues = issues if issues is not None else repo_issues(n - len(drafts), owner, repo, data_dir=data_dir)
    pool = sorted(issues, key=lambda i: i["number"])
    real = real_items(data_dir)
    items, used = [], 0
    for k in range(n):
        created = NOW - timedelta(days=200 * (n - k) / max(n, 1) + 1, minutes=rng.randrange(600))
        if k in drafts or used >= len(pool):  # an issue is in a project once: beyond the pool, drafts
            text = real[(k * 7) % len(real)]
            content = {
                "__typename": "DraftIssue",
                "id": f"DI_lADOCaHbxs4AZ3s4zg{k:06d}",
                "title": text["title"],
                "body": "" if k % 3 else (text["body"] or ""),
                "createdAt": _stamp(created),
                "updatedAt": _stamp(created + timedelta(days=2)),
                "creator": {"__typename": "User", "login": LOGIN},
                "assignees": [],
            }
            content["bodyText"] = _plain(content["body"])
            kind_name, issue = "DRAFT_ISSUE", None
        else:
            issue = pool[used]
            used += 1
            content = issue_content(issue, owner, repo, kind)
            kind_name = "PULL_REQUEST" if "pull_request" in issue else "ISSUE"
        item = {
            "__typename": "ProjectV2Item",
            "id": f"PVTI_lADOCaHbxs4AZ3s4zg{k:07d}",
            "databaseId": 90_000_000 + k,
            "type": kind_name,
            "isArchived": False,
            "createdAt": _stamp(created),
            "updatedAt": _stamp(created + timedelta(days=rng.randrange(1, 40))),
            "content": content,
        }
        item["fieldValues"] = _field_values(item, issue, by_name, rng)
        items.append(item)
    return items


def _value(typename: str, field: Json, item: Json, **values: Any) -> Json:
    return {
        "__typename": typename,
        **values,
        "field": field,
        "createdAt": item["createdAt"],
        "updatedAt": item["updatedAt"],
        "creator": {"__typename": "User", "login": LOGIN},
    }


def _field_values(item: Json, issue: Json | None, by_name: dict[str, Json], rng: random.Random) -> list[Json]:
    """Field values in the recorded order: repository, title, then the item's own values."""
    content, values = item["content"], []
    if issue is not None:
        values.append(
            {
                "__typename": "ProjectV2ItemFieldRepositoryValue",
                "field": by_name["Repository"],
                "repository": content["repository"],
            }
        )
    values.append(
        _value(
            "ProjectV2ItemFieldTextValue",
            by_name["Title"],
            item,
            text=content["title"],
            id=item["id"].replace("PVTI_", "PVTFTV_"),
        )
    )
    if issue is not None and content["labels"]:
        values.append(
            {"__typename": "ProjectV2ItemFieldLabelValue", "field": by_name["Labels"], "labels": content["labels"]}
        )
    if issue is not None and content["assignees"]:
        values.append(
            {"__typename": "ProjectV2ItemFieldUserValue", "field": by_name["Assignees"], "users": content["assignees"]}
        )
    if issue is not None and content["milestone"]:
        values.append(
            {
                "__typename": "ProjectV2ItemFieldMilestoneValue",
                "field": by_name["Milestone"],
                "milestone": content["milestone"],
            }
        )
    done = content.get("closed", False)
    if done or rng.random() < 0.92:
        status = "Done" if done else STATUS[0] if rng.random() < 0.65 else STATUS[1]
        values.append(_select(by_name["Status"], status, item))
    if rng.random() < 0.6:
        values.append(_select(by_name["Priority"], PRIORITIES[rng.randrange(3)], item))
    sizes = [
        int(m.group(1))
        for entry in content.get("labels", [])
        for m in [re.match(r"(?:size: |estimate/)(\d+)$", entry["name"])]
        if m
    ]
    if sizes or rng.random() < 0.55:
        values.append(
            _value(
                "ProjectV2ItemFieldNumberValue",
                by_name["Estimate"],
                item,
                number=sizes[0] if sizes else SIZES[rng.randrange(len(SIZES))],
                id=item["id"].replace("PVTI_", "PVTFNV_"),
            )
        )
    config = by_name["Iteration"]["configuration"]
    roll = rng.random()
    chosen = (
        config["completedIterations"][rng.randrange(3)]
        if done and roll < 0.8
        else config["iterations"][0]
        if roll < 0.35
        else config["iterations"][1]
        if roll < 0.5
        else None
    )
    if chosen:
        values.append(
            _value(
                "ProjectV2ItemFieldIterationValue",
                by_name["Iteration"],
                item,
                title=chosen["title"],
                titleHTML=chosen["titleHTML"],
                iterationId=chosen["id"],
                startDate=chosen["startDate"],
                duration=chosen["duration"],
                id=item["id"].replace("PVTI_", "PVTFIV_"),
            )
        )
    if rng.random() < 0.3:  # synthesized note texts (the recording has the single value "text")
        values.append(
            _value(
                "ProjectV2ItemFieldTextValue",
                by_name["Text"],
                item,
                text=NOTES[rng.randrange(4)],
                id=item["id"].replace("PVTI_", "PVTFTV2_"),
            )
        )
    if rng.random() < 0.25:
        target = (NOW + timedelta(days=rng.randrange(-20, 60))).date().isoformat()
        values.append(
            _value(
                "ProjectV2ItemFieldDateValue",
                by_name["Date"],
                item,
                date=target,
                id=item["id"].replace("PVTI_", "PVTFDV_"),
            )
        )
    return values


def _select(field: Json, name: str, item: Json) -> Json:
    option = next(o for o in field["options"] if o["name"] == name)
    return _value(
        "ProjectV2ItemFieldSingleSelectValue",
        field,
        item,
        name=name,
        nameHTML=name,
        optionId=option["id"],
        color=option["color"],
        description=option["description"],
        id=item["id"].replace("PVTI_", f"PVTFSV{field['name'][:2].upper()}_"),
    )


def project_v2(
    n: int = 30,
    owner: str = OWNER,
    kind: str = "organization",
    number: int = 7,
    title: str = "Storefront roadmap",
    repo: str = REPO,
    issues: list[Json] | None = None,
    data_dir: Path | None = None,
) -> Json:
    """A ProjectV2 owned by an organization or a user, with project_fields() and project_items(n)."""
    recorded = gr2m("api.getProperties", data_dir)[0]["response"]["data"]["data"]["userOrOrganization"]["projectV2"]
    fields = project_fields(data_dir)
    web_owner = f"orgs/{owner}" if kind == "organization" else f"users/{owner}"
    return {
        "__typename": "ProjectV2",
        "id": f"PVT_kwDOCaHbxs4AZ3s{number:03d}",
        "databaseId": recorded["databaseId"],
        "number": number,
        "title": title,
        "url": f"{WEB}/{web_owner}/projects/{number}",
        "resourcePath": f"/{web_owner}/projects/{number}",
        "shortDescription": "What the storefront team builds next",
        "readme": None,
        "public": False,
        "closed": False,
        "closedAt": None,
        "template": False,
        "createdAt": "2024-01-08T10:00:00Z",
        "updatedAt": _stamp(NOW - timedelta(hours=2)),
        "owner": {"__typename": "Organization" if kind == "organization" else "User", "login": owner},
        "fields": fields,
        "items": project_items(n, issues, owner, repo, kind, fields, data_dir=data_dir),
        "views": [],
        "workflows": [],
    }
