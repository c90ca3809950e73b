"""Jira Cloud and Jira Data Center backlogs, through the `jira` library.

Requests: serverInfo, field, (board configuration,) (approximate count,) then one search page per 100
issues. Cloud searches `/rest/api/3/search/jql` with `nextPageToken` (ADF descriptions); Data Center
searches `/rest/api/2/search` with `startAt` (wiki-markup descriptions). Everything an item needs comes
from the search pages: no request per issue.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from backlog_health.errors import BacklogHealthError, InputError
from backlog_health.model import BacklogItem, Link, SkippedItem, SourceInfo
from backlog_health.planning import MIN_VELOCITY_SPRINTS, N_VELOCITY_SPRINTS
from backlog_health.sources import Loaded, incremental, site_url
from backlog_health.sources.files import parse_date
from backlog_health.sources.incremental import Baseline
from backlog_health.sources.markup import adf_to_text, wiki_to_text
from backlog_health.sources.retry import PageGuard, Retrier, answer_time, retry_after, timeouts

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # NOTE: Jira returns at most 100 issues with fields per page, whatever is asked
# NOTE: when only keys are asked, Cloud returns up to 5,000 per page, Data Center up to its
# jira.search.views.default.max (1,000 by default).
KEY_PAGE_SIZE = 5000
# NOTE: JQL reads dates in the account's time zone, unknown here: a day's margin covers every zone.
JQL_MARGIN = timedelta(days=1)
DEPLOYMENTS = ("cloud", "datacenter")
# Field roles discovered by name on each site, in order of preference; config overrides win.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "estimate": ("Story Points", "Story point estimate", "Story Point Estimate"),
    "sprint": ("Sprint",),
    "rank": ("Rank",),
    "epic": ("Epic Link",),
    "acceptance_criteria": ("Acceptance Criteria", "Acceptance criteria", "AC"),
}
FIELD_SCHEMAS = {
    "sprint": "com.pyxis.greenhopper.jira:gh-sprint",
    "rank": "com.pyxis.greenhopper.jira:gh-lexo-rank",
    "epic": "com.pyxis.greenhopper.jira:gh-epic-link",
}
BASE_FIELDS = (
    "summary",
    "description",
    "issuetype",
    "status",
    "priority",
    "labels",
    "components",
    "created",
    "updated",
    "assignee",
    "parent",
    "issuelinks",
    "subtasks",
)
STATUS_CATEGORIES = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
_SPRINT_STATE = {"active": 0, "future": 1, "closed": 2}
_LEGACY_SPRINT = re.compile(r"\[(.*)\]\s*$", re.DOTALL)
_LEGACY_PAIR = re.compile(r"(\w+)=(.*?)(?=,\w+=|$)", re.DOTALL)


@dataclass(frozen=True)
class JiraQuery:
    """What to fetch and how."""

    url: str  # site root, e.g. https://example.atlassian.net
    jql: str | None = None  # explicit JQL
    project: str | None = None  # project key: its not-done items in rank order
    board: int | None = None  # board id: its backlog in rank order
    deployment: str | None = None  # "cloud" or "datacenter"; None detects it from serverInfo
    fields: Mapping[str, str] = field(default_factory=dict)  # role → field name or id overrides
    timeout: float = 30.0  # seconds to wait for one response
    max_retries: int = 3  # retries of a request that hit 429/5xx or a network error
    max_wait: float = 60.0  # longest single wait for Retry-After

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], flags: Mapping[str, Any]) -> JiraQuery:
        """The query from [jira] config settings, with command-line flags (not None) winning."""
        chosen = [key for key in ("jql", "project", "board") if flags.get(key) is not None]
        if len(chosen) > 1:
            raise InputError(f"give only one of --jql, --jira-project and --jira-board (got {', '.join(chosen)})")
        merged = {**settings, **{key: value for key, value in flags.items() if value is not None}}
        if chosen:  # NOTE: a selection on the command line replaces the config's, whichever kind it is
            merged = {
                key: value for key, value in merged.items() if key not in {"jql", "project", "board"} - set(chosen)
            }
        if not merged.get("url"):
            raise InputError("--jql, --jira-project and --jira-board need --jira URL (or jira.url in the config)")
        return cls(
            url=merged["url"],
            jql=merged.get("jql"),
            project=merged.get("project"),
            board=merged.get("board"),
            deployment=merged.get("deployment"),
            fields=merged.get("fields", {}),
            timeout=float(merged.get("timeout", 30)),
            max_retries=int(merged.get("max_retries", 3)),
            max_wait=float(merged.get("max_wait", 60)),
        )


@dataclass(frozen=True)
class Credentials:
    """Credentials from the environment, never from files or flags."""

    email: str | None
    api_token: str | None
    pat: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center)."""
        env = os.environ if environ is None else environ
        return cls(env.get("JIRA_EMAIL") or None, env.get("JIRA_API_TOKEN") or None, env.get("JIRA_PAT") or None)

    def auth(self, deployment: str | None) -> dict[str, Any]:
        """Keyword arguments for jira.JIRA; a missing credential is a one-line error naming the variables."""
        if deployment is None and self.pat and self.email and self.api_token:
            # NOTE: both kinds set and the site not known yet: ask serverInfo (public on Cloud and Data Center)
            # without any, as the wrong kind would be refused.
            return {}
        if self.pat and deployment != "cloud":
            return {"token_auth": self.pat}
        if self.email and self.api_token:
            return {"basic_auth": (self.email, self.api_token)}
        raise BacklogHealthError(
            "no Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud) or JIRA_PAT (Jira Data Center) "
            "in the environment"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in output."""
        return tuple(value for value in (self.api_token, self.pat) if value)


Progress = Callable[[int, int | None], None]
Notify = Callable[[str], None]


class JiraSource:
    """Fetches a Jira backlog as BacklogItems."""

    def __init__(
        self,
        query: JiraQuery,
        credentials: Credentials | None = None,
        progress: Progress | None = None,
        notify: Notify | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.query = query
        self.credentials = credentials or Credentials.from_env()
        self.progress = progress
        self.notify = notify or (lambda message: log.warning("%s", message))
        self.sleep = sleep
        self.n_requests = 0
        self.base_url = site_url(query.url, "--jira")
        self.fresh: set[str] | None = None  # after an incremental load: the keys fetched anew
        self._deployment: str | None = None

    # -- requests ---------------------------------------------------------------------------------------

    def _client(self, api_version: str, deployment: str | None):
        from jira import JIRA

        client = JIRA(
            server=self.base_url,
            options={"rest_api_version": api_version, "check_update": False, "agile_rest_path": "agile"},
            get_server_info=False,
            max_retries=0,  # NOTE: retries are ours: bounded, visible, and honouring Retry-After
            timeout=timeouts(self.query.timeout),
            **self.credentials.auth(deployment),
        )
        client._session.hooks["response"].append(self._count)
        if deployment == "cloud":
            # NOTE: the library's Cloud-only methods silently return None unless this is set.
            client.deploymentType = "Cloud"
        return client

    def _count(self, response, *args, **kwargs):
        self.n_requests += 1
        return response

    def _call(self, what: str, request: Callable[[], Any]) -> Any:
        """One request with bounded retries on 429, 5xx and network errors; errors become one clear line."""
        from jira.exceptions import JIRAError

        retrier = Retrier(
            "Jira",
            self.query.max_retries,
            self.notify,
            self.sleep,
            f"check the --jira URL ({self.base_url}) and the network",
            deadline=answer_time(self.query.timeout),
        )
        return retrier.call(what, request, (JIRAError,), self._wait_for, self._explain, lambda error: error.status_code)

    def _wait_for(self, error, attempt: int) -> float | None:
        """Seconds before a retry, None when the answer is final."""
        if (error.status_code or 0) not in (429, 500, 502, 503, 504):
            return None
        return self._retry_after(error, attempt)

    def _retry_after(self, error, attempt: int) -> float:
        headers = getattr(getattr(error, "response", None), "headers", None) or {}
        wait = retry_after(headers.get("Retry-After"), time.time())
        if wait is None:
            wait = 2.0**attempt
        if wait > self.query.max_wait:
            raise BacklogHealthError(
                f"Jira asks to wait {wait:.0f} s (rate limit), longer than the {self.query.max_wait:.0f} s allowed; "
                "try again later"
            )
        return max(wait, 0.5)

    def _explain(self, error, what: str) -> str:
        """One line for a Jira error response, with Jira's own words where it has them."""
        status = error.status_code or 0
        detail = _jira_messages(getattr(error, "response", None)) or (error.text or "").strip()
        detail = self._scrub(detail)[:300]
        if status == 401:
            return (
                "Jira rejected the credentials (401): check JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud) "
                "or JIRA_PAT (Jira Data Center)"
            )
        if status == 403:
            return f"Jira refused {what} (403): the account lacks permission{': ' + detail if detail else ''}"
        if status == 404:
            return f"Jira found nothing at {what} (404): check the --jira URL (the site root) and the board or project"
        if status == 400:
            return f"Jira rejected the query (400): {detail or 'bad request'}"
        if status == 410:
            return f"Jira no longer offers {what} (410): use --jira-deployment cloud"
        return f"Jira answered {status} to {what}{': ' + detail if detail else ''}"

    def _scrub(self, text: str) -> str:
        for secret in self.credentials.secrets:
            text = text.replace(secret, "***")
        return text

    # -- the fetch --------------------------------------------------------------------------------------

    def deployment(self) -> str:
        """'cloud' or 'datacenter', from the query or from serverInfo (asked once)."""
        if self._deployment is None:
            if self.query.deployment:
                self._deployment = self.query.deployment
            else:
                probe = self._client("2", None)
                try:
                    info = self._call("serverInfo", probe.server_info)
                except BacklogHealthError as error:
                    if not self.credentials.auth(None):
                        raise BacklogHealthError(
                            f"{error}; with both JIRA_PAT and JIRA_EMAIL/JIRA_API_TOKEN set, give --jira-deployment "
                            "cloud or datacenter"
                        ) from None
                    raise
                kind = str((info or {}).get("deploymentType", "")).lower()
                self._deployment = "cloud" if kind == "cloud" else "datacenter"
        return self._deployment

    @property
    def fetch_key(self) -> str:
        """What a stored baseline must match to be merged with this query's fetch."""
        q = self.query
        return json.dumps(
            ["jira", self.base_url, q.jql, q.project, q.board, sorted(q.fields.items())], ensure_ascii=False
        )

    def load(self, baseline: Baseline | None = None) -> Loaded:
        """Fetch the selected backlog in rank order; with a baseline, only what changed since it was fetched."""
        deployment = self.deployment()
        client = self._client("3" if deployment == "cloud" else "2", deployment)
        field_list = self._call("the field list", client.fields)
        # NOTE: the library fetches the field list again for its name cache unless it is filled here.
        client._fields_cache_value = {
            str(name): entry["id"]
            for entry in field_list or []
            if isinstance(entry, dict) and "id" in entry
            for name in entry.get("clauseNames") or []
        }
        roles = discover_fields(field_list, self.query.fields)
        jql = self._jql(client)
        wanted = [*BASE_FIELDS, *sorted({fid for ids in roles.values() for fid in ids})]
        if baseline is None:
            items, skipped = self._convert(self._pages(client, jql, wanted), roles)
        else:
            items, skipped = self._incremental(client, jql, wanted, roles, baseline)
        log.debug("Jira: %d requests for %d issues", self.n_requests, len(items) + len(skipped))
        fields = {
            "title",
            "description",
            "type",
            "status",
            "status_category",
            "priority",
            "labels",
            "components",
            "created",
            "updated",
            "assignee",
            "url",
            "links",
            "subtasks",
            "parent",
            "rank",
        }
        fields |= {
            name
            for role, name in (
                ("estimate", "estimate"),
                ("sprint", "sprint"),
                ("acceptance_criteria", "acceptance_criteria_field"),
            )
            if roles.get(role)
        }
        info = SourceInfo("jira", self.base_url, jql, frozenset(fields))
        velocity = None
        if self.query.board is not None and roles.get("estimate"):
            velocity = self._board_velocity(client, self.query.board, roles["estimate"])
        return Loaded(info, tuple(items), tuple(skipped), velocity=velocity)

    def _board_velocity(
        self, client, board: int, estimate_ids: tuple[str, ...]
    ) -> tuple[float, tuple[str, ...]] | None:
        """Points of the done issues of the board's last closed sprints, averaged; None when it cannot tell."""
        try:
            closed: list[dict[str, Any]] = []
            start = 0
            while True:
                page = self._call(
                    f"the closed sprints of board {board}",
                    lambda start=start: client._get_json(
                        f"board/{board}/sprint",
                        params={"state": "closed", "startAt": start, "maxResults": 50},
                        base=client.AGILE_BASE_URL,
                    ),
                )
                values = [v for v in (page or {}).get("values") or [] if isinstance(v, dict) and "id" in v]
                closed += values
                start += len(values)
                if not values or (page or {}).get("isLast", True) or len(closed) >= 500:
                    break
            # NOTE: the latest closed sprints by completion date; a sprint never completed sorts first.
            closed.sort(key=lambda sprint: str(sprint.get("completeDate") or sprint.get("endDate") or ""))
            latest = closed[-N_VELOCITY_SPRINTS:]
            if len(latest) < MIN_VELOCITY_SPRINTS:
                return None
            points = [self._done_points(client, sprint["id"], estimate_ids) for sprint in latest]
        except BacklogHealthError as error:  # NOTE: velocity only helps planning; it never fails the run
            log.debug("no board velocity: %s", error)
            return None
        return sum(points) / len(points), tuple(str(sprint.get("name") or sprint["id"]) for sprint in latest)

    def _done_points(self, client, sprint_id: int, estimate_ids: tuple[str, ...]) -> float:
        """Sum of the estimates of a sprint's done issues."""
        total, start = 0.0, 0
        while True:
            page = self._call(
                f"the issues of sprint {sprint_id}",
                lambda start=start: client._get_json(
                    f"sprint/{sprint_id}/issue",
                    params={
                        "jql": "statusCategory = Done",
                        "fields": ",".join(estimate_ids),
                        "startAt": start,
                        "maxResults": PAGE_SIZE,
                    },
                    base=client.AGILE_BASE_URL,
                ),
            )
            issues = [i for i in (page or {}).get("issues") or [] if isinstance(i, dict)]
            for issue in issues:
                fields = issue.get("fields") or {}
                value = next(
                    (fields.get(fid) for fid in estimate_ids if isinstance(fields.get(fid), (int, float))), None
                )
                total += float(value or 0)
            start += len(issues)
            if not issues or start >= int((page or {}).get("total") or 0):
                return total

    def _jql(self, client) -> str:
        query = self.query
        if query.jql:
            return query.jql
        if query.project:
            return f'project = "{query.project}" AND statusCategory != Done ORDER BY Rank ASC'
        if query.board is not None:
            config = self._call(
                f"board {query.board}",
                lambda: client._get_json(f"board/{query.board}/configuration", base=client.AGILE_BASE_URL),
            )
            filter_id = (config or {}).get("filter", {}).get("id")
            if filter_id is None:
                raise BacklogHealthError(f"Jira board {query.board} has no filter; check --jira-board")
            # NOTE: the backlog of a board: its filter, not done, not in an active or closed sprint.
            return (
                f"filter = {filter_id} AND statusCategory != Done AND "
                "(sprint is EMPTY OR sprint not in (openSprints(), closedSprints())) ORDER BY Rank ASC"
            )
        raise InputError("give --jql, --jira-project or --jira-board with --jira")

    def _pages(self, client, jql: str, fields: list[str], count: bool = True) -> Iterator[dict[str, Any]]:
        if self.deployment() == "cloud":
            return self._cloud_pages(client, jql, fields, count)
        return self._dc_pages(client, jql, fields)

    def _convert(
        self, pages: Iterable[dict[str, Any]], roles: Mapping[str, tuple[str, ...]]
    ) -> tuple[list[BacklogItem], list[SkippedItem]]:
        items: list[BacklogItem] = []
        skipped: list[SkippedItem] = []
        for raw in pages:
            try:
                items.append(issue_to_item(raw, roles, self.base_url, rank=len(items) + 1))
            except Exception as error:  # noqa: BLE001 - one malformed issue never aborts the run
                key = raw.get("key") if isinstance(raw, dict) else None
                skipped.append(
                    SkippedItem(
                        str(key or f"#{len(items) + len(skipped) + 1}"),
                        f"malformed issue: {type(error).__name__}: {error}",
                    )
                )
        return items, skipped

    def _incremental(
        self, client, jql: str, fields: list[str], roles: Mapping[str, tuple[str, ...]], baseline: Baseline
    ) -> tuple[tuple[BacklogItem, ...], tuple[SkippedItem, ...]]:
        """The issues updated since the baseline, merged into it in the order the query gives now.

        The order comes from a search for keys only (up to 5,000 per page on Cloud), which also says which issues
        left the query (done, deleted, moved) and which joined it without an update (fetched by key).
        """
        since = baseline.fetched_at - JQL_MARGIN
        changed, unreadable = self._convert(self._pages(client, since_jql(jql, since), fields, count=False), roles)
        order = self._keys(client, jql)
        fresh = {item.key: item for item in changed}
        joined = incremental.missing(baseline, order, fresh)
        # NOTE: an issue shows the status of the issues it links to (a blocker done, a dependency reopened);
        # those did not change the linking issue's own `updated`, so it is read again when one of them changed.
        moved = fresh.keys() | (set(baseline.order) - set(order))
        relinked = [
            key
            for key in order
            if key not in fresh
            and key in baseline.items
            and any(link.key in moved for link in baseline.items[key].links)
        ]
        again = joined + relinked
        for start in range(0, len(again), PAGE_SIZE):
            more, odd = self._by_key(client, again[start : start + PAGE_SIZE], fields, roles)
            fresh.update((item.key, item) for item in more)
            unreadable += odd
        items, skipped = incremental.merged(baseline, order, fresh, unreadable)
        self.fresh = set(fresh) | {entry.key for entry in unreadable}
        left = len(set(baseline.order) - set(order))
        relinked_note = f", {len(relinked):,} read again for a linked issue that changed" if relinked else ""
        self.notify(
            f"fetched the changes since the last fetch ({baseline.fetched_at:%Y-%m-%d %H:%M} UTC): "
            f"{len(changed):,} updated, {len(joined):,} joined the query without an update, {left:,} left it"
            f"{relinked_note}; {len(items) - len(fresh.keys() & set(order)):,} unchanged from the last fetch"
        )
        return items, skipped

    def _by_key(
        self, client, keys: list[str], fields: list[str], roles: Mapping[str, tuple[str, ...]]
    ) -> tuple[list[BacklogItem], list[SkippedItem]]:
        """The issues of these keys; one by one when Jira refuses the list because one of them was deleted or
        moved since the key search (that one is left out: it left the query)."""
        try:
            return self._convert(self._pages(client, f"key in ({', '.join(keys)})", fields, count=False), roles)
        except BacklogHealthError as error:
            if "(400)" not in str(error):
                raise
            if len(keys) == 1:
                return [], []
        items: list[BacklogItem] = []
        skipped: list[SkippedItem] = []
        for key in keys:
            more, odd = self._by_key(client, [key], fields, roles)
            items += more
            skipped += odd
        return items, skipped

    def _keys(self, client, jql: str) -> list[str]:
        """Every key the query selects, in its order, from searches that return keys only."""
        keys: list[str] = []
        guard = PageGuard("Jira", "the key search", "issues")
        if self.deployment() == "cloud":
            token = None
            while True:
                page = self._call(
                    "the key search",
                    # NOTE: not through enhanced_search_issues, which turns "key" into "issuekey": only "id" or
                    # "key" alone get pages of 5,000.
                    lambda token=token: client._get_json(
                        "search/jql",
                        params={
                            "jql": jql,
                            "fields": "key",
                            "maxResults": KEY_PAGE_SIZE,
                            **({"nextPageToken": token} if token else {}),
                        },
                    ),
                )
                issues = (page or {}).get("issues") or []
                token = (page or {}).get("nextPageToken")
                guard.check(_keys(issues), token)
                keys += [str(raw["key"]) for raw in issues if isinstance(raw, dict) and raw.get("key")]
                if (page or {}).get("isLast", not token) or not token or not issues:
                    return keys
        while True:
            start = len(keys)
            page = self._call(
                "the key search",
                lambda start=start: client.search_issues(
                    jql, startAt=start, maxResults=KEY_PAGE_SIZE, fields="key", json_result=True
                ),
            )
            issues = (page or {}).get("issues") or []
            guard.check(_keys(issues))
            keys += [str(raw["key"]) for raw in issues if isinstance(raw, dict) and raw.get("key")]
            total = (page or {}).get("total")
            if not issues or (isinstance(total, int) and len(keys) >= total):
                return keys

    def _cloud_pages(self, client, jql: str, fields: list[str], count: bool = True) -> Iterator[dict[str, Any]]:
        total = None
        try:
            if count:
                answer = self._call(
                    "the approximate count", lambda: client.approximate_issue_count(jql, json_result=True)
                )
                total = answer.get("count") if isinstance(answer, dict) else None
        except BacklogHealthError as error:  # NOTE: the count only feeds the progress display
            log.debug("no approximate count: %s", error)
        token, guard, done = None, PageGuard("Jira", "the issue search", "issues"), 0
        while True:
            page = self._call(
                "the issue search",
                lambda token=token: client.enhanced_search_issues(
                    jql,
                    nextPageToken=token,
                    maxResults=PAGE_SIZE,
                    fields=list(fields),
                    expand="changelog",
                    json_result=True,
                ),
            )
            if not isinstance(page, dict):
                raise BacklogHealthError("Jira's search answered nothing; is this a Jira Cloud site?")
            issues = page.get("issues") or []
            token = page.get("nextPageToken")
            guard.check(_keys(issues), token)
            yield from issues
            done += len(issues)
            self._report(done, total)
            if page.get("isLast", not token) or not token or not issues:
                return

    def _dc_pages(self, client, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        start, guard = 0, PageGuard("Jira", "the issue search", "issues")
        while True:
            page = self._call(
                "the issue search",
                lambda start=start: client.search_issues(
                    jql, startAt=start, maxResults=PAGE_SIZE, fields=list(fields), expand="changelog", json_result=True
                ),
            )
            issues = page.get("issues") or []
            total = page.get("total")
            guard.check(_keys(issues))  # NOTE: a server that ignores startAt would serve its first page forever
            yield from issues
            # NOTE: a server may cap maxResults below what was asked: advance by what came back.
            start += len(issues)
            self._report(start, total)
            if not issues or (isinstance(total, int) and start >= total):
                return

    def _report(self, done: int, total: int | None) -> None:
        if self.progress:
            self.progress(done, total)


def _keys(issues: list[Any]) -> list[Any]:
    """The keys (else ids) of a search page's issues."""
    return [issue.get("key") or issue.get("id") for issue in issues if isinstance(issue, dict)]


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def since_jql(jql: str, since: datetime) -> str:
    """The query restricted to issues updated at or after `since` (minutes), its ORDER BY kept."""
    blanked = _QUOTED.sub(lambda match: " " * len(match.group()), jql)
    found = list(_ORDER_BY.finditer(blanked))
    cut = found[-1].start() if found else len(jql)
    where, order = jql[:cut].strip(), jql[cut:].strip()
    stamp = f'updated >= "{since.astimezone(timezone.utc):%Y-%m-%d %H:%M}"'
    return " ".join(part for part in (f"({where}) AND {stamp}" if where else stamp, order) if part)


def _jira_messages(response) -> str:
    """Jira's errorMessages and errors from an error body, joined."""
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - an error page that is not JSON has no message to show
        return ""
    if not isinstance(body, dict):
        return ""
    messages = [str(m) for m in body.get("errorMessages") or []]
    messages += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    return "; ".join(messages)


def discover_fields(fields: list[dict[str, Any]], overrides: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Field ids for each role (estimate, sprint, rank, epic, acceptance_criteria) on this site."""
    by_name: dict[str, list[str]] = {}
    by_schema: dict[str, list[str]] = {}
    ids = set()
    for entry in fields or []:
        if not isinstance(entry, dict) or "id" not in entry:
            continue
        ids.add(entry["id"])
        by_name.setdefault(str(entry.get("name", "")).strip().lower(), []).append(entry["id"])
        custom = (entry.get("schema") or {}).get("custom")
        if custom:
            by_schema.setdefault(custom, []).append(entry["id"])
    roles: dict[str, tuple[str, ...]] = {}
    for role, names in FIELD_NAMES.items():
        if role in overrides:
            wanted = overrides[role]
            found = [wanted] if wanted in ids else by_name.get(wanted.strip().lower(), [])
            if not found:
                raise BacklogHealthError(
                    f"jira.fields.{role}: no field named '{wanted}' on this Jira; check the field name in Jira"
                )
            roles[role] = tuple(found)
            continue
        found = [fid for name in names for fid in by_name.get(name.lower(), [])]
        found += [fid for fid in by_schema.get(FIELD_SCHEMAS.get(role, ""), []) if fid not in found]
        if found:
            roles[role] = tuple(dict.fromkeys(found))
    return roles


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return adf_to_text(value)
    if isinstance(value, str):
        return wiki_to_text(value)
    return ""


def _name(value: Any, key: str = "name") -> str | None:
    return str(value[key]) if isinstance(value, dict) and value.get(key) else None


def _sprint(value: Any) -> str | None:
    """The sprint an issue is planned for: active first, then future, then the last closed one."""
    sprints = []
    for entry in value if isinstance(value, list) else [value] if value else []:
        if isinstance(entry, str):
            match = _LEGACY_SPRINT.search(entry)
            # NOTE: values may hold commas ("goal=Ship, then test"): a value runs up to the next ",key=".
            entry = dict(_LEGACY_PAIR.findall(match.group(1))) if match else {}
        if isinstance(entry, dict) and entry.get("name"):
            sprints.append((_SPRINT_STATE.get(str(entry.get("state", "")).lower(), 3), str(entry["name"])))
    return min(sprints)[1] if sprints else None


def _estimate(fields: Mapping[str, Any], ids: tuple[str, ...]) -> float | None:
    for fid in ids:
        value = fields.get(fid)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                continue
    return None


def _links(values: Any) -> tuple[Link, ...]:
    links = []
    for entry in values if isinstance(values, list) else []:
        kind = entry.get("type") or {}
        for side, name in (("inwardIssue", "inward"), ("outwardIssue", "outward")):
            other = entry.get(side)
            if isinstance(other, dict) and other.get("key"):
                category = ((other.get("fields") or {}).get("status") or {}).get("statusCategory") or {}
                links.append(
                    Link(
                        str(kind.get(name) or kind.get("name") or "relates to"),
                        str(other["key"]),
                        STATUS_CATEGORIES.get(category.get("key")),
                    )
                )
    return tuple(links)


# Authors of changes that are not a person: Cloud marks apps; on Data Center their names give them away.
_BOT_NAME = re.compile(
    r"\b(?:bot|automation|automator|jenkins|bamboo|github|gitlab|bitbucket|integration|service)\b", re.IGNORECASE
)


def _is_bot(author: Any) -> bool:
    """Whether a change's author is an app, a bot or an automation account."""
    if not isinstance(author, dict):
        return False
    if author.get("accountType") == "app":
        return True
    names = " ".join(str(author.get(key) or "") for key in ("displayName", "name", "key"))
    return bool(_BOT_NAME.search(names.replace("-", " ").replace("_", " ")))


def _touched(raw: dict[str, Any], created: datetime | None) -> datetime | None:
    """The last change a person made, from the change history the search returned; None without one."""
    changelog = raw.get("changelog")
    if not isinstance(changelog, dict) or not isinstance(changelog.get("histories"), list):
        return None
    times = [
        when
        for history in changelog["histories"]
        if isinstance(history, dict) and not _is_bot(history.get("author")) and isinstance(history.get("created"), str)
        for when in [parse_date(history["created"])[0]]
        if when is not None
    ]
    # NOTE: changed only by bots since it was created: a person last touched it when creating it.
    return max(times) if times else created


def issue_to_item(raw: dict[str, Any], roles: Mapping[str, tuple[str, ...]], base_url: str, rank: int) -> BacklogItem:
    """One search-result issue as a BacklogItem."""
    key = str(raw["key"])
    fields = raw.get("fields") or {}
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    parent = _name(fields.get("parent"), "key")
    for fid in roles.get("epic", ()):
        if isinstance(fields.get(fid), str) and not parent:
            parent = fields[fid]
    criteria = next((fields[fid] for fid in roles.get("acceptance_criteria", ()) if fields.get(fid)), None)
    sprint = next((s for fid in roles.get("sprint", ()) if (s := _sprint(fields.get(fid)))), None)
    return BacklogItem(
        key=key,
        title=str(fields.get("summary") or "").strip() or key,
        description=_text(fields.get("description")),
        type=_name(fields.get("issuetype")),
        status=_name(status),
        status_category=STATUS_CATEGORIES.get(category),
        priority=_name(fields.get("priority")),
        rank=rank,
        estimate=_estimate(fields, roles.get("estimate", ())),
        labels=tuple(str(label) for label in fields.get("labels") or ()),
        components=tuple(name for c in fields.get("components") or () if (name := _name(c))),
        parent=parent,
        sprint=sprint,
        created=parse_date(fields["created"])[0] if isinstance(fields.get("created"), str) else None,
        updated=parse_date(fields["updated"])[0] if isinstance(fields.get("updated"), str) else None,
        touched=_touched(raw, parse_date(fields["created"])[0] if isinstance(fields.get("created"), str) else None),
        url=f"{base_url}/browse/{key}",
        assignee=_name(fields.get("assignee"), "displayName"),
        links=_links(fields.get("issuelinks")),
        subtasks=tuple(str(s["key"]) for s in fields.get("subtasks") or () if isinstance(s, dict) and s.get("key")),
        acceptance_criteria_field=_text(criteria) or None,
    )
