"""A local stand-in for api.github.com and GitHub Enterprise Server, close enough that PyGithub works unchanged.

Record vcrpy cassettes of a connector's HTTP exchanges against it, and provoke the failures real sites produce:

    with GitHubStandIn(Scenario(issue_count=250)) as site:
        gh = Github(auth=Auth.Token(site.scenario.token), base_url=site.api_url, per_page=100)

REST (at the root, or under /api/v3 with `enterprise=True`): the authenticated user, users, the rate limit, the
repository (by owner/name and by id, as GitHub's Link headers use /repositories/{id}), its issues (pull requests
included, as GitHub lists them) with state, labels (AND), milestone, assignee, creator, type, since, sort,
direction, per_page (at most 100) and page, Link headers formatted as GitHub formats them, one issue, milestones
and labels. Every answer carries the x-ratelimit-* headers; the budget runs out as on GitHub (403 "API rate limit
exceeded", or a GraphQL RATE_LIMITED error); Fault(status=403, …) or secondary_rate_limit() answers GitHub's
secondary-limit 403 (or 429) with Retry-After.

GraphQL (POST /graphql, or /api/graphql): queries are parsed and checked against GitHub's public schema
(../shared/data/api_payloads/github/schema) and answered with exactly the fields selected (aliases, fragments,
variables, @skip/@include), so a query GitHub would reject is rejected here too ("Field 'x' doesn't exist on type
'Y'"). Answered: organization/user/repositoryOwner(login) → projectV2(number)/projectsV2 → fields, field(name),
items with content (Issue, PullRequest, DraftIssue) and fieldValues, fieldValueByName; repository(owner, name);
viewer; rateLimit; nodes(ids:) for issues and pull requests, each with its (synthesized) timelineItems.
Connections page as GitHub's do (first/last required and at most 100, opaque cursors
like the recorded "Mg", pageInfo, totalCount). Errors in GitHub's shape: NOT_FOUND for an unknown owner or
project number, INSUFFICIENT_SCOPES without read:project, FORBIDDEN "Resource not accessible by integration" for
an Actions token. Nothing is logged; the Authorization header is never recorded nor echoed.

Approximations: ordering arguments (orderBy) are accepted and ignored (items come in project order); the schema
is the early-2025 snapshot plus Issue.issueType, so newer fields or arguments (e.g. items(query:)) are rejected
as unknown; a missing token is a 401 everywhere (GitHub lets it read public repositories); GraphQL's RATE_LIMITED,
EXCESSIVE_PAGINATION and INVALID_CURSOR_ARGUMENTS answers follow reports of GitHub's, not recordings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import Any, NamedTuple

from . import github_data
from ._server import Fault, Request, StandInHandler, StandInServer  # noqa: F401 (Request: re-exported)
from .github_data import API, WEB

Json = dict[str, Any]

DOCS = "https://docs.github.com"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach "
    "out to GitHub Support for help, please include the request ID {rid}."
)
SECONDARY_DOCS = f"{DOCS}/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
PRIMARY = (
    "API rate limit exceeded for user ID {uid}. If you reach out to GitHub Support for help, please include "
    "the request ID {rid}."
)
INTEGRATION = "Resource not accessible by integration"
SCOPES = (
    "Your token has not been granted the required scopes to execute this query. The '{field}' field requires "
    "one of the following scopes: ['read:project'], but your token has only been granted the: {granted} "
    "scopes. Please modify your token's scopes at: https://github.com/settings/tokens."
)
EXPOSE = (
    "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, "
    "X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, "
    "X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset"
)
ENTERPRISE_404 = (
    b"<!DOCTYPE html>\n<html><head><title>Page not found &middot; GitHub</title></head><body>Not Found</body></html>"
)


def secondary_rate_limit(retry_after: int | None = 60, status: int = 403) -> Fault:
    """GitHub's secondary rate limit: 403 (or 429) with its message and, usually, Retry-After."""
    return Fault(status=status, headers={"retry-after": str(retry_after)} if retry_after is not None else {})


@dataclass
class Scenario:
    """What the stand-in serves and how it misbehaves."""

    token: str = "fake-gh-token-5b8e2d"  # accepted as "token X" or "Bearer X"
    token_scopes: tuple[str, ...] = ("read:org", "read:project", "repo")  # the X-OAuth-Scopes of a classic PAT
    actions_token: bool = False  # a GitHub Actions GITHUB_TOKEN: no scopes header, no /user, no projects
    enterprise: bool = False  # GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql
    enterprise_version: str = "3.14.2"
    owner: str = github_data.OWNER
    repo: str = github_data.REPO
    owner_kind: str = "organization"  # "organization" | "user": who owns the repository and the project
    private: bool = True  # a private repository is a 404 to a token without the repo scope
    login: str = github_data.LOGIN  # the token's account
    issues: list[Json] | None = None  # None: github_data.repo_issues(issue_count)
    issue_count: int = 40
    project: Json | None = None  # a ProjectV2 (github_data.project_v2); None: one with project_item_count items
    project_item_count: int = 30
    project_number: int = 7
    faults: dict[str, list[Fault]] = field(default_factory=dict)  # path prefix → faults, used in order
    rate_limit: int = 5000  # per hour, per resource (core, graphql)
    rate_used: int = 0  # already used in the current window
    rate_window: int = 3600  # seconds until x-ratelimit-reset, from the first request

    def __post_init__(self) -> None:
        if self.owner_kind not in ("organization", "user"):
            raise ValueError(f"owner_kind must be 'organization' or 'user', not {self.owner_kind!r}")
        if self.issues is None:
            self.issues = github_data.repo_issues(self.issue_count, self.owner, self.repo)
        if self.project is None:
            self.project = github_data.project_v2(
                self.project_item_count,
                self.owner,
                self.owner_kind,
                self.project_number,
                repo=self.repo,
                issues=self.issues,
            )

    @property
    def api_prefix(self) -> str:
        """Where the REST API lives on the host: "" or "/api/v3"."""
        return "/api/v3" if self.enterprise else ""

    @property
    def graphql_path(self) -> str:
        """Where the GraphQL API lives: "/graphql" or "/api/graphql"."""
        return "/api/graphql" if self.enterprise else "/graphql"


