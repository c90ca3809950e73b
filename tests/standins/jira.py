"""A local stand-in for Jira Cloud and Jira Data Center, close enough that the `jira` library works unchanged.

Record vcrpy cassettes of a connector's HTTP exchanges against it, and provoke the failures real sites produce:

    with JiraStandIn(Scenario(deployment="cloud", issue_count=250)) as site:
        client = JIRA(server=site.url, **site.client_kwargs())

Shapes follow the real payloads in ../shared/data/api_payloads/jira (see jira_data.py). JQL: AND, OR, NOT and
parentheses over =, !=, in, not in on project, statusCategory, status, issuetype, key, priority, labels, component,
parent, "Epic Link", filter, resolution (Unresolved) and sprint (openSprints(), closedSprints(), futureSprints()),
>=, >, <=, < on created and updated (absolute dates in UTC, or relative like "-2d"), and `is [not] EMPTY` on any
field; any other clause, and any query the small reader cannot parse, counts as
"maybe" and keeps the issue (a superset comes back). `ORDER BY` is ignored: issues
always come in rank order. Nothing is logged; the Authorization header is never recorded nor echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, NamedTuple

from . import jira_data
from ._server import Fault, Request, StandInHandler, StandInServer  # noqa: F401 (Request: re-exported)
from .jira_data import SITE, FieldSet

Json = dict[str, Any]

REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
CLOUD_401 = "Client must be authenticated to access this resource."
DC_401 = "You are not authenticated. Authentication required to perform this operation."
FORBIDDEN = "You do not have the permission to see the specified issue."
ISSUE_EXPAND = "operations,versionedRepresentations,editmeta,changelog,renderedFields"


@dataclass
class Scenario:
    """What the stand-in serves and how it misbehaves."""

    deployment: str = "cloud"  # "cloud" | "datacenter"
    issues: list[Json] | None = None  # None: cloud_issues / datacenter_issues(issue_count, field_set)
    issue_count: int = 30
    field_set: FieldSet | None = None  # None: CLOUD_TEAM_MANAGED / DATACENTER
    fields: list[Json] | None = None  # the /field answer; None: field_list(deployment, field_set)
    boards: dict[int, str] | None = None  # board id → filter JQL (filter id 10000 + board id)
    sprints: list[Json] | None = None  # agile sprint objects; None: board_sprints(deployment, 1)
    faults: dict[str, list[Fault]] = field(default_factory=dict)  # path prefix → faults, used in order
    email: str = "po@example.com"
    api_token: str = "fake-token-cloud-3f9a1c"  # Cloud: basic auth email:api_token
    pat: str = "fake-token-dc-pat-7c21e0"  # Data Center: Authorization: Bearer <pat>
    bad_jql_marker: str = "BAD_JQL"  # JQL containing it answers 400 "Error in the JQL Query: …"
    forbidden_marker: str = "FORBIDDEN_JQL"  # JQL containing it answers 403
    page_limit: int = 100  # most issues per page when fields are requested
    dc_max_results: int = 1000  # Data Center: most issues per page of keys only (jira.search.views.default.max)
    base_url: str | None = None  # baseUrl and self links; None: the stand-in's own URL
    dc_version: str = "9.12.0"
    dc_deployment_type: str = "Server"  # or "DataCenter"
    anonymous_server_info: bool = True  # serverInfo answers without credentials, as real sites do

    def __post_init__(self) -> None:
        if self.deployment not in ("cloud", "datacenter"):
            raise ValueError(f"deployment must be 'cloud' or 'datacenter', not {self.deployment!r}")
        self.field_set = self.field_set or (jira_data.CLOUD_TEAM_MANAGED if self.cloud else jira_data.DATACENTER)
        if self.issues is None:
            build = jira_data.cloud_issues if self.cloud else jira_data.datacenter_issues
            self.issues = build(self.issue_count, self.field_set)
        if self.fields is None:
            self.fields = jira_data.field_list(self.deployment, self.field_set)
        if self.boards is None:
            keys = Counter(i["fields"]["project"]["key"] for i in self.issues)
            self.boards = {1: f"project = {keys.most_common(1)[0][0] if keys else 'AR'} ORDER BY Rank ASC"}
        if self.sprints is None:
            self.sprints = jira_data.board_sprints(self.deployment, 1)

    @property
    def cloud(self) -> bool:
        """True for a Jira Cloud site."""
        return self.deployment == "cloud"


class JiraError(Exception):
    """An error answer: status, Jira's errorMessages, extra headers."""

    def __init__(self, status: int, *messages: str, headers: dict[str, str] | None = None):
        super().__init__(status, *messages)
        self.status, self.messages, self.headers = status, list(messages), headers or {}


