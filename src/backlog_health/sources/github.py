"""GitHub backlogs: repository issues (REST) and Projects v2 boards (GraphQL), through PyGithub's requester.

Requests: one REST page per 100 issues (`/repos/{owner}/{repo}/issues`, Link-header paging) and one GraphQL
`nodes` query for who last touched those issues, or one GraphQL query per 100 project items (`endCursor`
paging), plus at most one more to tell an organisation's project from a user's. Pull requests are told apart by their data, never by an extra request.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from backlog_health.errors import BacklogHealthError, InputError
from backlog_health.model import BacklogItem, SkippedItem, SourceInfo
from backlog_health.planning import derived_velocity
from backlog_health.sources import Loaded, incremental, site_url
from backlog_health.sources.files import parse_date
from backlog_health.sources.incremental import Baseline
from backlog_health.sources.markup import markdown_to_text
from backlog_health.sources.retry import PageGuard, Retrier, answer_time, retry_after, timeouts

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
PAGE_SIZE = 100
SINCE_MARGIN = timedelta(minutes=5)  # NOTE: for the clocks of this machine and GitHub's disagreeing a little
# Label conventions for estimates and priorities ("size: 5", "estimate/3", "points-8", "priority: high", "P1").
ESTIMATE_LABEL = r"^(?:size|estimate|est|points?|sp|story[ -]?points?)\s*[:/=_ -]\s*(\d+(?:\.\d+)?)$"
PRIORITY_LABEL = r"^(?:priority|prio)\s*[:/=_ -]\s*(.+)$|^(p[0-4])$"
# Issue types named by labels when the repository has no issue types.
TYPE_LABELS = {
    "bug": "Bug",
    "epic": "Epic",
    "story": "Story",
    "user story": "Story",
    "task": "Task",
    "chore": "Task",
    "feature": "Feature",
    "enhancement": "Feature",
    "spike": "Spike",
}
DONE_STATUSES = ("done", "closed", "shipped", "released", "complete", "completed")
PROJECT_FIELDS = {"status": "Status", "priority": "Priority", "estimate": "Estimate", "iteration": "Iteration"}
ESTIMATE_FIELD_NAMES = ("Estimate", "Size", "Story Points", "Points")

# Who last touched an issue: its body edits and the latest timeline events that people (not bots) make.
_TOUCH_EVENTS = (
    "LabeledEvent",
    "UnlabeledEvent",
    "AssignedEvent",
    "UnassignedEvent",
    "RenamedTitleEvent",
    "MilestonedEvent",
    "DemilestonedEvent",
    "ReopenedEvent",
)
TIMELINE_WINDOW = 20
_ITEM_TYPES = ", ".join(["ISSUE_COMMENT"] + [re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for name in _TOUCH_EVENTS])
_EVENT_ACTORS = " ".join(f"... on {name} {{ createdAt actor {{ __typename login }} }}" for name in _TOUCH_EVENTS)
_TOUCHES = (
    "createdAt author { __typename login } lastEditedAt editor { __typename login } "
    f"timelineItems(last: {TIMELINE_WINDOW}, itemTypes: [{_ITEM_TYPES}]) {{ totalCount nodes {{ __typename "
    "... on IssueComment { createdAt lastEditedAt author { __typename login } editor { __typename login } } "
    f"{_EVENT_ACTORS} }} }}"
)
_TOUCHES_QUERY = f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename ... on Issue {{ id {_TOUCHES} }} }} }}"

_PROJECT_QUERY = """
query($login: String!, $number: Int!, $after: String) {
  %(owner)s(login: $login) {
    projectV2(number: $number) {
      title
      url
      items(first: %(page)d, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          type
          isArchived
          fieldValues(first: 50) {
            nodes {
              __typename
              ... on ProjectV2ItemFieldSingleSelectValue { name field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldTextValue { text field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldDateValue { date field { ... on ProjectV2FieldCommon { name } } }
              ... on ProjectV2ItemFieldIterationValue {
                title startDate duration field { ... on ProjectV2FieldCommon { name } }
              }
            }
          }
          content {
            __typename
            ... on DraftIssue { title body createdAt updatedAt }
            ... on Issue {
              number title body url state createdAt updatedAt
              repository { nameWithOwner }
              labels(first: 50) { nodes { name } }
              assignees(first: 5) { nodes { login } }
              %(touches)s
            }
            ... on PullRequest { number url }
          }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class GithubQuery:
    """What to fetch and how."""

    repo: str | None = None  # OWNER/REPO: its issues
    project: str | None = None  # OWNER/NUMBER: a Projects v2 board
    api_url: str | None = None  # REST base; None: GITHUB_API_URL or api.github.com
    state: str = "open"  # open, closed or all (repository issues)
    labels: tuple[str, ...] = ()  # only issues with all of these labels
    milestone: str | None = None  # only issues of this milestone (its number, "*" or "none")
    include_done: bool = False  # project items in the done status are left out unless this is set
    fields: Mapping[str, str] = field(default_factory=dict)  # role → project field name overrides
    estimate_label: str = ESTIMATE_LABEL  # regex with one group: the estimate in a label
    priority_label: str = PRIORITY_LABEL  # regex: the priority in a label
    timeout: float = 30.0  # seconds per request
    max_retries: int = 3  # retries on 5xx, secondary rate limits and network errors
    max_wait: float = 60.0  # longest wait for a rate limit; longer ones end the run with a message

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], flags: Mapping[str, Any]) -> GithubQuery:
        """The query from [github] config settings, with command-line flags (not None, not empty) winning."""
        if flags.get("repo") and flags.get("project"):
            raise InputError("give only one of --github and --github-project")
        given = {key: value for key, value in flags.items() if value not in (None, ())}
        if "repo" in given or "project" in given:  # NOTE: a selection on the command line replaces the config's
            settings = {key: value for key, value in settings.items() if key not in ("repo", "project")}
        merged = {**settings, **given}
        return cls(
            repo=merged.get("repo"),
            project=merged.get("project"),
            api_url=merged.get("url"),
            state=merged.get("state", "open"),
            labels=tuple(merged.get("labels", ())),
            milestone=merged.get("milestone"),
            include_done=bool(merged.get("include_done", False)),
            fields=merged.get("fields", {}),
            **{key: merged[key] for key in ("estimate_label", "priority_label") if key in merged},
            timeout=float(merged.get("timeout", 30)),
            max_retries=int(merged.get("max_retries", 3)),
            max_wait=float(merged.get("max_wait", 60)),
        )


def token_from_env(environ: Mapping[str, str] | None = None) -> str:
    """GITHUB_TOKEN, else GH_TOKEN; a missing token is a one-line error naming both."""
    env = os.environ if environ is None else environ
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if not token:
        raise BacklogHealthError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) in the environment")
    return token


def api_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """GITHUB_API_URL (as GitHub Actions sets it, also for Enterprise), else api.github.com."""
    env = os.environ if environ is None else environ
    return (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


class GithubSource:
    """Fetches repository issues or a Projects v2 board as BacklogItems."""

    def __init__(
        self,
        query: GithubQuery,
        token: str | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        notify: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if bool(query.repo) == bool(query.project):
            raise InputError("give one of --github OWNER/REPO and --github-project OWNER/NUMBER")
        self.query = query
        self.token = token or token_from_env()
        self.api_url = site_url(query.api_url or api_url_from_env(), "--github-url (or GITHUB_API_URL)")
        self.progress = progress
        self.notify = notify or (lambda message: log.warning("%s", message))
        self.sleep = sleep
        self.clock = clock
        self.n_requests = 0
        self.finished: list[BacklogItem] = []  # done project items in an iteration, for the velocity
        self.fresh: set[str] | None = None  # after an incremental load: the keys fetched anew
        self.touches_unavailable = False  # GitHub would not say who last updated issues: not asked again
        self.left_out: Counter[str] = Counter()  # project items not in the backlog, by why
        self._requester = None

    # -- requests ---------------------------------------------------------------------------------------

    @property
    def requester(self):
        """PyGithub's requester: auth, base URL (GitHub Enterprise too) and connection handling."""
        if self._requester is None:
            import github
            from github import Auth, Github
            from github.Requester import Requester

            # NOTE: importing PyGithub attaches an INFO handler to stderr; keep its chatter to warnings.
            github.set_log_level(logging.WARNING)
            client = Github(
                auth=Auth.Token(self.token),
                base_url=self.api_url,
                per_page=PAGE_SIZE,
                retry=None,  # NOTE: retries are ours: bounded, announced, capped by max_wait
                seconds_between_requests=None,  # NOTE: no fixed delay between requests: GraphQL reads are
                seconds_between_writes=None,  # POSTs, which PyGithub would otherwise space a second apart
            )
            # NOTE: Github() takes one whole number of seconds; its Requester hands any requests timeout on, so an
            # unreachable site fails after the short connect timeout and the read timeout is the configured one.
            self._requester = Requester(**{**client.requester.kwargs, "timeout": timeouts(self.query.timeout)})
        return self._requester

    def _call(self, what: str, request: Callable[[], Any]) -> Any:
        """One request with bounded retries; errors become one clear line without the token."""
        from github import GithubException

        retrier = Retrier(
            "GitHub",
            self.query.max_retries,
            self.notify,
            self.sleep,
            f"check GITHUB_API_URL or --github-url ({self.api_url}) and the network",
            deadline=answer_time(self.query.timeout),
        )

        def counted() -> Any:
            self.n_requests += 1
            return request()

        return retrier.call(
            what, counted, (GithubException,), self._wait_for, self._explain, lambda error: error.status
        )

    def _wait_for(self, error, attempt: int) -> float | None:
        """Seconds to wait before retrying, None when the error is final; too long a wait is an error."""
        headers = {str(k).lower(): v for k, v in (error.headers or {}).items()}
        status = error.status
        limited = status == 429 or (
            status == 403 and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0")
        )
        if not limited:
            return 2.0**attempt if status in (500, 502, 503, 504) else None
        wait = retry_after(headers.get("retry-after"), self.clock())
        if wait is None and headers.get("x-ratelimit-reset"):
            wait = max(0.0, float(headers["x-ratelimit-reset"]) - self.clock())
        if wait is None:
            wait = 60.0 * (attempt + 1)  # NOTE: GitHub's advice for secondary limits without a header
        if wait > self.query.max_wait:
            raise BacklogHealthError(
                f"GitHub's rate limit asks to wait {wait:.0f} s, longer than --max-wait {self.query.max_wait:.0f} s; "
                "try again later or raise --max-wait"
            )
        return max(wait, 0.5)

    def _explain(self, error, what: str) -> str:
        status = error.status
        message = ""
        if isinstance(error.data, dict):
            message = str(error.data.get("message") or "")
        message = message.replace(self.token, "***")[:200]
        if status == 401:
            return "GitHub rejected the token (401): check GITHUB_TOKEN (or GH_TOKEN)"
        if status == 403:
            return f"GitHub refused {what} (403): {message or 'the token lacks access'}; check the token's scopes"
        if status == 404:
            target = self.query.repo or self.query.project
            return f"GitHub found no {target} (404): check the name, and that the token can see it"
        return f"GitHub answered {status} to {what}{': ' + message if message else ''}"

    # -- repository issues ------------------------------------------------------------------------------

    @property
    def fetch_key(self) -> str:
        """What a stored baseline must match to be merged with this query's fetch."""
        q = self.query
        return json.dumps(
            ["github", self.api_url, q.repo, q.state, sorted(q.labels), q.estimate_label, q.priority_label],
            ensure_ascii=False,
        )

    @property
    def incremental(self) -> bool:
        """Whether a fetch can be limited to what changed: repository issues, not filtered by milestone.

        Projects v2 cannot list items by update time; a milestone filter would hide issues that left it.
        """
        return bool(self.query.repo) and not self.query.milestone

    def load(self, baseline: Baseline | None = None) -> Loaded:
        """Fetch the selected backlog; with a baseline (repository issues), only what changed since it."""
        if not self.incremental:
            baseline = None
        since = baseline.fetched_at - SINCE_MARGIN if baseline else None
        pages = self._repo_items(since) if self.query.repo else self._project_items()
        items, skipped = [], []
        for raw, convert in pages:
            try:
                item = convert(raw, len(items) + 1)
            except Exception as error:  # noqa: BLE001 - one odd issue never aborts the run
                skipped.append(
                    SkippedItem(
                        _raw_key(raw, len(items) + len(skipped) + 1), f"malformed item: {type(error).__name__}: {error}"
                    )
                )
                continue
            if item is not None:
                items.append(item)
        if baseline is not None and since is not None:
            items, skipped = self._merge(baseline, since, items, skipped)
        log.debug("GitHub: %d requests for %d items", self.n_requests, len(items) + len(skipped))
        fields = {
            "title",
            "description",
            "type",
            "status",
            "status_category",
            "labels",
            "created",
            "updated",
            "url",
            "assignee",
            "rank",
            "estimate",
            "priority",
            "sprint",
        }
        kind = "github" if self.query.repo else "github-project"
        location = f"{self.query.repo or self.query.project}"
        query = self._describe()
        velocity = derived_velocity(self.finished or [item for item in items if item.status_category == "done"])
        # NOTE: every item the project holds is accounted for: in the backlog, skipped, or left out with why.
        notes = tuple(f"{n} project {why} were left out" for why, n in self.left_out.items() if n)
        return Loaded(
            SourceInfo(kind, location, query, frozenset(fields)),
            tuple(items),
            tuple(skipped),
            notes=notes,
            velocity=velocity,
        )

    def _merge(
        self, baseline: Baseline, since: datetime, changed: list[BacklogItem], unreadable: list[SkippedItem]
    ) -> tuple[tuple[BacklogItem, ...], tuple[SkippedItem, ...]]:
        """The issues updated since the baseline merged into it: those that no longer match the query leave it;
        the order is GitHub's (newest first)."""
        wanted = {label.lower() for label in self.query.labels}
        fresh = {
            item.key: item
            for item in changed
            if self.query.state in ("all", item.status) and wanted <= {label.lower() for label in item.labels}
        }
        left = {item.key for item in changed if item.key not in fresh}
        pool = {**baseline.items, **fresh}
        keep = [key for key in {*baseline.order, *fresh} if key not in left and key in pool]
        order = sorted(keep, key=lambda key: _newest_first(pool[key]))
        self.fresh = set(fresh) | {entry.key for entry in unreadable}
        items, skipped = incremental.merged(baseline, order, fresh, unreadable)
        self.notify(
            f"fetched the changes since the last fetch ({baseline.fetched_at:%Y-%m-%d %H:%M} UTC): {len(fresh):,} updated or new, {len(left):,} "
            f"left the query; {len(items) - len(fresh):,} unchanged from the last fetch"
        )
        return items, skipped

    def _describe(self) -> str:
        if self.query.project:
            return f"project {self.query.project}" + (" (done included)" if self.query.include_done else "")
        parts = [f"state={self.query.state}"]
        if self.query.labels:
            parts.append(f"labels={','.join(self.query.labels)}")
        if self.query.milestone:
            parts.append(f"milestone={self.query.milestone}")
        return " ".join(parts)

    def _repo_items(
        self, since: datetime | None = None
    ) -> Iterator[tuple[dict[str, Any], Callable[[dict[str, Any], int], BacklogItem | None]]]:
        owner_repo = self.query.repo or ""
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", owner_repo):
            raise InputError(f"--github {owner_repo}: give the repository as OWNER/REPO")
        params: dict[str, Any] = {"state": self.query.state, "per_page": PAGE_SIZE}
        if since is not None:
            # NOTE: every issue updated since, closed and unlabelled ones too: they may have left the backlog.
            params.update(state="all", since=since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        elif self.query.labels:
            params["labels"] = ",".join(self.query.labels)
        if self.query.milestone:
            params["milestone"] = self.query.milestone
        url: str | None = f"/repos/{owner_repo}/issues"
        done, guard = 0, PageGuard("GitHub", "the issue list", "issues")
        while url:
            headers, data = self._call(
                "the issue list", lambda url=url, params=params: self.requester.requestJsonAndCheck("GET", url, params)
            )
            if not isinstance(data, list):
                raise BacklogHealthError(f"GitHub answered the issue list of {owner_repo} with something else")
            # NOTE: a Link header that points back to an earlier page would otherwise be followed forever.
            guard.check((raw.get("number") for raw in data if isinstance(raw, dict)), _next_link(headers))
            touched = self._people_touched(data)
            for raw in data:
                yield raw, partial(self._issue_item, touched=touched.get(_node_of(raw)))
            done += len(data)
            if self.progress:
                self.progress(done, None)
            # NOTE: the next link is absolute and carries its query; the requester accepts it as is.
            url, params = _next_link(headers), None

    def _people_touched(self, page: list[Any]) -> dict[str, datetime]:
        """When a person last touched each issue of a REST page (one GraphQL request), by node id.

        The REST list's `updated_at` moves for bots too (a stale bot's comment looks like fresh work); without this
        an issue's staleness falls back to it, said once.
        """
        ids = [
            node
            for raw in page
            if isinstance(raw, dict) and "pull_request" not in raw and (node := _node_of(raw)) is not None
        ]
        if not ids or self.touches_unavailable:
            return {}
        body = {"query": _TOUCHES_QUERY, "variables": {"ids": ids}}
        try:
            _, data = self._call(
                "the issue timelines",
                lambda: self.requester.requestJsonAndCheck("POST", self.requester.graphql_url, input=body),
            )
        except BacklogHealthError as error:
            data = {"errors": [{"message": str(error)}]}
        nodes = ((data or {}).get("data") or {}).get("nodes")
        if not isinstance(nodes, list):
            self.touches_unavailable = True
            message = str(((data or {}).get("errors") or [{}])[0].get("message", ""))[:150]
            self.notify(
                "GitHub did not say who last updated the issues"
                + (f" ({message})" if message else "")
                + "; staleness counts updates by bots too"
            )
            return {}
        return {
            node["id"]: when
            for node in nodes
            if isinstance(node, dict) and isinstance(node.get("id"), str) and (when := people_touched(node))
        }

    def _issue_item(self, raw: dict[str, Any], rank: int, touched: datetime | None = None) -> BacklogItem | None:
        """A REST issue as a BacklogItem; None for a pull request."""
        html_url = str(raw.get("html_url") or "")
        # NOTE: pull requests come in the same list; tell them apart by the data, never by a request.
        if "pull_request" in raw or "/pull/" in html_url:
            return None
        labels = tuple(str(label.get("name")) for label in raw.get("labels") or () if isinstance(label, dict))
        issue_type = (raw.get("type") or {}).get("name") if isinstance(raw.get("type"), dict) else None
        state = str(raw.get("state") or "open")
        milestone = raw.get("milestone") or {}
        sub_issues = raw.get("sub_issues_summary") if isinstance(raw.get("sub_issues_summary"), dict) else {}
        assignees = [a.get("login") for a in raw.get("assignees") or () if isinstance(a, dict)]
        return BacklogItem(
            key=f"#{raw['number']}",
            title=str(raw.get("title") or "").strip() or f"#{raw['number']}",
            description=markdown_to_text(raw.get("body") or ""),
            type=issue_type or _type_from_labels(labels),
            status=state,
            status_category="done" if state == "closed" else "todo",
            priority=_label_value(labels, self.query.priority_label),
            rank=rank,
            estimate=_float(_label_value(labels, self.query.estimate_label)),
            labels=labels,
            sprint=milestone.get("title") if isinstance(milestone, dict) else None,
            created=_date(raw.get("created_at")),
            updated=_date(raw.get("updated_at")),
            touched=touched,
            url=html_url or None,
            assignee=assignees[0] if assignees else None,
            n_subtasks=sub_issues.get("total") if isinstance(sub_issues.get("total"), int) else None,
            n_comments=raw.get("comments") if isinstance(raw.get("comments"), int) else None,
        )

    # -- Projects v2 ------------------------------------------------------------------------------------

    def _project_items(self) -> Iterator[tuple[dict[str, Any], Callable[[dict[str, Any], int], BacklogItem | None]]]:
        given = (self.query.project or "").strip()
        # NOTE: the project's address as the browser shows it works too (organisation or user project)
        match = re.fullmatch(r"https?://[^/]+/(?:orgs|users)/([\w.-]+)/projects/(\d+)(?:[/?#].*)?", given) or (
            re.fullmatch(r"([\w.-]+)/(\d+)", given)
        )
        if not match:
            raise InputError(
                f"--github-project {self.query.project}: give the project as OWNER/NUMBER or its URL "
                "(https://github.com/orgs/OWNER/projects/NUMBER)"
            )
        login, number = match.group(1), int(match.group(2))
        owner_kind, after, done = None, None, 0
        guard = PageGuard("GitHub", "the project items", "items")
        while True:
            for kind in (owner_kind,) if owner_kind else ("organization", "user"):
                project = self._project_page(kind, login, number, after)
                if project is not None:
                    owner_kind = kind
                    break
            else:
                raise BacklogHealthError(
                    f"GitHub found no project {login}/{number}: check the owner and number, and that the token "
                    "can read it"
                )
            items = project.get("items") or {}
            nodes = items.get("nodes") or []
            info = items.get("pageInfo") or {}
            after = info.get("endCursor")
            guard.check((node.get("id") for node in nodes if isinstance(node, dict)), after)
            for node in nodes:
                yield node, self._project_item
            done += len(nodes)
            if self.progress:
                self.progress(done, None)
            if not info.get("hasNextPage") or not after or not nodes:
                return

    def _project_page(self, kind: str, login: str, number: int, after: str | None) -> dict[str, Any] | None:
        """One page of project items; None when the owner is not of this kind."""
        touches = "" if self.touches_unavailable else _TOUCHES
        query = _PROJECT_QUERY % {"owner": kind, "page": PAGE_SIZE, "touches": touches}
        body = {"query": query, "variables": {"login": login, "number": number, "after": after}}
        _, data = self._call(
            "the project query",
            lambda: self.requester.requestJsonAndCheck("POST", self.requester.graphql_url, input=body),
        )
        errors = (data or {}).get("errors") or []
        about_timelines = [e for e in errors if "timelineItems" in json.dumps(e)]
        if touches and about_timelines:
            # NOTE: a GitHub without the timeline fields (an older Enterprise Server), or a token that may not
            # read them: the project is read without them, said once.
            self.touches_unavailable = True
            message = str(about_timelines[0].get("message", ""))[:150]
            self.notify(
                f"GitHub did not say who last updated the issues ({message}); staleness counts updates by bots too"
            )
            return self._project_page(kind, login, number, after)
        owner = ((data or {}).get("data") or {}).get(kind)
        project = owner.get("projectV2") if isinstance(owner, dict) else None
        for error in errors:
            kind_of = str(error.get("type", ""))
            message = str(error.get("message", ""))
            if kind_of in ("INSUFFICIENT_SCOPES", "FORBIDDEN") or "not accessible by integration" in message:
                raise BacklogHealthError(
                    "the token cannot read GitHub Projects: use a classic token with the read:project scope or a "
                    "fine-grained/app token with Projects read access (the GITHUB_TOKEN of GitHub Actions cannot "
                    "read Projects)"
                )
        if project is None:
            if errors and not any(str(e.get("type")) == "NOT_FOUND" for e in errors):
                raise BacklogHealthError(f"GitHub's project query failed: {errors[0].get('message', errors[0])}")
            return None
        if errors:
            self.notify(f"GitHub returned partial project data: {errors[0].get('message', '')[:150]}")
        return project

    def _project_item(self, node: dict[str, Any], rank: int) -> BacklogItem | None:
        """A project item as a BacklogItem; None for pull requests, archived and (by default) done items."""
        content = node.get("content") or {}
        kind = content.get("__typename") or node.get("type")
        if kind in ("PullRequest", "PULL_REQUEST") or node.get("isArchived"):
            self.left_out["pull requests and archived items"] += 1
            return None
        values = _field_values(node)
        names = {**PROJECT_FIELDS, **self.query.fields}
        status = values.get(names["status"])
        state = str(content.get("state") or "").upper()
        done = state == "CLOSED" or (isinstance(status, str) and status.strip().lower() in DONE_STATUSES)
        labels = tuple(
            label.get("name")
            for label in (content.get("labels") or {}).get("nodes") or ()
            if isinstance(label, dict) and label.get("name")
        )
        estimate = (
            values.get(names["estimate"])
            if "estimate" in self.query.fields
            else next((values[name] for name in ESTIMATE_FIELD_NAMES if name in values), None)
        )
        assignees = [a.get("login") for a in (content.get("assignees") or {}).get("nodes") or () if isinstance(a, dict)]
        repository = (content.get("repository") or {}).get("nameWithOwner")
        number = content.get("number")
        key = f"{repository}#{number}" if repository and number is not None else str(node.get("id") or rank)
        if done and not self.query.include_done:
            self.left_out["done items (--include-done keeps them)"] += 1
            # NOTE: a done item is left out of the backlog, but its iteration and estimate tell the velocity.
            iteration = values.get(names["iteration"])
            if isinstance(iteration, str):
                points = (
                    _float(estimate)
                    if estimate is not None
                    else _float(_label_value(labels, self.query.estimate_label))
                )
                self.finished.append(
                    BacklogItem(
                        key,
                        key,
                        status_category="done",
                        sprint=iteration,
                        estimate=points,
                        updated=_date(content.get("updatedAt")),
                    )
                )
            return None
        return BacklogItem(
            key=key,
            title=str(content.get("title") or "").strip() or key,
            description=markdown_to_text(content.get("body") or ""),
            type=_type_from_labels(labels) if kind != "DraftIssue" else None,
            status=status if isinstance(status, str) else None,
            status_category="done" if done else ("in_progress" if _in_progress(status) else "todo"),
            priority=values.get(names["priority"])
            if isinstance(values.get(names["priority"]), str)
            else _label_value(labels, self.query.priority_label),
            rank=rank,
            estimate=_float(estimate)
            if estimate is not None
            else _float(_label_value(labels, self.query.estimate_label)),
            labels=labels,
            sprint=values.get(names["iteration"]) if isinstance(values.get(names["iteration"]), str) else None,
            created=_date(content.get("createdAt")),
            updated=_date(content.get("updatedAt")),
            touched=people_touched(content) if kind == "Issue" else None,
            url=content.get("url"),
            assignee=assignees[0] if assignees else None,
        )


_BOT_LOGIN = re.compile(r"\[bot\]$|(?:^|[-_])bot(?:$|[-_])|^github-actions$", re.IGNORECASE)


def _is_bot(actor: Any) -> bool:
    """Whether a GitHub actor is an app or a bot account (GraphQL says Bot; bot users give it away by name)."""
    if not isinstance(actor, dict):
        return False
    return actor.get("__typename") == "Bot" or bool(_BOT_LOGIN.search(str(actor.get("login") or "")))


def people_touched(issue: Mapping[str, Any]) -> datetime | None:
    """The last time a person touched an issue (GraphQL, with the timeline fields queried); None without them.

    Counted: its creation, body edits, comments and comment edits, labels, assignees, title, milestone and
    reopening by people. An issue only bots touched since its creation was last touched by a person when it was
    created; one whose latest events (the window read) are all bots' and that has older ones gives None: the
    person's touch is older than the window, and no later than the updated date the caller falls back to.
    """
    timeline = issue.get("timelineItems")
    if not isinstance(timeline, dict) or not isinstance(timeline.get("nodes"), list):
        return None
    created = _date(issue.get("createdAt"))
    times = [created] if created else []
    if not _is_bot(issue.get("editor")) and issue.get("editor"):
        times.append(_date(issue.get("lastEditedAt")))
    by_people = False
    for node in timeline["nodes"]:
        if not isinstance(node, dict):
            continue
        if not _is_bot(node.get("actor") or node.get("author")):
            times.append(_date(node.get("createdAt")))
            by_people = True
        if node.get("editor") and not _is_bot(node.get("editor")):
            times.append(_date(node.get("lastEditedAt")))
            by_people = True
    total = timeline.get("totalCount")
    if not by_people and isinstance(total, int) and total > len(timeline["nodes"]):
        return None
    known = [when for when in times if when is not None]
    return max(known) if known else None


def _node_of(raw: Any) -> str | None:
    return raw.get("node_id") if isinstance(raw, dict) and isinstance(raw.get("node_id"), str) else None


def _newest_first(item: BacklogItem) -> tuple[float, int]:
    """GitHub's order of an issue list (newest first), for issues merged from two fetches."""
    number = int(item.key[1:]) if item.key[1:].isdigit() else 0
    return (-(item.created.timestamp() if item.created else 0.0), -number)


def _raw_key(raw: Any, position: int) -> str:
    if isinstance(raw, dict):
        if raw.get("number") is not None:
            return f"#{raw['number']}"
        if raw.get("id"):
            return str(raw["id"])
    return f"item {position}"


def _next_link(headers: Mapping[str, Any]) -> str | None:
    """The rel="next" URL of a Link header."""
    link = next((v for k, v in (headers or {}).items() if str(k).lower() == "link"), "") or ""
    for part in str(link).split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', part)
        if match:
            return match.group(1)
    return None


def _field_values(node: dict[str, Any]) -> dict[str, Any]:
    """Project field name → value (option name, number, text, date, iteration title)."""
    values: dict[str, Any] = {}
    for value in ((node.get("fieldValues") or {}).get("nodes")) or ():
        if not isinstance(value, dict):
            continue
        name = (value.get("field") or {}).get("name")
        if not name:
            continue
        for key in ("name", "number", "text", "date", "title"):
            if value.get(key) is not None:
                values[name] = value[key]
                break
    return values


def _label_value(labels: tuple[str, ...], pattern: str) -> str | None:
    for label in labels:
        match = re.match(pattern, label.strip(), re.IGNORECASE)
        if match:
            return next(group for group in match.groups() if group is not None).strip()
    return None


def _type_from_labels(labels: tuple[str, ...]) -> str | None:
    return next((TYPE_LABELS[label.lower()] for label in labels if label.lower() in TYPE_LABELS), None)


def _in_progress(status: Any) -> bool:
    return isinstance(status, str) and any(word in status.lower() for word in ("progress", "review", "doing"))


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return parse_date(value)[0] if isinstance(value, str) else None