class GitHubError(Exception):
    """An error answer: status, GitHub's message, documentation URL, extra fields and headers."""

    def __init__(
        self, status: int, message: str, docs: str = f"{DOCS}/rest", headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(status, message)
        self.status, self.message, self.docs, self.headers, self.extra = status, message, docs, headers or {}, extra

    def payload(self) -> Json:
        """The JSON body, as GitHub writes it (status as a string)."""
        return {"message": self.message, **self.extra, "documentation_url": self.docs, "status": str(self.status)}


class Reply(NamedTuple):
    """An answer before it is written."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None


class _Handler(StandInHandler):
    server_version = "github.com"
    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = StandInHandler.do_GET

    def _answer(self, path: str, raw_query: str, query: dict[str, list[str]], body: Any) -> Reply:
        return self.server.standin._site.answer(self.command, path, raw_query, query, body, self.headers)

    def _fault_reply(self, fault: Fault, path: str) -> Reply:
        return self.server.standin._site.fault_reply(fault, path, self.headers)

    def _headers(self, reply: Reply) -> dict[str, str]:
        headers = {
            "content-type": reply.content_type,
            "content-length": str(len(reply.body)),
            "cache-control": "private, max-age=60, s-maxage=60",
            "vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "access-control-expose-headers": EXPOSE,
            "access-control-allow-origin": "*",
            "x-content-type-options": "nosniff",
            "x-frame-options": "deny",
            "x-github-request-id": _request_id(len(self.server.standin.requests)),
            **(reply.headers or {}),
        }
        if self.server.standin.scenario.enterprise:
            headers["x-github-enterprise-version"] = self.server.standin.scenario.enterprise_version
        return headers


class GitHubStandIn(StandInServer):
    """A GitHub site on 127.0.0.1 served from a daemon thread; a context manager."""

    scenario: Scenario
    handler = _Handler

    def __init__(self, scenario: Scenario | None = None, port: int = 0, host: str = "127.0.0.1"):
        super().__init__(scenario or Scenario(), port, host)
        self._site = _Site(self)

    def reload(self) -> None:
        """Serve the scenario's issues again after a test changed them (edited, added or removed issues)."""
        self._site = _Site(self)

    @property
    def api_url(self) -> str:
        """The REST base URL, PyGithub's base_url: the root, or {url}/api/v3 on Enterprise."""
        return self.url + self.scenario.api_prefix

    @property
    def graphql_url(self) -> str:
        """The GraphQL endpoint: {url}/graphql, or {url}/api/graphql on Enterprise."""
        return self.url + self.scenario.graphql_path


def _request_id(n: int) -> str:
    return f"E{n:03X}:{(n * 2654435761) % 0xFFFF:04X}:{n * 7919:X}:{n * 104729:X}:6650A0{n % 256:02X}"


# -- GraphQL: a small reader and executor over GitHub's public schema -----------------------------------------

_LEX = re.compile(
    r'(?P<skip>[\s,\ufeff]+|#[^\n\r]*)|(?P<block>"""(?:\\"""|[^"]|"(?!""))*""")'
    r'|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<spread>\.\.\.)|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)|(?P<punct>[!$&():=@\[\]{}|])"
)
_KIND_NAMES = {
    "{": "LCURLY",
    "}": "RCURLY",
    "(": "LPAREN",
    ")": "RPAREN",
    "[": "LBRACKET",
    "]": "RBRACKET",
    ":": "COLON",
    "!": "BANG",
    "$": "VAR_SIGN",
    "=": "EQUALS",
    "@": "DIR_SIGN",
    "|": "PIPE",
    "&": "AMP",
}
# Fields GitHub added after the bundled schema snapshot (early 2025) that the stand-in's data carries.
_EXTENSIONS = {
    "Issue": {"issueType": ("IssueType", frozenset())},
    "IssueType": {
        n: (t, frozenset())
        for n, t in [
            ("id", "ID"),
            ("name", "String"),
            ("color", "String"),
            ("description", "String"),
            ("isEnabled", "Boolean"),
        ]
    },
}


class GraphQLSyntaxError(ValueError):
    """A query the reader cannot parse, with its position."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.pos = pos


def _lex(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _LEX.match(text, pos)
        if not m:
            raise GraphQLSyntaxError(f'Parse error on "{text[pos]}" (error)', pos)
        if m.lastgroup != "skip":
            tokens.append((m.lastgroup or "", m.group(), pos))
        pos = m.end()
    return tokens


class _Schema:
    """Field types, argument names, interfaces and unions of an SDL schema (descriptions and inputs skipped)."""

    def __init__(self, text: str):
        self.fields: dict[str, dict[str, tuple[str, frozenset[str]]]] = {}
        self.implements: dict[str, set[str]] = {}
        self.unions: dict[str, set[str]] = {}
        self.kinds: dict[str, str] = {
            "String": "scalar",
            "Int": "scalar",
            "Float": "scalar",
            "Boolean": "scalar",
            "ID": "scalar",
        }
        self.t = [t for t in _lex(text) if t[0] not in ("str", "block")]
        i = 0
        while i < len(self.t):
            word = self.t[i][1]
            i += 1
            if word in ("type", "interface", "input", "enum", "scalar", "union"):
                i = self._definition(word, i)
            elif word == "schema":
                i = self._skip_group(self._skip_directives(i))
            elif word == "directive":  # directive @name(args) repeatable? on A | B
                i += 2
                if self.t[i][1] == "(":
                    i = self._skip_group(i)
                while self.t[i][1] in ("repeatable", "on", "|") or self.t[i - 1][1] in ("on", "|"):
                    i += 1
        for name, extra in _EXTENSIONS.items():
            self.kinds.setdefault(name, "type")
            self.fields.setdefault(name, {}).update(extra)
        del self.t

    def _definition(self, word: str, i: int) -> int:
        name = self.t[i][1]
        self.kinds[name] = word
        i += 1
        if word in ("type", "interface"):
            parents = set()
            if self.t[i][1] == "implements":
                i += 1
                while self.t[i][0] == "name" or self.t[i][1] == "&":
                    if self.t[i][0] == "name":
                        parents.add(self.t[i][1])
                    i += 1
            self.implements[name] = parents
            i = self._skip_directives(i)
            return self._fields(name, i) if i < len(self.t) and self.t[i][1] == "{" else i
        i = self._skip_directives(i)
        if word == "union" and self.t[i][1] == "=":
            i += 2 if self.t[i + 1][1] == "|" else 1
            members = {self.t[i][1]}
            i += 1
            while i < len(self.t) and self.t[i][1] == "|":
                members.add(self.t[i + 1][1])
                i += 2
            self.unions[name] = members
        elif word in ("input", "enum") and i < len(self.t) and self.t[i][1] == "{":
            i = self._skip_group(i)
        return i

    def _fields(self, owner: str, i: int) -> int:
        fields = self.fields.setdefault(owner, {})
        i += 1
        while self.t[i][1] != "}":
            name, args = self.t[i][1], set()
            i += 1
            if self.t[i][1] == "(":
                parens, nested, i = 1, 0, i + 1
                while parens:
                    kind, text, _ = self.t[i]
                    parens += {"(": 1, ")": -1}.get(text, 0)
                    nested += {"{": 1, "[": 1, "}": -1, "]": -1}.get(text, 0)
                    if (
                        parens == 1
                        and nested == 0
                        and kind == "name"
                        and self.t[i + 1][1] == ":"
                        and self.t[i - 1][1] != ":"
                    ):
                        args.add(text)
                    i += 1
            i += 1  # ':'
            while self.t[i][1] == "[":
                i += 1
            base = self.t[i][1]
            i += 1
            while self.t[i][1] in ("]", "!"):
                i += 1
            fields[name] = (base, frozenset(args))
            i = self._skip_directives(i)
        return i + 1

    def _skip_directives(self, i: int) -> int:
        while i < len(self.t) and self.t[i][1] == "@":
            i += 2
            if i < len(self.t) and self.t[i][1] == "(":
                i = self._skip_group(i)
        return i

    def _skip_group(self, i: int) -> int:
        opener = self.t[i][1]
        closer, depth = {"(": ")", "{": "}", "[": "]"}[opener], 0
        while True:
            text = self.t[i][1]
            depth += 1 if text == opener else -1 if text == closer else 0
            i += 1
            if depth == 0:
                return i

    def field(self, typename: str, name: str) -> tuple[str, frozenset[str]] | None:
        """(return type, argument names) of typename.name, None when the schema has no such field."""
        return self.fields.get(typename, {}).get(name)

    def satisfies(self, concrete: str, condition: str) -> bool:
        """Whether an object of type `concrete` matches the type condition (itself, an interface, a union)."""
        if concrete == condition or concrete in self.unions.get(condition, ()):
            return True
        seen, todo = set(), [concrete]
        while todo:
            for parent in self.implements.get(todo.pop(), ()):
                if parent == condition:
                    return True
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return False

    def composite(self, typename: str) -> bool:
        """Whether values of the type need a selection set."""
        return self.kinds.get(typename) in ("type", "interface", "union")


@cache
def schema() -> _Schema:
    """GitHub's public GraphQL schema, read once from the shared data."""
    path = github_data.SHARED_DATA / github_data.PAYLOADS / "schema" / "schema.graphql"
    return _Schema(path.read_text(encoding="utf-8"))


class _Var(NamedTuple):
    name: str


class _Field(NamedTuple):
    alias: str | None
    name: str
    args: dict[str, Any]
    directives: dict[str, dict[str, Any]]
    selections: list[Any]
    pos: int


class _Inline(NamedTuple):
    on: str | None
    directives: dict[str, dict[str, Any]]
    selections: list[Any]
    pos: int


class _Spread(NamedTuple):
    name: str
    directives: dict[str, dict[str, Any]]
    pos: int


class _Operation(NamedTuple):
    kind: str
    name: str | None
    variables: dict[str, tuple[str, Any]]  # name → (type, default)
    selections: list[Any]
    pos: int


class _Document(NamedTuple):
    operations: list[_Operation]
    fragments: dict[str, tuple[str, list[Any]]]  # name → (type condition, selections)


class _Parser:
    """Reads a GraphQL document: operations, fragments, fields with aliases, arguments and directives."""

    def __init__(self, text: str):
        self.tokens, self.i, self.end = _lex(text), 0, len(text)

    def document(self) -> _Document:
        operations, fragments = [], {}
        if not self.tokens:
            raise GraphQLSyntaxError("Unexpected end of document", self.end)
        while self.i < len(self.tokens):
            _, text, pos = self._peek()
            if text == "{":
                operations.append(_Operation("query", None, {}, self._selections(), pos))
            elif text in ("query", "mutation", "subscription"):
                self.i += 1
                name = self._take()[1] if self._peek()[0] == "name" else None
                variables = self._variables() if self._peek()[1] == "(" else {}
                self._directives()
                operations.append(_Operation(text, name, variables, self._selections(), pos))
            elif text == "fragment":
                self.i += 1
                name = self._take("name")[1]
                self._expect("on")
                on = self._take("name")[1]
                self._directives()
                fragments[name] = (on, self._selections())
            else:
                self._fail()
        return _Document(operations, fragments)

    def _peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", self.end)

    def _take(self, kind: str | None = None) -> tuple[str, str, int]:
        token = self._peek()
        if token[0] == "end" or kind and token[0] != kind:
            self._fail()
        self.i += 1
        return token

    def _expect(self, text: str) -> None:
        if self._peek()[1] != text:
            self._fail()
        self.i += 1

    def _fail(self) -> None:
        kind, text, pos = self._peek()
        if kind == "end":
            raise GraphQLSyntaxError("Unexpected end of document", pos)
        label = _KIND_NAMES.get(text) or {
            "name": "IDENTIFIER",
            "str": "STRING",
            "block": "STRING",
            "num": "INT",
            "spread": "ELLIPSIS",
        }.get(kind, kind.upper())
        raise GraphQLSyntaxError(f'Parse error on "{text}" ({label})', pos)

    def _variables(self) -> dict[str, tuple[str, Any]]:
        self._expect("(")
        variables = {}
        while self._peek()[1] != ")":
            self._expect("$")
            name = self._take("name")[1]
            self._expect(":")
            type_text = self._type()
            default = None
            if self._peek()[1] == "=":
                self.i += 1
                default = self._value()
            self._directives()
            variables[name] = (type_text, default)
        self.i += 1
        return variables

    def _type(self) -> str:
        if self._peek()[1] == "[":
            self.i += 1
            inner = self._type()
            self._expect("]")
            text = f"[{inner}]"
        else:
            text = self._take("name")[1]
        if self._peek()[1] == "!":
            self.i += 1
            text += "!"
        return text

    def _directives(self) -> dict[str, dict[str, Any]]:
        found = {}
        while self._peek()[1] == "@":
            self.i += 1
            name = self._take("name")[1]
            found[name] = self._arguments() if self._peek()[1] == "(" else {}
        return found

    def _arguments(self) -> dict[str, Any]:
        self._expect("(")
        args = {}
        while self._peek()[1] != ")":
            name = self._take("name")[1]
            self._expect(":")
            args[name] = self._value()
        self.i += 1
        return args

    def _selections(self) -> list[Any]:
        self._expect("{")
        selections: list[Any] = []
        while self._peek()[1] != "}":
            kind, _, pos = self._peek()
            if kind == "spread":
                self.i += 1
                if self._peek()[1] == "on":
                    self.i += 1
                    on = self._take("name")[1]
                    selections.append(_Inline(on, self._directives(), self._selections(), pos))
                elif self._peek()[0] == "name":
                    selections.append(_Spread(self._take()[1], self._directives(), pos))
                else:
                    selections.append(_Inline(None, self._directives(), self._selections(), pos))
                continue
            name = self._take("name")[1]
            alias = None
            if self._peek()[1] == ":":
                self.i += 1
                alias, name = name, self._take("name")[1]
            args = self._arguments() if self._peek()[1] == "(" else {}
            directives = self._directives()
            sub = self._selections() if self._peek()[1] == "{" else []
            selections.append(_Field(alias, name, args, directives, sub, pos))
        self.i += 1
        if not selections:
            self.i -= 1
            self._fail()
        return selections

    def _value(self) -> Any:
        kind, text, _ = self._take()
        if text == "$":
            return _Var(self._take("name")[1])
        if kind == "num":
            return float(text) if re.search(r"[.eE]", text) else int(text)
        if kind == "str":
            return json.loads(text)
        if kind == "block":
            return text[3:-3].replace('\\"""', '"""').strip()
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)
        if text == "[":
            values = []
            while self._peek()[1] != "]":
                values.append(self._value())
            self.i += 1
            return values
        if text == "{":
            obj = {}
            while self._peek()[1] != "}":
                key = self._take("name")[1]
                self._expect(":")
                obj[key] = self._value()
            self.i += 1
            return obj
        self.i -= 1
        self._fail()
        return None