class Reply(NamedTuple):
    """An answer before it is written."""

    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] | None = None


class _Handler(StandInHandler):
    server_version = "jira-stand-in"
    do_POST = do_PUT = do_DELETE = StandInHandler.do_GET

    def _answer(self, path: str, raw_query: str, query: dict[str, list[str]], body: Any) -> Reply:
        return self.server.standin._site.answer(self.command, path, query, body, self.headers)

    def _fault_reply(self, fault: Fault, path: str) -> Reply:
        return _fault_reply(fault)

    def _headers(self, reply: Reply) -> dict[str, str]:
        return {
            "Content-Type": reply.content_type,
            "Content-Length": str(len(reply.body)),
            "Cache-Control": "no-cache, no-store, no-transform",
            "X-Content-Type-Options": "nosniff",
            "X-AREQUESTID": f"{len(self.server.standin.requests)}x1",
            **(reply.headers or {}),
        }


class JiraStandIn(StandInServer):
    """A Jira site on 127.0.0.1 served from a daemon thread; a context manager."""

    scenario: Scenario
    handler = _Handler

    def __init__(self, scenario: Scenario | None = None, port: int = 0, host: str = "127.0.0.1"):
        super().__init__(scenario or Scenario(), port, host)
        self._site = _Site(self)

    def reload(self) -> None:
        """Serve the scenario's issues again after a test changed them (edited, added or removed issues)."""
        self._site = _Site(self)

    @property
    def base_url(self) -> str:
        """The baseUrl the site reports and puts in self links."""
        return self.scenario.base_url or self.url

    def client_kwargs(self) -> dict[str, Any]:
        """The scenario's credentials as jira.JIRA keyword arguments."""
        s = self.scenario
        return {"basic_auth": (s.email, s.api_token)} if s.cloud else {"token_auth": s.pat}


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=headers or {})


def _errors(status: int, messages: list[str], headers: dict[str, str] | None = None) -> Reply:
    return _json(status, {"errorMessages": messages, "errors": {}}, headers)


def _fault_reply(fault: Fault) -> Reply:
    status = fault.status or 500
    if fault.body is not None:
        return Reply(status, fault.body.encode("utf-8"), headers=dict(fault.headers))
    reason = {429: "Rate limit exceeded.", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        status, "Internal server error"
    )
    return _errors(status, [reason], dict(fault.headers))


# -- JQL -------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|!~|>=|<=|=|~|>|<)"""
    r"""|(?P<punct>[(),])|(?P<word>[^\s(),=!<>~"']+))"""
)
_ORDER_BY = re.compile(r"(?is)\border\s+by\b.*$")
_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "WAS", "CHANGED", "EMPTY", "NULL"}
_CATEGORIES = {
    "done": "done",
    "to do": "new",
    "new": "new",
    "in progress": "indeterminate",
    "indeterminate": "indeterminate",
    "3": "done",
    "2": "new",
    "4": "indeterminate",
}
_SPRINT_FUNCTIONS = {"opensprints": ("active", "future"), "closedsprints": ("closed",), "futuresprints": ("future",)}


class JqlSyntaxError(ValueError):
    """JQL the small reader does not follow."""