class _FieldError(Exception):
    """A resolver's error: GitHub's error type and message; the field answers null."""

    def __init__(self, kind: str | None, message: str, extensions: Json | None = None):
        super().__init__(message)
        self.kind, self.message, self.extensions = kind, message, extensions


def _location(text: str, pos: int) -> Json:
    return {"line": text.count("\n", 0, pos) + 1, "column": pos - text.rfind("\n", 0, pos)}


def _cursor(index: int) -> str:
    """The cursor of the item at 0-based index: base64 of its 1-based position, as GitHub's ("Mg" = 2)."""
    return base64.b64encode(str(index + 1).encode()).decode().rstrip("=")


class _Execution:
    """One GraphQL request: validation against the schema, the scope check, then execution."""

    def __init__(self, site: _Site, text: str, variables: Json, operation_name: str | None):
        self.site, self.text, self.schema = site, text, schema()
        self.raw_variables, self.operation_name = variables or {}, operation_name
        self.errors: list[Json] = []
        self.scoped: list[tuple[str, int]] = []  # ProjectV2 fields selected: (name, position)

    def run(self) -> Json:
        try:
            doc = _Parser(self.text).document()
        except GraphQLSyntaxError as error:
            loc = _location(self.text, error.pos)
            message = str(error) if "end of document" in str(error) else f"{error} at [{loc['line']}, {loc['column']}]"
            return {"errors": [{"message": message, "locations": [loc]}]}
        self.doc = doc
        operation = self._operation(doc)
        if operation is None:
            return {"errors": self.errors}
        label = f"{operation.kind} {operation.name}" if operation.name else operation.kind
        if operation.kind != "query":
            return {
                "errors": [
                    {
                        "message": f"The stand-in answers queries only, not a {operation.kind}",
                        "locations": [_location(self.text, operation.pos)],
                    }
                ]
            }
        self.declared = set(operation.variables)
        self._check(operation.selections, "Query", [label], set())
        if not self.errors:
            self.variables = self._coerce(operation)
        if self.errors:
            return {"errors": self.errors}
        s = self.site.s
        if self.scoped and not s.actions_token and not {"read:project", "project"} & set(s.token_scopes):
            granted = repr(list(s.token_scopes))
            return {
                "errors": [
                    {
                        "type": "INSUFFICIENT_SCOPES",
                        "locations": [_location(self.text, pos)],
                        "message": SCOPES.format(field=name, granted=granted),
                    }
                    for name, pos in self.scoped
                ]
            }
        data = self._select({}, "Query", operation.selections, [])
        return {"data": data, **({"errors": self.errors} if self.errors else {})}

    def _operation(self, doc: _Document) -> _Operation | None:
        named = [o for o in doc.operations if self.operation_name is None or o.name == self.operation_name]
        if len(named) == 1:
            return named[0]
        message = (
            f'No operation named "{self.operation_name}"'
            if self.operation_name
            else "An operation name is required"
            if doc.operations
            else "No operations in this document"
        )
        self.errors.append({"message": message})
        return None

    def _coerce(self, operation: _Operation) -> Json:
        values = {}
        for name, (type_text, default) in operation.variables.items():
            value = self.raw_variables.get(name, default)
            if value is None and type_text.endswith("!"):
                self.errors.append(
                    {
                        "message": f"Variable ${name} of type {type_text} was provided invalid value",
                        "locations": [_location(self.text, operation.pos)],
                        "extensions": {
                            "value": None,
                            "problems": [{"path": [], "explanation": "Expected value to not be null"}],
                        },
                    }
                )
            values[name] = value
        return values

    # -- validation ----------------------------------------------------------------------------------------

    def _error(self, message: str, pos: int, path: list[Any], **extensions: Any) -> None:
        self.errors.append(
            {"path": path, "extensions": extensions, "locations": [_location(self.text, pos)], "message": message}
        )

    def _check(self, selections: list[Any], typename: str, path: list[Any], visiting: set[str]) -> None:
        for sel in selections:
            if isinstance(sel, _Inline):
                condition = sel.on or typename
                if condition not in self.schema.kinds:
                    self._error(
                        f"No such type {condition}, so it can't be a fragment condition",
                        sel.pos,
                        path,
                        code="undefinedType",
                        typeName=condition,
                    )
                else:
                    self._check(sel.selections, condition, path + [f"... on {condition}"], visiting)
            elif isinstance(sel, _Spread):
                fragment = self.doc.fragments.get(sel.name)
                if fragment is None:
                    self._error(
                        f"Fragment {sel.name} was used, but not defined",
                        sel.pos,
                        path,
                        code="useAndDefineFragment",
                        fragmentName=sel.name,
                    )
                elif sel.name not in visiting:
                    self._check(fragment[1], fragment[0], path + [f"... {sel.name}"], visiting | {sel.name})
            else:
                self._check_field(sel, typename, path)

    def _check_field(self, sel: _Field, typename: str, path: list[Any]) -> None:
        here = path + [sel.alias or sel.name]
        self._check_variables(sel.args, sel.pos, here)
        if sel.name == "__typename":
            return
        if self.schema.kinds.get(typename) == "union":
            self._error(
                f"Selections can't be made directly on unions (see selections on {typename})",
                sel.pos,
                here,
                code="selectionMismatch",
                nodeName=typename,
            )
            return
        spec = self.schema.field(typename, sel.name)
        if spec is None:
            self._error(
                f"Field '{sel.name}' doesn't exist on type '{typename}'",
                sel.pos,
                here,
                code="undefinedField",
                typeName=typename,
                fieldName=sel.name,
            )
            return
        rtype, accepted = spec
        for arg in sel.args:
            if arg not in accepted:
                self._error(
                    f"Field '{sel.name}' doesn't accept argument '{arg}'",
                    sel.pos,
                    here,
                    code="argumentNotAccepted",
                    name=sel.name,
                    typeName="Field",
                    argumentName=arg,
                )
        if typename.startswith("ProjectV2") or rtype.startswith("ProjectV2"):
            self.scoped.append((sel.name, sel.pos))
        if self.schema.composite(rtype) and not sel.selections:
            self._error(
                f"Field must have selections (field '{sel.name}' returns {rtype} but has no selections. "
                f"Did you mean '{sel.name} {{ ... }}'?)",
                sel.pos,
                here,
                code="selectionMismatch",
                nodeName=f"field '{sel.name}'",
                typeName=rtype,
            )
        elif not self.schema.composite(rtype) and sel.selections:
            kind = "enums" if self.schema.kinds.get(rtype) == "enum" else "scalars"
            names = ", ".join(s.name for s in sel.selections if isinstance(s, _Field))
            self._error(
                f"Selections can't be made on {kind} (field '{sel.name}' returns {rtype} but has selections [{names}])",
                sel.pos,
                here,
                code="selectionMismatch",
                nodeName=f"field '{sel.name}'",
                typeName=rtype,
            )
        else:
            self._check(sel.selections, rtype, here, set())

    def _check_variables(self, value: Any, pos: int, path: list[Any]) -> None:
        if isinstance(value, _Var):
            if value.name not in self.declared:
                self._error(
                    f"Variable ${value.name} is used by {path[0]} but not declared",
                    pos,
                    path,
                    code="variableNotDefined",
                    variableName=value.name,
                )
        elif isinstance(value, dict):
            for v in value.values():
                self._check_variables(v, pos, path)
        elif isinstance(value, list):
            for v in value:
                self._check_variables(v, pos, path)

    # -- execution -----------------------------------------------------------------------------------------

    def _value(self, value: Any) -> Any:
        if isinstance(value, _Var):
            return self.variables.get(value.name)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v) for v in value]
        return value

    def _included(self, directives: dict[str, dict[str, Any]]) -> bool:
        skip = self._value(directives.get("skip", {}).get("if", False))
        include = self._value(directives.get("include", {}).get("if", True))
        return not skip and include

    def _collect(self, selections: list[Any], typename: str) -> list[_Field]:
        fields: list[_Field] = []
        for sel in selections:
            if not self._included(sel.directives):
                continue
            if isinstance(sel, _Field):
                fields.append(sel)
            elif isinstance(sel, _Inline):
                if sel.on is None or self.schema.satisfies(typename, sel.on):
                    fields += self._collect(sel.selections, typename)
            else:
                on, sub = self.doc.fragments[sel.name]
                if self.schema.satisfies(typename, on):
                    fields += self._collect(sub, typename)
        return fields

    def _select(self, obj: Json, typename: str, selections: list[Any], path: list[Any]) -> Json:
        out: Json = {}
        for sel in self._collect(selections, typename):
            key = sel.alias or sel.name
            value = self._resolve(obj, typename, sel, path + [key])
            out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
        return out

    def _resolve(self, obj: Json, typename: str, sel: _Field, path: list[Any]) -> Any:
        if sel.name == "__typename":
            return typename
        rtype = (self.schema.field(typename, sel.name) or ("String", frozenset()))[0]
        args = {k: self._value(v) for k, v in sel.args.items()}
        resolver = self.site.resolvers.get((typename, sel.name)) or self.site.resolvers.get(("*", sel.name))
        try:
            if resolver is not None:
                value = resolver(obj, args)
            else:
                value = obj.get(sel.name)
            if rtype.endswith("Connection") and isinstance(value, list):
                value = self._connection(value, args, sel.name, rtype)
        except _FieldError as error:
            entry: Json = {"type": error.kind} if error.kind else {}
            entry.update(
                path=path,
                **({"extensions": error.extensions} if error.extensions else {}),
                locations=[_location(self.text, sel.pos)],
                message=error.message,
            )
            self.errors.append(entry)
            return None
        return self._complete(value, rtype, sel, path)

    def _complete(self, value: Any, rtype: str, sel: _Field, path: list[Any]) -> Any:
        if value is None or not sel.selections:
            return value
        if isinstance(value, list):
            return [self._complete(v, rtype, sel, path + [k]) for k, v in enumerate(value)]
        return self._select(value, value.get("__typename") or rtype, sel.selections, path)

    @staticmethod
    def _connection(nodes: list[Any], args: Json, name: str, rtype: str) -> Json:
        first, last = args.get("first"), args.get("last")
        if first is None and last is None:
            raise _FieldError(
                "MISSING_PAGINATION_BOUNDARIES",
                f"You must provide a `first` or `last` value to properly paginate the `{name}` connection.",
            )
        for arg, count in (("first", first), ("last", last)):
            if count is not None and count > 100:
                raise _FieldError(
                    "EXCESSIVE_PAGINATION",
                    f"Requesting {count} records on the `{name}` connection exceeds the `{arg}` limit of 100 records.",
                )
            if count is not None and count < 0:
                raise _FieldError(None, f"`{arg}` on `{name}` cannot be less than 0")
        lo = _position(args.get("after"), name) if args.get("after") else 0
        hi = _position(args.get("before"), name) - 1 if args.get("before") else len(nodes)
        window = list(range(max(0, lo), min(len(nodes), hi)))
        if first is not None:
            window = window[:first]
        if last is not None:
            window = window[len(window) - last :] if last else []
        edge = rtype[: -len("Connection")] + "Edge"
        return {
            "__typename": rtype,
            "totalCount": len(nodes),
            "nodes": [nodes[i] for i in window],
            "edges": [{"__typename": edge, "cursor": _cursor(i), "node": nodes[i]} for i in window],
            "pageInfo": {
                "__typename": "PageInfo",
                "hasNextPage": bool(window) and window[-1] + 1 < len(nodes),
                "hasPreviousPage": bool(window) and window[0] > 0,
                "startCursor": _cursor(window[0]) if window else None,
                "endCursor": _cursor(window[-1]) if window else None,
            },
        }


def _position(cursor: Any, name: str) -> int:
    try:
        text = base64.b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4), validate=True).decode()
        if text.isdigit() and int(text) > 0:
            return int(text)
    except (ValueError, UnicodeDecodeError):
        pass
    raise _FieldError("INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor.")


def _merge(a: Json, b: Json) -> Json:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


# -- the site ------------------------------------------------------------------------------------------------

_REPO = r"(?:/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)|/repositories/(?P<id>\d+))"
ROUTES = [
    (re.compile(pattern), name)
    for pattern, name in [
        (r"/user", "rest_user"),
        (r"/users/(?P<login>[^/]+)", "rest_named_user"),
        (r"/rate_limit", "rest_rate_limit"),
        (_REPO, "rest_repository"),
        (_REPO + r"/issues", "rest_issues"),
        (_REPO + r"/issues/(?P<number>\d+)", "rest_issue"),
        (_REPO + r"/milestones", "rest_milestones"),
        (_REPO + r"/milestones/(?P<number>\d+)", "rest_milestone"),
        (_REPO + r"/labels", "rest_labels"),
    ]
]
ISSUE_LIST_DOCS = f"{DOCS}/rest/issues/issues#list-repository-issues"


class _Budget:
    """One rate-limit resource: limit, used, reset (epoch seconds), renewed when the window has passed."""

    def __init__(self, limit: int, used: int, window: int):
        self.limit, self.used, self.window, self.reset = limit, used, window, 0

    def spend(self, cost: int = 1) -> tuple[dict[str, str], bool]:
        """Headers after spending cost, and whether the budget was already exhausted."""
        now = int(time.time())
        if now >= self.reset:
            if self.reset:
                self.used = 0
            self.reset = now + self.window
        exceeded = self.used >= self.limit
        if not exceeded:
            self.used += cost
        return self.headers(), exceeded

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.limit - self.used)),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
        }

    def overview(self) -> Json:
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": max(0, self.limit - self.used),
            "reset": self.reset or int(time.time()) + self.window,
        }