class _Jql:
    """Reads JQL into a tree: ("or"|"and", [..]), ("not", x), ("clause", field, op, values); fields lower-case."""

    def __init__(self, text: str):
        self.tokens = [(m.lastgroup, m.group(m.lastgroup)) for m in _TOKEN.finditer(text) if m.lastgroup]
        self.pos = 0

    def parse(self) -> tuple:
        tree = self._or()
        if self.pos != len(self.tokens):
            raise JqlSyntaxError(f"unexpected {self._peek()[1]!r}")
        return tree

    def _peek(self) -> tuple[str | None, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, "")

    def _take(self) -> tuple[str | None, str]:
        token = self._peek()
        if token[0] is None:
            raise JqlSyntaxError("unexpected end of query")
        self.pos += 1
        return token

    def _word(self, *words: str) -> bool:
        kind, text = self._peek()
        if kind == "word" and text.upper() in words:
            self.pos += 1
            return True
        return False

    def _or(self) -> tuple:
        parts = [self._and()]
        while self._word("OR"):
            parts.append(self._and())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def _and(self) -> tuple:
        parts = [self._not()]
        while self._word("AND"):
            parts.append(self._not())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def _not(self) -> tuple:
        if self._word("NOT"):
            return ("not", self._not())
        if self._peek() == ("punct", "("):
            self._take()
            tree = self._or()
            if self._take() != ("punct", ")"):
                raise JqlSyntaxError("expected ')'")
            return tree
        return self._clause()

    def _clause(self) -> tuple:
        kind, name = self._take()
        if kind not in ("word", "str") or name.upper() in _KEYWORDS:
            raise JqlSyntaxError(f"expected a field, got {name!r}")
        name = _unquote(name).lower()
        kind, op = self._take()
        if kind == "word" and op.upper() in ("IN", "IS", "NOT", "WAS", "CHANGED"):
            op = op.lower()
            if op in ("not", "is", "was") and self._word("IN", "NOT"):
                op += " " + self.tokens[self.pos - 1][1].lower()
            if op == "not":
                raise JqlSyntaxError("expected 'not in'")
            if op.startswith(("was", "changed")):  # history: not evaluated; skip to the next AND/OR/)
                while self._peek()[0] and self._peek()[1].upper() not in ("AND", "OR") and self._peek()[1] != ")":
                    self._take()
                return ("clause", name, op, [])
        elif kind != "op":
            raise JqlSyntaxError(f"expected an operator, got {op!r}")
        return ("clause", name, op, self._value())

    def _value(self) -> list:
        kind, text = self._take()
        if (kind, text) == ("punct", "("):
            values = []
            while True:
                values += self._value()
                kind, text = self._take()
                if text == ")":
                    return values
                if text != ",":
                    raise JqlSyntaxError("expected ',' or ')'")
        if kind not in ("word", "str"):
            raise JqlSyntaxError(f"expected a value, got {text!r}")
        if kind == "word" and self._peek() == ("punct", "("):  # a function call: openSprints(), currentUser()
            depth = 0
            while True:
                _, part = self._take()
                depth += {"(": 1, ")": -1}.get(part, 0)
                if depth == 0:
                    return [("fn", text.lower())]
        return [_unquote(text)]


_DATE_FIELDS = {"updated": "updated", "updateddate": "updated", "created": "created", "createddate": "created"}
_RELATIVE = re.compile(r"^([-+]?\d+)([mhdw])$")


def _compare_date(fields: Json, name: str, op: str, values: list) -> bool | None:
    """`updated >= "2024-06-01 10:00"` and the like; dates in the account's time zone, which is UTC here."""
    stamp = fields.get(_DATE_FIELDS.get(name, ""))
    moment = _jql_date(values[0]) if values and isinstance(values[0], str) else None
    if not isinstance(stamp, str) or moment is None:
        return None
    value = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    return {">=": value >= moment, ">": value > moment, "<=": value <= moment, "<": value < moment}[op]