class _Site:
    """Authentication, rate limits, REST routing and the GraphQL resolvers over the scenario's data."""

    def __init__(self, standin: GitHubStandIn):
        self.standin = standin
        self.s = s = standin.scenario
        self.lock = threading.Lock()
        self.budgets = {r: _Budget(s.rate_limit, s.rate_used, s.rate_window) for r in ("core", "graphql")}
        self.anonymous = _Budget(60, 0, s.rate_window)
        self.issues = list(s.issues)
        self.by_number = {i["number"]: i for i in self.issues}
        self.repo_json = github_data.repository(s.owner, s.repo, s.owner_kind, s.private, self.issues)
        self.users = {u["login"].lower(): u for i in self.issues for u in [i["user"], *i["assignees"]]}
        self.users[s.owner.lower()] = github_data.owner_object(s.owner, s.owner_kind)
        self.me = github_data.authenticated_user(s.login)
        self.users[s.login.lower()] = self.me
        self.milestones = {
            i["milestone"]["number"]: i["milestone"]
            for i in sorted(self.issues, key=lambda i: i["number"])
            if i.get("milestone")
        }
        self.project = s.project
        typename = "Organization" if s.owner_kind == "organization" else "User"
        self.owner_node = {
            "__typename": typename,
            "id": self.repo_json["owner"]["node_id"],
            "databaseId": github_data.OWNER_ID,
            "login": s.owner,
            "name": s.owner.replace("-", " ").title(),
            "url": f"{WEB}/{s.owner}",
            "resourcePath": f"/{s.owner}",
            "projectsV2": [self.project],
        }
        self.resolvers: dict[tuple[str, str], Any] = {
            ("Query", "organization"): _owner_resolver(self, "Organization"),
            ("Query", "user"): _owner_resolver(self, "User"),
            ("Query", "repositoryOwner"): self._repository_owner,
            ("Query", "repository"): self._repository,
            ("Query", "viewer"): lambda obj, args: self._user_node(s.login),
            ("Query", "rateLimit"): self._rate_node,
            ("Query", "nodes"): self._nodes,
            ("Organization", "projectV2"): self._project,
            ("User", "projectV2"): self._project,
            ("Repository", "projectV2"): self._project,
            ("Organization", "projectsV2"): self._projects,
            ("User", "projectsV2"): self._projects,
            ("Repository", "projectsV2"): self._projects,
            ("ProjectV2", "field"): lambda obj, args: next(
                (f for f in obj["fields"] if f["name"] == args.get("name")), None
            ),
            ("ProjectV2Item", "fieldValueByName"): lambda obj, args: next(
                (v for v in obj["fieldValues"] if v["field"]["name"] == args.get("name")), None
            ),
            ("ProjectV2Item", "project"): lambda obj, args: self.project,
            ("Repository", "issues"): self._repository_issues,
            ("Repository", "pullRequests"): self._repository_pulls,
        }

    # -- entry points ------------------------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, raw_query: str, query: dict[str, list[str]], body: Any, headers: Any
    ) -> Reply:
        """The reply to one request: where it goes, authentication, rate limit, then the handler."""
        resource = self._resource(path)
        if resource is None:  # Enterprise: the web application answers outside /api
            return Reply(404, ENTERPRISE_404, "text/html; charset=utf-8")
        with self.lock:
            auth = self._authenticate(headers.get("Authorization"))
            if auth != "ok":
                rate, _ = self.anonymous.spend()
                message = (
                    "Bad credentials"
                    if auth == "bad"
                    else (
                        "This endpoint requires you to be authenticated."
                        if resource == "graphql"
                        else "Requires authentication"
                    )
                )
                docs = f"{DOCS}/graphql" if resource == "graphql" else f"{DOCS}/rest"
                return self._error_reply(GitHubError(401, message, docs), {**rate, "x-ratelimit-resource": resource})
            free = path.rstrip("/").endswith("/rate_limit")  # GitHub does not count it
            rate, exceeded = self.budgets[resource].spend(0 if free else 1)
        rate = {**rate, "x-ratelimit-resource": resource, **self._scope_headers()}
        if resource == "graphql":
            return self._graphql(method, body, rate, exceeded)
        if exceeded:
            return self._error_reply(
                GitHubError(
                    403,
                    PRIMARY.format(uid=self.me["id"], rid=_request_id(1)),
                    f"{DOCS}/rest/overview/rate-limits-for-the-rest-api",
                ),
                rate,
            )
        try:
            payload, extra = self._route(method, path[len(self.s.api_prefix) :].rstrip("/") or "/", raw_query, query)
        except GitHubError as error:
            return self._error_reply(error, {**rate, **error.headers})
        text = self._rehome(json.dumps(payload, ensure_ascii=False))
        etag = 'W/"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
        return Reply(200, text.encode("utf-8"), headers={**rate, "etag": etag, **extra})

    def fault_reply(self, fault: Fault, path: str, headers: Any) -> Reply:
        """An injected failure, with GitHub's body for its status and the current rate-limit headers."""
        resource = self._resource(path) or "core"
        with self.lock:
            rate = {**self.budgets[resource].headers(), "x-ratelimit-resource": resource}
        if fault.body is not None:
            return Reply(fault.status or 500, fault.body.encode("utf-8"), headers={**rate, **fault.headers})
        status = fault.status or 500
        if status in (403, 429):
            error = GitHubError(status, SECONDARY.format(rid=_request_id(len(self.standin.requests))), SECONDARY_DOCS)
        elif status == 502 and resource == "graphql":
            error = GitHubError(
                502,
                "We couldn't respond to your request in time. Sorry about that. Please try "
                "resubmitting your request and contact us if the problem persists.",
            )
        else:
            error = GitHubError(
                status,
                {500: "Server Error", 502: "Server Error", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
                    status, "Server Error"
                ),
            )
        return self._error_reply(error, {**rate, **fault.headers})

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _resource(self, path: str) -> str | None:
        if path.rstrip("/") == self.s.graphql_path:
            return "graphql"
        if not self.s.enterprise or path == "/api/v3" or path.startswith("/api/v3/"):
            return "core"
        return None

    def _authenticate(self, header: str | None) -> str:
        if not header:
            return "missing"
        scheme, _, credential = header.strip().partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return "bad"
        return "ok" if hmac.compare_digest(credential.strip().encode(), self.s.token.encode()) else "bad"

    def _scope_headers(self) -> dict[str, str]:
        return {} if self.s.actions_token else {"x-oauth-scopes": ", ".join(self.s.token_scopes)}

    def _error_reply(self, error: GitHubError, headers: dict[str, str]) -> Reply:
        return Reply(error.status, json.dumps(error.payload()).encode("utf-8"), headers=headers)

    def _rehome(self, text: str) -> str:
        """Links from the data pointed at this stand-in: JSON strings that start with API or WEB."""
        api, web = self.standin.api_url, self.standin.url
        return (
            text.replace(f'"{API}/', f'"{api}/')
            .replace(f'"{API}"', f'"{api}"')
            .replace(f'"{WEB}/', f'"{web}/')
            .replace(f'"{WEB}"', f'"{web}"')
        )

    def _route(self, method: str, path: str, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        for pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if match:
                if method not in ("GET", "HEAD"):
                    raise GitHubError(404, "Not Found")
                return getattr(self, name)(match.groupdict(), raw_query, query)
        raise GitHubError(404, "Not Found")

    # -- REST --------------------------------------------------------------------------------------------------

    def rest_user(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET /user: the token's account (an Actions token has none: 403)."""
        if self.s.actions_token:
            raise GitHubError(403, INTEGRATION, f"{DOCS}/rest/users/users#get-the-authenticated-user")
        return self.me, {"x-accepted-oauth-scopes": ""}

    def rest_named_user(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET /users/{login}: a user seen in the data."""
        user = self.users.get(args["login"].lower())
        if user is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/rest/users/users#get-a-user")
        return {**user, "name": user.get("name"), "company": user.get("company"), "public_repos": 1}, {}

    def rest_rate_limit(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET /rate_limit: the budgets (asking costs nothing)."""
        core, graphql = self.budgets["core"].overview(), self.budgets["graphql"].overview()
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": core["reset"]}
        return {
            "resources": {
                "core": core,
                "search": search,
                "graphql": graphql,
                "integration_manifest": {**core, "used": 0, "remaining": core["limit"]},
            },
            "rate": core,
        }, {}

    def _repo_check(self, args: Json) -> None:
        s = self.s
        if args.get("id") is not None:
            known = int(args["id"]) == self.repo_json["id"]
        else:
            known = args["owner"].lower() == s.owner.lower() and args["repo"].lower() == s.repo.lower()
        hidden = s.private and not s.actions_token and not {"repo"} & set(s.token_scopes)
        if not known or hidden:
            raise GitHubError(404, "Not Found", f"{DOCS}/rest/repos/repos#get-a-repository")

    def rest_repository(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET /repos/{owner}/{repo} and /repositories/{id}."""
        self._repo_check(args)
        return self.repo_json, {"x-accepted-oauth-scopes": "repo"}

    def rest_issue(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET …/issues/{number}: an issue, or a pull request in its issue form."""
        self._repo_check(args)
        issue = self.by_number.get(int(args["number"]))
        if issue is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/rest/issues/issues#get-an-issue")
        return issue, {"x-accepted-oauth-scopes": "repo"}

    def rest_issues(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET …/issues: filtered, sorted, paged; pull requests included."""
        self._repo_check(args)

        def param(name: str, default: str | None = None) -> str | None:
            return query.get(name, [default])[0]

        def invalid(name: str, value: Any) -> GitHubError:
            return GitHubError(
                422,
                "Validation Failed",
                ISSUE_LIST_DOCS,
                errors=[{"value": value, "resource": "Issue", "field": name, "code": "invalid"}],
            )

        state = param("state") or "open"
        sort, direction = param("sort") or "created", param("direction") or "desc"
        if state not in ("open", "closed", "all"):
            raise invalid("state", state)
        if sort not in ("created", "updated", "comments"):
            raise invalid("sort", sort)
        if direction not in ("asc", "desc"):
            raise invalid("direction", direction)
        items = [i for i in self.issues if state == "all" or i["state"] == state]
        wanted = [w.strip().lower() for w in (param("labels") or "").split(",") if w.strip()]
        if wanted:
            items = [i for i in items if set(wanted) <= {entry["name"].lower() for entry in i["labels"]}]
        items = [i for i in items if _choice(param("milestone"), str((i["milestone"] or {}).get("number", "")))]
        items = [i for i in items if _choice(param("assignee"), *[a["login"] for a in i["assignees"]])]
        items = [i for i in items if _choice(param("type"), (i.get("type") or {}).get("name", ""))]
        creator = param("creator")
        if creator:
            items = [i for i in items if i["user"]["login"].lower() == creator.lower()]
        since = param("since")
        if since:
            try:
                moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
                moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
            except ValueError:
                raise invalid("since", since) from None
            items = [i for i in items if datetime.fromisoformat(i["updated_at"].replace("Z", "+00:00")) >= moment]
        key = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[sort]
        items = sorted(items, key=lambda i: (i[key], i["number"]), reverse=direction == "desc")
        return self._page(items, raw_query, query, f"/repositories/{self.repo_json['id']}/issues")

    def rest_milestones(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET …/milestones: open by default, by due date."""
        self._repo_check(args)
        state = query.get("state", ["open"])[0]
        found = [m for m in self.milestones.values() if state == "all" or m["state"] == state]
        found.sort(key=lambda m: (m["due_on"] is None, m["due_on"] or "", m["number"]))
        if query.get("direction", ["asc"])[0] == "desc":
            found.reverse()
        return self._page(found, raw_query, query, f"/repositories/{self.repo_json['id']}/milestones")

    def rest_milestone(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET …/milestones/{number}."""
        self._repo_check(args)
        found = self.milestones.get(int(args["number"]))
        if found is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/rest/issues/milestones#get-a-milestone")
        return found, {}

    def rest_labels(self, args: Json, raw_query: str, query: dict[str, list[str]]) -> tuple[Any, dict[str, str]]:
        """GET …/labels: every label used by the issues, by name."""
        self._repo_check(args)
        found = {entry["name"]: entry for i in self.issues for entry in i["labels"]}
        return self._page(
            [found[k] for k in sorted(found, key=str.lower)],
            raw_query,
            query,
            f"/repositories/{self.repo_json['id']}/labels",
        )

    def _page(
        self, items: list[Json], raw_query: str, query: dict[str, list[str]], link_path: str
    ) -> tuple[Any, dict[str, str]]:
        """One page (per_page at most 100, default 30) and GitHub's Link header: prev, next, last, first."""
        size, page = _int(query.get("per_page", [""])[0], 30), _int(query.get("page", [""])[0], 1)
        size, page = (30 if size < 1 else min(size, 100)), max(page, 1)
        last = max(1, math.ceil(len(items) / size))
        links = []
        for rel, target in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
                links.append(f'<{self.standin.api_url}{link_path}?{_with_page(raw_query, target)}>; rel="{rel}"')
        headers = {"x-accepted-oauth-scopes": "repo"} | ({"link": ", ".join(links)} if links else {})
        return items[(page - 1) * size : page * size], headers

    # -- GraphQL -----------------------------------------------------------------------------------------------

    def _graphql(self, method: str, body: Any, rate: dict[str, str], exceeded: bool) -> Reply:
        if method != "POST":
            return self._error_reply(GitHubError(404, "Not Found", f"{DOCS}/graphql"), rate)
        if not isinstance(body, dict):
            return self._error_reply(GitHubError(400, "Problems parsing JSON", f"{DOCS}/graphql"), rate)
        if exceeded:
            answer: Json = {
                "errors": [{"type": "RATE_LIMITED", "message": PRIMARY.split(" If")[0].format(uid=self.me["id"])}]
            }
        elif not isinstance(body.get("query"), str):
            answer = {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        else:
            answer = _Execution(self, body["query"], body.get("variables") or {}, body.get("operationName")).run()
        text = self._rehome(json.dumps(answer, ensure_ascii=False))
        return Reply(200, text.encode("utf-8"), headers=rate)

    def _user_node(self, login: str) -> Json:
        user = self.users.get(login.lower()) or {}
        return {
            "__typename": "User",
            "login": user.get("login", login),
            "id": user.get("node_id"),
            "databaseId": user.get("id"),
            "name": user.get("name"),
            "url": f"{WEB}/{user.get('login', login)}",
            "resourcePath": f"/{user.get('login', login)}",
            "projectsV2": [],
        }

    def _owner(self, kind: str, login: str) -> Json | None:
        if login.lower() == self.s.owner.lower():
            return self.owner_node if self.owner_node["__typename"] == kind else None
        if kind == "User" and login.lower() in self.users:
            return self._user_node(login)
        return None

    def _repository_owner(self, obj: Json, args: Json) -> Json | None:
        login = str(args.get("login", ""))
        return self._owner("Organization", login) or self._owner("User", login)

    def _repository(self, obj: Json, args: Json) -> Json | None:
        s = self.s
        if str(args.get("owner", "")).lower() != s.owner.lower() or str(args.get("name", "")).lower() != s.repo.lower():
            raise _FieldError(
                "NOT_FOUND",
                f"Could not resolve to a Repository with the name '{args.get('owner')}/{args.get('name')}'.",
            )
        node = (
            github_data.issue_content(self.issues[0], s.owner, s.repo, s.owner_kind)["repository"]
            if self.issues
            else {"__typename": "Repository", "name": s.repo, "nameWithOwner": f"{s.owner}/{s.repo}"}
        )
        return {
            **node,
            "projectsV2": [self.project],
            "description": self.repo_json["description"],
            "isPrivate": self.s.private,
            "createdAt": self.repo_json["created_at"],
        }

    def _project(self, obj: Json, args: Json) -> Json | None:
        if self.s.actions_token:
            raise _FieldError("FORBIDDEN", INTEGRATION, {"saml_failure": False})
        number = args.get("number")
        found = next((p for p in obj.get("projectsV2") or [] if p["number"] == number), None)
        if found is None:
            raise _FieldError("NOT_FOUND", f"Could not resolve to a ProjectV2 with the number {number}.")
        return found

    def _projects(self, obj: Json, args: Json) -> list[Json]:
        if self.s.actions_token:
            raise _FieldError("FORBIDDEN", INTEGRATION, {"saml_failure": False})
        return obj.get("projectsV2") or []

    def _repository_issues(self, obj: Json, args: Json) -> list[Json]:
        """Repository.issues: oldest first (GitHub's default order), filtered by states and labels."""
        s = self.s
        states = {st.lower() for st in args.get("states") or ["OPEN", "CLOSED"]}
        wanted = {name.lower() for name in args.get("labels") or []}
        found = [
            i
            for i in sorted(self.issues, key=lambda i: i["number"])
            if "pull_request" not in i
            and i["state"] in states
            and (not wanted or wanted & {e["name"].lower() for e in i["labels"]})
        ]
        return [github_data.issue_content(i, s.owner, s.repo, s.owner_kind) for i in found]

    def _repository_pulls(self, obj: Json, args: Json) -> list[Json]:
        s = self.s
        found = [
            github_data.issue_content(i, s.owner, s.repo, s.owner_kind)
            for i in sorted(self.issues, key=lambda i: i["number"])
            if "pull_request" in i
        ]
        states = {st.upper() for st in args.get("states") or []}
        return [p for p in found if not states or p["state"] in states]

    def _nodes(self, obj: Json, args: Json) -> list[Json | None]:
        """Query.nodes(ids:): the repository's issues and pull requests by global id, None for an unknown id."""
        s = self.s
        by_id = {i["node_id"]: i for i in self.issues}
        ids = args.get("ids") or []
        if len(ids) > 100:
            raise _FieldError("EXCESSIVE_PAGINATION", f"You may not request more than 100 nodes ({len(ids)} given).")
        found = [by_id.get(str(node_id)) for node_id in ids]
        return [github_data.issue_content(i, s.owner, s.repo, s.owner_kind) if i else None for i in found]

    def _rate_node(self, obj: Json, args: Json) -> Json:
        budget = self.budgets["graphql"].overview()
        reset = datetime.fromtimestamp(budget["reset"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "__typename": "RateLimit",
            "limit": budget["limit"],
            "cost": 1,
            "remaining": budget["remaining"],
            "used": budget["used"],
            "resetAt": reset,
            "nodeCount": 0,
        }


def _owner_resolver(site: _Site, kind: str) -> Any:
    """The resolver of Query.organization or Query.user: NOT_FOUND for a login of another kind or unknown."""
    article = "an Organization" if kind == "Organization" else "a User"

    def resolve(obj: Json, args: Json) -> Json:
        login = str(args.get("login", ""))
        found = site._owner(kind, login)
        if found is None:
            raise _FieldError("NOT_FOUND", f"Could not resolve to {article} with the login of '{login}'.")
        return found

    return resolve


def _choice(wanted: str | None, *values: str) -> bool:
    """A GitHub filter value: absent (all), "*" (any value), "none" (no value) or one value (case-insensitive)."""
    present = [v for v in values if v]
    if wanted in (None, ""):
        return True
    if wanted == "*":
        return bool(present)
    if wanted.lower() == "none":
        return not present
    return wanted.lower() in {v.lower() for v in present}


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _with_page(raw_query: str, page: int) -> str:
    """The request's query string with page set to `page`, in place if present, else appended (as GitHub does)."""
    parts = [p for p in raw_query.split("&") if p]
    for k, part in enumerate(parts):
        if part.split("=", 1)[0] == "page":
            parts[k] = f"page={page}"
            return "&".join(parts)
    return "&".join(parts + [f"page={page}"])