def _jql_date(text: str) -> datetime | None:
    """A JQL date: "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", either without the time, or relative ("-90m", "-2d")."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        unit = {"m": 60, "h": 3600, "d": 86400, "w": 604800}[relative.group(2)]
        return datetime.now(timezone.utc) + timedelta(seconds=int(relative.group(1)) * unit)
    for pattern in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _unquote(text: str) -> str:
    if text[:1] in "\"'" and text[-1:] == text[:1]:
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _truth(tree: tuple, judge: Any) -> bool | None:
    """Three-valued evaluation: None is "cannot tell" (the issue is kept)."""
    kind = tree[0]
    if kind in ("true", "maybe"):
        return True if kind == "true" else None
    if kind == "clause":
        return judge(*tree[1:])
    if kind == "not":
        value = _truth(tree[1], judge)
        return None if value is None else not value
    values = [_truth(t, judge) for t in tree[1]]
    decisive = kind == "or"  # True decides an OR, False decides an AND
    if decisive in values:
        return decisive
    return None if None in values else not decisive


# -- the REST API --------------------------------------------------------------------------------------------

API = r"/rest/api/(?P<v>2|3|latest)"
AGILE = r"/rest/agile/1\.0"
ROUTES = [
    (methods.split(), re.compile(pattern), name)
    for methods, pattern, name in [
        ("GET", API + r"/serverInfo", "server_info"),
        ("GET", API + r"/field", "fields"),
        ("GET", API + r"/myself", "myself"),
        ("GET", API + r"/filter/(?P<id>\d+)", "filter"),
        ("GET", API + r"/issue/(?P<key>[^/]+)", "issue"),
        ("GET POST", API + r"/search/jql", "search_jql"),
        ("POST", API + r"/search/approximate-count", "approximate_count"),
        ("GET POST", API + r"/search", "search"),
        ("GET", AGILE + r"/board/(?P<board>\d+)", "board"),
        ("GET", AGILE + r"/board/(?P<board>\d+)/configuration", "board_configuration"),
        ("GET", AGILE + r"/board/(?P<board>\d+)/sprint", "board_sprints"),
        ("GET", AGILE + r"/board/(?P<board>\d+)/backlog", "board_backlog"),
        ("GET", AGILE + r"/board/(?P<board>\d+)/issue", "board_issues"),
        ("GET", AGILE + r"/sprint/(?P<sprint>\d+)", "sprint"),
        ("GET", AGILE + r"/sprint/(?P<sprint>\d+)/issue", "sprint_issues"),
    ]
]
CLOUD_ONLY = {"search_jql", "approximate_count"}
_SPRINT_ID = re.compile(r"[\[,]id=(\d+)[,\]]")


class _Call(NamedTuple):
    """One routed request: API version, path arguments, query and body."""

    version: str
    args: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    def param(self, name: str, default: Any = None) -> Any:
        """A scalar parameter from the JSON body (POST) or the query string."""
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        return self.query.get(name, [default])[0]

    def int_param(self, name: str, default: int) -> int:
        """An integer parameter; a malformed one is a 400."""
        value = self.param(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise JiraError(400, f"The value '{value}' is not valid for the parameter '{name}'.") from None

    def list_param(self, name: str) -> list[str]:
        """A list parameter: repeated, comma-separated, or a JSON list."""
        values = self.body.get(name) if isinstance(self.body, dict) and name in self.body else self.query.get(name)
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values or [] for part in str(value).split(",") if part.strip()]


class _Site:
    """Routes requests to handlers and renders issues the way the deployment and API version do."""

    def __init__(self, standin: JiraStandIn):
        self.standin = standin
        self.s = s = standin.scenario
        self.by_key = {i["key"]: i for i in s.issues} | {i["id"]: i for i in s.issues}
        self.field_names = {f["id"]: f["name"] for f in s.fields}
        self.field_schemas = {f["id"]: f["schema"] for f in s.fields if "schema" in f}
        self.sprints = {sprint["id"]: sprint for sprint in s.sprints}
        self.projects = {
            v.upper(): i["fields"]["project"]["key"]
            for i in s.issues
            for v in (i["fields"]["project"]["key"], i["fields"]["project"]["name"], i["fields"]["project"]["id"])
        }
        self.clause_ids = {c.lower(): f["id"] for f in s.fields for c in f.get("clauseNames", [])}

    def answer(self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: Any) -> Reply:
        """The reply to one request: authentication, routing, then the handler."""
        path = path.rstrip("/") or "/"
        try:
            self._authenticate(headers.get("Authorization"), path)
            route = self._route(method, path, headers.get("Content-Type") or "", query, body)
            if route is None:
                return _json(404, {"message": f"null for uri: {self.standin.base_url}{path}", "status-code": 404})
            payload = getattr(self, route[0])(route[1])
            text = json.dumps(payload, ensure_ascii=False).replace(SITE, self.standin.base_url)
            return Reply(200, text.encode("utf-8"))
        except JiraError as error:
            if error.status == 401 and self.s.cloud:
                return Reply(401, CLOUD_401.encode(), "text/plain;charset=UTF-8", error.headers)
            return _errors(error.status, [DC_401] if error.status == 401 else error.messages, error.headers)

    def _route(
        self, method: str, path: str, content_type: str, query: dict[str, list[str]], body: Any
    ) -> tuple[str, _Call] | None:
        for methods, pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if not match:
                continue
            args = match.groupdict()
            version = "2" if args.get("v") in (None, "latest") else args["v"]
            if not self.s.cloud and (version == "3" or name in CLOUD_ONLY):
                return None  # Data Center has no v3 API and no enhanced search
            if method not in methods:
                raise JiraError(405, "Method Not Allowed")
            if method == "POST" and "json" not in content_type:
                raise JiraError(415, "Unsupported Media Type")
            return name, _Call(version, args, query, body)
        return None

    def _authenticate(self, header: str | None, path: str) -> None:
        s = self.s
        if header is None:
            if s.anonymous_server_info and path.endswith("/serverInfo"):
                return
            raise JiraError(401)
        if s.cloud:
            expected = "Basic " + base64.b64encode(f"{s.email}:{s.api_token}".encode()).decode()
        else:
            expected = f"Bearer {s.pat}"
        if not hmac.compare_digest(header.strip().encode(), expected.encode()):
            raise JiraError(401, headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"})

    # -- platform API ------------------------------------------------------------------------------------------

    def server_info(self, call: _Call) -> Json:
        """serverInfo."""
        return jira_data.server_info(self.s.deployment, self.s.dc_version, self.s.dc_deployment_type)

    def fields(self, call: _Call) -> list[Json]:
        """field: every field of the site."""
        return self.s.fields

    def myself(self, call: _Call) -> Json:
        """myself: the account of the credentials."""
        return jira_data.myself(self.s.deployment, self.s.email)

    def filter(self, call: _Call) -> Json:
        """filter/{id}: the saved filter behind a board."""
        fid = int(call.args["id"])
        if fid - 10000 not in self.s.boards:
            raise JiraError(
                404,
                "The selected filter is not available to you, perhaps it has been deleted or "
                "had its permissions changed.",
            )
        return jira_data.saved_filter(fid, self.s.boards[fid - 10000])

    def issue(self, call: _Call) -> Json:
        """issue/{key}: one issue, all fields by default."""
        issue = self.by_key.get(call.args["key"])
        if issue is None:
            raise JiraError(404, "Issue does not exist or you do not have permission to see it.")
        return self._render(issue, self._wanted(call, "*all"), call.version)

    def search(self, call: _Call) -> Json:
        """search: 410 Gone on Cloud; startAt/maxResults/total paging on Data Center."""
        if self.s.cloud:
            raise JiraError(410, REMOVED_SEARCH)
        issues = self._select(call.param("jql") or "")
        start, size = max(0, call.int_param("startAt", 0)), call.int_param("maxResults", 50)
        wanted = self._wanted(call, "*navigable")
        keys_only = wanted[0] is not None and wanted[0] <= {"id", "key", "issuekey"}
        size = min(50 if size < 0 else size, self.s.dc_max_results if keys_only else self.s.page_limit)
        page = [self._render(i, wanted, "2") for i in issues[start : start + size]]
        return {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(issues),
            "issues": page,
            **self._expansions(call, page),
        }

    def search_jql(self, call: _Call) -> Json:
        """search/jql (Cloud): nextPageToken paging and isLast, never total; only ids unless fields are named."""
        jql = call.param("jql") or ""
        issues = self._select(jql, bounded=True)
        wanted = self._wanted(call, "id")
        ids_only = wanted[0] is not None and wanted[0] <= {"id", "key"}
        size = call.int_param("maxResults", 50)
        size = min(50 if size < 1 else size, 5000 if ids_only else self.s.page_limit)
        start = self._decode_token(call.param("nextPageToken"), jql)
        chunk = issues[start : start + size]
        if ids_only:
            page = [{"id": i["id"], **({"key": i["key"]} if "key" in wanted[0] else {})} for i in chunk]
        else:
            page = [self._render(i, wanted, call.version) for i in chunk]
        result: Json = {"issues": page}
        if start + size < len(issues):
            result["nextPageToken"] = self._encode_token(start + size, jql)
        return {**result, "isLast": start + size >= len(issues), **self._expansions(call, page)}

    def approximate_count(self, call: _Call) -> Json:
        """search/approximate-count (Cloud, POST): {"count": n}."""
        return {"count": len(self._select(call.param("jql") or "", bounded=True))}

    # -- agile API --------------------------------------------------------------------------------------------

    def board(self, call: _Call) -> Json:
        """board/{id}."""
        bid = self._board_id(call)
        return jira_data.board(bid, self._board_project(bid))

    def board_configuration(self, call: _Call) -> Json:
        """board/{id}/configuration: filter, columns, estimation field and rank field."""
        bid = self._board_id(call)
        return jira_data.board_configuration(bid, self._board_project(bid), self.s.field_set)

    def board_sprints(self, call: _Call) -> Json:
        """board/{id}/sprint: the board's sprints, optionally by state (closed, active, future)."""
        bid = self._board_id(call)
        states = set(call.list_param("state")) or {"closed", "active", "future"}
        sprints = [s for s in self.s.sprints if s.get("originBoardId") == bid and s["state"] in states]
        start, size = max(0, call.int_param("startAt", 0)), min(max(1, call.int_param("maxResults", 50)), 50)
        return {
            "maxResults": size,
            "startAt": start,
            "total": len(sprints),
            "isLast": start + size >= len(sprints),
            "values": sprints[start : start + size],
        }

    def board_backlog(self, call: _Call) -> Json:
        """board/{id}/backlog: the board's issues that are not done and in no active or future sprint."""
        open_sprints = {sid for sid, s in self.sprints.items() if s["state"] != "closed"}
        return self._agile_page(
            call,
            [
                i
                for i in self._board_select(call)
                if self._category(i) != "done" and not open_sprints.intersection(self._sprint_ids(i))
            ],
        )

    def board_issues(self, call: _Call) -> Json:
        """board/{id}/issue: every issue of the board's filter."""
        return self._agile_page(call, self._board_select(call))

    def sprint(self, call: _Call) -> Json:
        """sprint/{id}."""
        sprint = self.sprints.get(int(call.args["sprint"]))
        if sprint is None:
            raise JiraError(404, f"Sprint with id {call.args['sprint']} does not exist.")
        return sprint

    def sprint_issues(self, call: _Call) -> Json:
        """sprint/{id}/issue: the issues that are or were in the sprint."""
        sid = self.sprint(call)["id"]
        return self._agile_page(call, [i for i in self._select(call.param("jql") or "") if sid in self._sprint_ids(i)])

    # -- selection --------------------------------------------------------------------------------------------

    def _select(self, jql: str, bounded: bool = False) -> list[Json]:
        """The issues a JQL query selects, in rank order."""
        s = self.s
        if s.bad_jql_marker and s.bad_jql_marker in jql:
            raise JiraError(
                400,
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got "
                f"'{s.bad_jql_marker}'. (line 1, character {jql.index(s.bad_jql_marker) + 1})",
            )
        if s.forbidden_marker and s.forbidden_marker in jql:
            raise JiraError(403, FORBIDDEN)
        if bounded and not _ORDER_BY.sub("", jql).strip():
            raise JiraError(400, UNBOUNDED)
        tree = self._tree(jql, 0)
        return [i for i in s.issues if _truth(tree, partial(self._judge, i)) is not False]

    def _tree(self, jql: str, depth: int) -> tuple:
        """The query's tree with saved filters inlined; ("maybe",) when the small reader cannot follow it."""
        clause = _ORDER_BY.sub("", jql).strip()
        try:
            return self._resolve(_Jql(clause).parse(), depth) if clause else ("true",)
        except JqlSyntaxError:
            return ("maybe",)

    def _resolve(self, tree: tuple, depth: int) -> tuple:
        """Jira's 400 for projects and filters that do not exist; `filter = N` replaced by the filter's query."""
        if tree[0] in ("and", "or"):
            return (tree[0], [self._resolve(t, depth) for t in tree[1]])
        if tree[0] == "not":
            return ("not", self._resolve(tree[1], depth))
        _, name, op, values = tree
        if name not in ("project", "filter") or op not in ("=", "!=", "in", "not in"):
            return tree
        for value in values:
            known = (
                value.upper() in self.projects
                if name == "project"
                else (value.isdigit() and int(value) - 10000 in self.s.boards and depth < 3)
            )
            if isinstance(value, str) and not known:
                raise JiraError(400, f"The value '{value}' does not exist for the field '{name}'.")
        if name == "project":
            return tree
        saved = [self._tree(self.s.boards[int(v) - 10000], depth + 1) for v in values if isinstance(v, str)]
        either = saved[0] if len(saved) == 1 else ("or", saved)
        return either if op in ("=", "in") else ("not", either)

    def _judge(self, issue: Json, name: str, op: str, values: list) -> bool | None:
        """One clause for one issue: True, False, or None when the stand-in cannot tell."""
        if op in ("is", "is not"):
            fid = self.clause_ids.get(name)
            if fid is None or not values or str(values[0]).upper() not in ("EMPTY", "NULL"):
                return None
            empty = self._sprint_ids(issue) == [] if name == "sprint" else issue["fields"].get(fid) in (None, [], "")
            return empty == (op == "is")
        if op in (">=", ">", "<=", "<"):
            return _compare_date(issue["fields"], name, op, values)
        if op not in ("=", "!=", "in", "not in"):
            return None
        matched = self._matches(issue, name, {v.lower() if isinstance(v, str) else v for v in values})
        return None if matched is None else matched == (op in ("=", "in"))

    def _matches(self, issue: Json, name: str, wanted: set) -> bool | None:
        f = issue["fields"]
        if name == "project":
            return f["project"]["key"] in {self.projects.get(v.upper()) for v in wanted if isinstance(v, str)}
        if name == "statuscategory":
            return self._category(issue) in {_CATEGORIES.get(v, v) for v in wanted if isinstance(v, str)}
        if name == "status":
            return f["status"]["name"].lower() in wanted
        if name in ("issuetype", "type"):
            subtask = f["issuetype"].get("subtask", False)
            return (
                f["issuetype"]["name"].lower() in wanted
                or ("fn", "standardissuetypes") in wanted
                and not subtask
                or ("fn", "subtaskissuetypes") in wanted
                and subtask
            )
        if name in ("key", "issuekey", "id"):
            return issue["key"].lower() in wanted or issue["id"] in wanted
        if name in ("priority", "labels", "component"):
            values = {
                "priority": [f.get("priority") or {}],
                "labels": f.get("labels") or [],
                "component": f.get("components") or [],
            }[name]
            return any((v.get("name") if isinstance(v, dict) else v or "").lower() in wanted for v in values)
        if name in ("parent", "epic link"):
            link = self.s.field_set.epic_link
            return any(
                k and k.lower() in wanted
                for k in ((f.get("parent") or {}).get("key"), f.get(link.id) if link else None)
            )
        if name == "resolution" and "unresolved" in wanted:
            return f.get("resolution") is None
        if name == "sprint":
            sprints = [self.sprints[i] for i in self._sprint_ids(issue) if i in self.sprints]
            states = {st for v in wanted if isinstance(v, tuple) for st in _SPRINT_FUNCTIONS.get(v[1], ())}
            return any(s["state"] in states or str(s["id"]) in wanted or s["name"].lower() in wanted for s in sprints)
        return None

    def _board_id(self, call: _Call) -> int:
        bid = int(call.args["board"])
        if bid not in self.s.boards:
            raise JiraError(404, "Board does not exist or you do not have permission to see it.")
        return bid

    def _board_project(self, bid: int) -> str:
        match = re.search(r"(?i)\bproject\s*(?:=|in)\s*\(?\s*[\"']?([\w-]+)", self.s.boards[bid])
        return self.projects.get(match.group(1).upper(), match.group(1)) if match else "AR"

    def _board_select(self, call: _Call) -> list[Json]:
        issues = self._select(self.s.boards[self._board_id(call)])
        extra = call.param("jql")
        if extra:
            keep = {i["id"] for i in self._select(extra)}
            issues = [i for i in issues if i["id"] in keep]
        return issues

    @staticmethod
    def _category(issue: Json) -> str:
        return issue["fields"]["status"]["statusCategory"]["key"]

    def _sprint_ids(self, issue: Json) -> list[int]:
        ids = []
        for value in issue["fields"].get(self.s.field_set.sprint.id) or []:
            match = None if isinstance(value, dict) else _SPRINT_ID.search(str(value))
            ids.append(value.get("id") if isinstance(value, dict) else int(match.group(1)) if match else None)
        return [i for i in ids if i is not None]

    # -- paging tokens ----------------------------------------------------------------------------------------

    @staticmethod
    def _encode_token(offset: int, jql: str) -> str:
        digest = hashlib.sha256(jql.encode()).hexdigest()[:16]
        return base64.urlsafe_b64encode(f"v1|{offset}|{digest}".encode()).decode().rstrip("=")

    @staticmethod
    def _decode_token(token: str | None, jql: str) -> int:
        if not token:
            return 0
        try:
            version, offset, digest = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|")
            if version == "v1" and digest == hashlib.sha256(jql.encode()).hexdigest()[:16]:
                return int(offset)
        except (ValueError, UnicodeDecodeError):
            pass
        raise JiraError(400, "The provided next page token is invalid or expired.")

    # -- rendering --------------------------------------------------------------------------------------------

    @staticmethod
    def _wanted(call: _Call, default: str) -> tuple[set[str] | None, set[str]]:
        """(the field ids named, or None for all; the excluded ids) from the fields parameter."""
        tokens = call.list_param("fields") or [default]
        excluded = {t[1:] for t in tokens if t.startswith("-")}
        named = {t for t in tokens if not t.startswith(("-", "*"))}
        return (None if any(t in ("*all", "*navigable") for t in tokens) or not named else named), excluded

    def _render(self, issue: Json, wanted: tuple[set[str] | None, set[str]], version: str, agile: bool = False) -> Json:
        """An issue as the deployment and API version show it, with the wanted fields only."""
        named, excluded = wanted
        fields = {**issue["fields"], **(self._agile_fields(issue) if agile else {})}
        if named is None:
            chosen = {k: v for k, v in fields.items() if k not in excluded}
        else:  # unknown field ids are dropped silently, as Jira does
            chosen = {
                k: fields.get(k)
                for k in sorted(named - excluded - {"id", "key", "issuekey"})
                if k in fields or k in self.field_names
            }
        if self.s.cloud and (version != "3" or agile):  # ADF only in v3: v2 and Agile send wiki markup
            chosen = {k: jira_data.adf_to_wiki(v) if _is_adf(v) else v for k, v in chosen.items()}
        path = "agile/1.0" if agile else f"api/{version}"
        return {
            "expand": "" if agile else ISSUE_EXPAND,
            "id": issue["id"],
            "self": f"{SITE}/rest/{path}/issue/{issue['id']}",
            "key": issue["key"],
            "fields": chosen,
        }

    def _expansions(self, call: _Call, page: list[Json]) -> Json:
        expand = set(call.list_param("expand"))
        if "changelog" in expand:  # NOTE: per issue, inside the page (as Jira does), not beside it
            for issue in page:
                raw = self.by_key.get(issue.get("key"))
                if raw is not None:
                    issue["changelog"] = jira_data.changelog(raw, self.s.deployment)
        used = sorted({k for issue in page for k in issue.get("fields", {})})
        out: Json = {}
        if "names" in expand:
            out["names"] = {k: self.field_names[k] for k in used if k in self.field_names}
        if "schema" in expand:
            out["schema"] = {k: self.field_schemas[k] for k in used if k in self.field_schemas}
        return out

    def _agile_fields(self, issue: Json) -> Json:
        """What the Agile API adds: sprint, closedSprints, flagged, epic."""
        sprints = [self.sprints[i] for i in self._sprint_ids(issue) if i in self.sprints]
        current = [s for s in sprints if s["state"] != "closed"]
        extra: Json = {
            "sprint": current[-1] if current else None,
            "closedSprints": [s for s in sprints if s["state"] == "closed"],
            "flagged": bool(issue["fields"].get(self.s.field_set.flagged.id)),
        }
        epic = self._epic_of(issue)
        if epic is not None:
            extra["epic"] = {
                "id": int(epic["id"]),
                "key": epic["key"],
                "self": f"{SITE}/rest/agile/1.0/epic/{epic['id']}",
                "name": epic["fields"]["summary"],
                "summary": epic["fields"]["summary"],
                "color": {"key": "color_4"},
                "done": self._category(epic) == "done",
            }
        return extra

    def _epic_of(self, issue: Json) -> Json | None:
        fields, link = issue["fields"], self.s.field_set.epic_link
        key = fields.get(link.id) if link else None
        parent = fields.get("parent") or {}
        if key is None and (parent.get("fields") or {}).get("issuetype", {}).get("name") == "Epic":
            key = parent.get("key")
        return self.by_key.get(key) if key else None

    def _agile_page(self, call: _Call, issues: list[Json]) -> Json:
        start = max(0, call.int_param("startAt", 0))
        size = min(max(1, call.int_param("maxResults", 50)), self.s.page_limit)
        wanted = self._wanted(call, "*all")
        page = [self._render(i, wanted, "2", agile=True) for i in issues[start : start + size]]
        return {"expand": "names,schema", "startAt": start, "maxResults": size, "total": len(issues), "issues": page}


def _is_adf(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc"
