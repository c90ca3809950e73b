"""Issue, field and sprint payloads for the Jira stand-in, built from the real data in ../shared/data.

Texts come from real Jira projects (jira_storypoints: Spring XD, Jira Software, Mesos; the Dalpiaz user-story
backlogs; one real Given/When/Then description, EVG-3204); shapes follow the real payloads in
api_payloads/jira. Everything is deterministic: the same arguments give the same issues.
Issue links point at SITE; the stand-in replaces it with its own base URL when it answers.
"""

from __future__ import annotations

import copy
import csv
import json
import random
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"  # as tests/conftest.py
PAYLOADS = Path("api_payloads") / "jira"
SITE = "https://jira.stand-in.invalid"
NOW = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)
DC_TZ = timezone(timedelta(hours=-8))

Json = dict[str, Any]

# -- field definitions -------------------------------------------------------------------------------------

GH = "com.pyxis.greenhopper.jira:"
CF = "com.atlassian.jira.plugin.system.customfieldtypes:"


@dataclass(frozen=True)
class CustomField:
    """One custom field as /field lists it."""

    id: str
    name: str
    custom: str  # schema.custom
    type: str  # schema.type
    items: str | None = None

    def definition(self, cloud: bool) -> Json:
        """The /field entry, in Cloud's or Data Center's shape."""
        number = int(self.id.rsplit("_", 1)[1])
        schema = {
            "type": self.type,
            **({"items": self.items} if self.items else {}),
            "custom": self.custom,
            "customId": number,
        }
        entry: Json = {
            "id": self.id,
            "name": self.name,
            "custom": True,
            "orderable": True,
            "navigable": True,
            "searchable": True,
            "clauseNames": [f"cf[{number}]", self.name],
            "schema": schema,
        }
        if cloud:
            entry = {
                "id": self.id,
                "key": self.id,
                "name": self.name,
                "untranslatedName": self.name,
                **{k: v for k, v in entry.items() if k not in ("id", "name")},
            }
        return entry


@dataclass(frozen=True)
class FieldSet:
    """The custom fields a site uses for estimates, sprints, rank, epics and acceptance criteria."""

    story_points: CustomField
    sprint: CustomField
    rank: CustomField
    flagged: CustomField
    epic_link: CustomField | None = None  # Data Center; Cloud uses the system field "parent"
    epic_name: CustomField | None = None
    acceptance_criteria: CustomField | None = None
    decoys: tuple[CustomField, ...] = ()  # defined on the site, never set on an issue

    def all(self) -> list[CustomField]:
        """Every custom field of the site, decoys included."""
        named = [
            self.story_points,
            self.sprint,
            self.rank,
            self.flagged,
            self.epic_link,
            self.epic_name,
            self.acceptance_criteria,
            *self.decoys,
        ]
        return [f for f in named if f is not None]

    def with_acceptance_criteria(self, field: CustomField | None = None) -> FieldSet:
        """This set plus an "Acceptance Criteria" textarea field."""
        return replace(self, acceptance_criteria=field or ACCEPTANCE_CRITERIA)


ACCEPTANCE_CRITERIA = CustomField("customfield_12310243", "Acceptance Criteria", CF + "textarea", "string")
_CLOUD_SPRINT = CustomField("customfield_10020", "Sprint", GH + "gh-sprint", "array", "json")
_CLOUD_RANK = CustomField("customfield_10019", "Rank", GH + "gh-lexo-rank", "any")
_CLOUD_FLAGGED = CustomField("customfield_10021", "Flagged", CF + "multicheckboxes", "array", "option")
_DEVELOPMENT = CustomField(
    "customfield_10000",
    "Development",
    "com.atlassian.jira.plugins.jira-development-integration-plugin:devsummarycf",
    "any",
)
CLOUD_TEAM_MANAGED = FieldSet(
    story_points=CustomField("customfield_10016", "Story point estimate", GH + "jsw-story-points", "number"),
    sprint=_CLOUD_SPRINT,
    rank=_CLOUD_RANK,
    flagged=_CLOUD_FLAGGED,
    decoys=(_DEVELOPMENT,),
)
CLOUD_COMPANY_MANAGED = FieldSet(
    story_points=CustomField("customfield_10028", "Story Points", CF + "float", "number"),
    sprint=_CLOUD_SPRINT,
    rank=_CLOUD_RANK,
    flagged=_CLOUD_FLAGGED,
    decoys=(_DEVELOPMENT, CustomField("customfield_10016", "Story point estimate", GH + "jsw-story-points", "number")),
)
DATACENTER = FieldSet(
    story_points=CustomField("customfield_10106", "Story Points", CF + "float", "number"),
    sprint=CustomField("customfield_10104", "Sprint", GH + "gh-sprint", "array", "string"),
    rank=CustomField("customfield_10105", "Rank", GH + "gh-lexo-rank", "any"),
    flagged=CustomField("customfield_10100", "Flagged", CF + "multicheckboxes", "array", "option"),
    epic_link=CustomField("customfield_10101", "Epic Link", GH + "gh-epic-link", "any"),
    epic_name=CustomField("customfield_10102", "Epic Name", GH + "gh-epic-label", "string"),
)

# id, name, schema type, schema items, clause names (summary and description come from the real payloads)
_SYSTEM_FIELDS = [
    ("issuekey", "Key", None, None, ["id", "issue", "issuekey", "key"]),
    ("issuetype", "Issue Type", "issuetype", None, ["issuetype", "type"]),
    ("status", "Status", "status", None, ["status"]),
    ("priority", "Priority", "priority", None, ["priority"]),
    ("labels", "Labels", "array", "string", ["labels"]),
    ("components", "Components", "array", "component", ["component"]),
    ("created", "Created", "datetime", None, ["created", "createdDate"]),
    ("updated", "Updated", "datetime", None, ["updated", "updatedDate"]),
    ("assignee", "Assignee", "user", None, ["assignee"]),
    ("reporter", "Reporter", "user", None, ["reporter"]),
    ("project", "Project", "project", None, ["project"]),
    ("resolution", "Resolution", "resolution", None, ["resolution"]),
    ("resolutiondate", "Resolved", "datetime", None, ["resolutiondate", "resolved"]),
    ("issuelinks", "Linked Issues", "array", "issuelinks", []),
    ("subtasks", "Sub-tasks", "array", "issuelinks", ["subtasks"]),
]


def field_list(deployment: str, field_set: FieldSet | None = None, data_dir: Path | None = None) -> list[Json]:
    """The /field answer: the real summary/description entries, the system fields, then the custom fields."""
    cloud = deployment == "cloud"
    field_set = field_set or (CLOUD_TEAM_MANAGED if cloud else DATACENTER)
    source = "atlassian_openapi_examples/field_GET_200.json" if cloud else "go_jira_mock_data/all_fields.json"
    fields = load_json(source, data_dir)
    for fid, name, kind, items, clauses in _SYSTEM_FIELDS:
        entry: Json = {
            "id": fid,
            "key": fid,
            "name": name,
            "custom": False,
            "orderable": kind is not None,
            "navigable": True,
            "searchable": True,
            "clauseNames": clauses,
        }
        if kind:
            entry["schema"] = {"type": kind, **({"items": items} if items else {}), "system": fid}
        fields.append(entry)
    if cloud:  # no schema: the hierarchy field of Cloud has none
        fields.append(
            {
                "id": "parent",
                "key": "parent",
                "name": "Parent",
                "custom": False,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": ["parent"],
            }
        )
    return fields + [f.definition(cloud) for f in field_set.all()]


# -- real data ---------------------------------------------------------------------------------------------


def load_json(relative: str, data_dir: Path | None = None) -> Any:
    """A payload under api_payloads/jira, parsed fresh."""
    return copy.deepcopy(_load_json(str((data_dir or SHARED_DATA) / PAYLOADS / relative)))


@cache
def _load_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@cache
def _csv_rows(path: str) -> tuple[dict[str, str], ...]:
    csv.field_size_limit(1 << 24)
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def storypoint_rows(project: str, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """Rows of a jira_storypoints CSV: key, title, description (line breaks restored, None for NULL), points."""
    path = (data_dir or SHARED_DATA) / "jira_storypoints" / "choetkiertikul2018_deep_se" / f"{project}.csv"
    rows = []
    for row in _csv_rows(str(path)):
        rows.append(
            {
                "key": row["issuekey"],
                "title": " ".join(row["title"].split()),
                "description": description_text(row["description"]),
                "points": float(row["storypoint"]),
            }
        )
    return rows


def description_text(raw: str | None) -> str | None:
    """A story-point set's description with its line breaks restored (the sets wrote them as runs of spaces);
    None for an empty or NULL one."""
    return None if raw in (None, "", "NULL") else re.sub(r" {2,}", "\n", raw).strip()


def user_stories(data_dir: Path | None = None) -> list[str]:
    """Real "As a … I want … so that …" stories from two Dalpiaz backlogs."""
    folder = (data_dir or SHARED_DATA) / "dalpiaz_user_stories" / "stories"
    lines = []
    for name in ("g13-planningpoker.txt", "g10-scrumalliance.txt"):
        lines += [s.strip() for s in (folder / name).read_text(encoding="utf-8").splitlines() if "so that" in s]
    return lines


_BUG = re.compile(r"(?i)\b(fail\w*|crash\w*|error|exception|broken|bug|npe|leak\w*|wrong)\b")
_AC = re.compile(r"(?is)acceptance criteria:?\s*(.*)")


def _criteria(text: str) -> list[str]:
    """The list items after "Acceptance Criteria" in a wiki text."""
    match = _AC.search(text)
    items = re.split(r"(?:^|\s)[#*-]+\s+", match.group(1)) if match else []
    return [" ".join(i.split()) for i in items if len(i.split()) > 2]


@cache
def _pools(data_dir: str) -> Json:
    """The real texts the Cloud builder draws from."""
    base = Path(data_dir)
    xd = storypoint_rows("springxd", base)
    jsw = [r for r in storypoint_rows("jirasoftware", base) if r["key"].startswith("JSW-")]
    mesos = storypoint_rows("mesos", base)
    with_ac = [r for r in xd if r["description"] and len(_criteria(r["description"])) >= 2]
    return {
        "ac": [(r, _criteria(r["description"])) for r in with_ac],
        "stories": user_stories(base),
        "as_a": [r for r in jsw if r["title"].lower().startswith("as a")],
        "bugs": [r for r in mesos if _BUG.search(r["title"]) and r["description"]],
        "tasks": [r for r in xd if r["description"] and r not in with_ac],
        "epics": [r for r in xd if r["points"] >= 13],
    }


# Given/When/Then: EVG-3204 is real; the other three are written for the stand-in (real data has almost none).
_GWT = [
    None,  # EVG-3204 from the CSV
    [
        "Given a sprint with committed stories",
        "When the Product Owner removes a story from the sprint",
        "Then the story returns to the top of the backlog",
    ],
    [
        "Given a backlog item without an estimate",
        "When the team votes in planning poker",
        "Then the agreed estimate is stored on the item",
    ],
    ["Given an epic with three open stories", "When the last story is resolved", "Then the epic shows 100% progress"],
]


def _strip_heading(text: str) -> str:
    """Text without a dangling heading mark at its end ("… h2." before "Acceptance Criteria")."""
    return re.sub(r"\s*h[1-6]\.\s*$", "", text).strip()


def _gwt_lines(k: int, data_dir: Path) -> list[str]:
    if k % len(_GWT):
        return _GWT[k % len(_GWT)]
    rows = _csv_rows(str(data_dir / "jira_storypoints" / "tawosi2022_tawos_deep_se" / "EVG_deep-se.csv"))
    text = next(r["description"] for r in rows if r["issuekey"] == "EVG-3204")
    return [line.strip() for line in re.sub(r" {2,}", "\n", text).splitlines() if line.strip()]


# -- ADF <-> wiki markup -----------------------------------------------------------------------------------

_INLINE = re.compile(r"\{\{(.+?)\}\}|(?<![\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])|\[([^|\]\n]+)\|([^\]\n]+)\]")
_CODE = re.compile(r"\{(code|noformat)(?::([^}]*))?\}(.*?)\{\1\}", re.DOTALL | re.IGNORECASE)
_HEADING = re.compile(r"h([1-6])\.\s*(.*)")
_ITEM = re.compile(r"([*#-]+)\s+(.*)")


def _text(text: str, marks: list[Json] | None = None) -> Json:
    return {"type": "text", "text": text, **({"marks": marks} if marks else {})}


def _inline(text: str) -> list[Json]:
    """Wiki inline markup ({{code}}, *bold*, [text|url]) as ADF text nodes."""
    nodes, pos = [], 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            nodes.append(_text(text[pos : m.start()]))
        if m.group(1) is not None:
            nodes.append(_text(m.group(1), [{"type": "code"}]))
        elif m.group(2) is not None:
            nodes.append(_text(m.group(2), [{"type": "strong"}]))
        else:
            nodes.append(_text(m.group(3), [{"type": "link", "attrs": {"href": m.group(4)}}]))
        pos = m.end()
    return nodes + ([_text(text[pos:])] if pos < len(text) else [])


def paragraph(*lines: str) -> Json:
    """An ADF paragraph; several lines are joined with hard breaks."""
    content: list[Json] = []
    for i, line in enumerate(lines):
        content += ([{"type": "hardBreak"}] if i else []) + _inline(line)
    return {"type": "paragraph", "content": content}


def heading(text: str, level: int = 3) -> Json:
    """An ADF heading."""
    return {"type": "heading", "attrs": {"level": level}, "content": _inline(text)}


def bullet_list(items: list[str], ordered: bool = False) -> Json:
    """An ADF bullet (or ordered) list of one-paragraph items."""
    return {
        "type": "orderedList" if ordered else "bulletList",
        "content": [{"type": "listItem", "content": [paragraph(i)]} for i in items],
    }


def task_list(items: list[str], done: int = 0) -> Json:
    """An ADF task list; the first `done` items are checked."""
    return {
        "type": "taskList",
        "attrs": {"localId": "tl-1"},
        "content": [
            {
                "type": "taskItem",
                "attrs": {"localId": f"ti-{i}", "state": "DONE" if i < done else "TODO"},
                "content": _inline(item),
            }
            for i, item in enumerate(items)
        ],
    }


def doc(*blocks: Json) -> Json:
    """An ADF document."""
    return {"type": "doc", "version": 1, "content": list(blocks)}


def wiki_to_adf(text: str) -> Json:
    """Jira wiki markup (headings, lists, code blocks, paragraphs) as an ADF document."""
    text = re.sub(r"(?m)^(h[1-6]\.)[ \t]*\n(?=\S)", r"\1 ", text)  # "h2.\nTitle": a break the CSV lost
    blocks, pos = [], 0
    for m in _CODE.finditer(text):
        blocks += _wiki_blocks(text[pos : m.start()])
        body = m.group(3).strip("\n")
        language = (m.group(2) or "").split("|")[0].strip()
        blocks.append(
            {
                "type": "codeBlock",
                "attrs": {"language": language} if language else {},
                **({"content": [_text(body)]} if body else {}),
            }
        )
        pos = m.end()
    return doc(*blocks, *_wiki_blocks(text[pos:]))


def _wiki_blocks(text: str) -> list[Json]:
    blocks: list[Json] = []
    lines: list[str] = []
    current: Json | None = None
    for raw in text.split("\n") + [""]:
        line = raw.strip()
        head, item = _HEADING.fullmatch(line), _ITEM.fullmatch(line)
        if lines and (not line or head or item):
            blocks.append(paragraph(*lines))
            lines = []
        if not line or head:
            current = None
            if head:
                blocks.append(heading(head.group(2), int(head.group(1))))
        elif item:
            kind = "orderedList" if item.group(1)[-1] == "#" else "bulletList"
            if current is None or current["type"] != kind:
                current = {"type": kind, "content": []}
                blocks.append(current)
            current["content"].append({"type": "listItem", "content": [paragraph(item.group(2))]})
        else:
            current = None
            lines.append(line)
    return blocks


_MARKS = {"strong": "*{}*", "em": "_{}_", "code": "{{{{{}}}}}", "strike": "-{}-", "underline": "+{}+"}


def adf_to_wiki(node: Json | None) -> str | None:
    """An ADF document as the wiki markup Jira Cloud's v2 API and the Agile API return (approximately)."""
    if not isinstance(node, dict):
        return node
    return "\n\n".join(b for b in (_block(c) for c in node.get("content") or []) if b)


def _block(node: Json, depth: int = 1) -> str:
    kind, content = node.get("type"), node.get("content") or []
    if kind == "paragraph":
        return _wiki_inline(content)
    if kind == "heading":
        return f"h{node['attrs']['level']}. {_wiki_inline(content)}"
    if kind in ("bulletList", "orderedList", "taskList"):
        mark = ("#" if kind == "orderedList" else "*") * depth
        lines = []
        for item in content:
            parts = item.get("content") or []
            if item.get("type") == "taskItem":
                lines.append(f"{mark} {_wiki_inline(parts)}")
                continue
            lines += [
                _block(p, depth + 1) if "List" in p.get("type", "") else f"{mark} {_block(p, depth)}" for p in parts
            ]
        return "\n".join(lines)
    if kind == "codeBlock":
        language = (node.get("attrs") or {}).get("language")
        return f"{{code{':' + language if language else ''}}}\n{_wiki_inline(content)}\n{{code}}"
    if kind in ("blockquote", "panel"):
        tag = "quote" if kind == "blockquote" else "panel"
        return f"{{{tag}}}\n" + "\n".join(_block(c) for c in content) + f"\n{{{tag}}}"
    if kind == "rule":
        return "----"
    if kind == "table":
        rows = []
        for row in content:
            cells = row.get("content") or []
            sep = "||" if cells and cells[0].get("type") == "tableHeader" else "|"
            rows.append(sep + sep.join(" ".join(_block(b) for b in c.get("content") or []) for c in cells) + sep)
        return "\n".join(rows)
    return "\n".join(_block(c, depth) for c in content) if content else ""


def _wiki_inline(nodes: list[Json]) -> str:
    out = []
    for node in nodes:
        kind, attrs = node.get("type"), node.get("attrs") or {}
        if kind == "text":
            text = node.get("text", "")
            for mark in node.get("marks") or []:
                if mark.get("type") == "link":
                    text = f"[{text}|{(mark.get('attrs') or {}).get('href', '')}]"
                elif mark.get("type") in _MARKS:
                    text = _MARKS[mark["type"]].format(text)
            out.append(text)
        elif kind == "hardBreak":
            out.append("\n")
        elif kind == "mention":
            out.append(f"[~accountid:{attrs.get('id', '')}]")
        elif kind == "inlineCard":
            out.append(f"[{attrs.get('url', '')}|{attrs.get('url', '')}|smart-link]")
        elif kind in ("emoji", "status"):
            out.append(str(attrs.get("shortName") or attrs.get("text") or ""))
        else:
            out.append(_wiki_inline(node.get("content") or []))
    return "".join(out)


# -- sprints -----------------------------------------------------------------------------------------------

SPRINT_GOALS = ["", "Ingest syslog", "", "Job DSL", "Stabilise ingestion, then ship the DSL", "Board reports", "", ""]


def board_sprints(deployment: str, board_id: int = 1, now: datetime = NOW) -> list[Json]:
    """Agile sprint objects of a board: five closed, one active, two future (two-week sprints)."""
    active_start = now - timedelta(days=5)
    prefix = "AR Sprint" if deployment == "cloud" else "Sprint"
    sprints = []
    for k in range(1, 9):
        sid = 36 + k + 100 * (board_id - 1)
        state = "closed" if k < 6 else "active" if k == 6 else "future"
        sprint: Json = {
            "id": sid,
            "self": f"{SITE}/rest/agile/1.0/sprint/{sid}",
            "state": state,
            "name": f"{prefix} {k}",
        }
        if k <= 7:
            start = active_start + timedelta(days=14 * (k - 6), hours=1)
            sprint["startDate"] = _agile_time(start, deployment)
            sprint["endDate"] = _agile_time(start + timedelta(days=14), deployment)
        if state == "closed":
            sprint["completeDate"] = _agile_time(start + timedelta(days=14, hours=3), deployment)
        sprint.update(originBoardId=board_id, goal=SPRINT_GOALS[k - 1])
        sprints.append(sprint)
    return sprints


def _agile_time(moment: datetime, deployment: str) -> str:
    if deployment == "cloud":
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return moment.astimezone(DC_TZ).isoformat(timespec="milliseconds")


def cloud_sprint_value(sprint: Json) -> Json:
    """A sprint as the Cloud Sprint custom field holds it."""
    keys = ("id", "name", "state", "originBoardId", "goal", "startDate", "endDate", "completeDate")
    value = {k: sprint[k] for k in keys if k in sprint}
    value["boardId"] = value.pop("originBoardId")
    return value


def legacy_sprint_value(sprint: Json) -> str:
    """A sprint as Data Center's Sprint field holds it: GreenHopper's toString()."""
    attrs = [
        ("id", sprint["id"]),
        ("rapidViewId", sprint["originBoardId"]),
        ("state", sprint["state"].upper()),
        ("name", sprint["name"]),
        ("goal", sprint.get("goal", "")),
        ("startDate", sprint.get("startDate", "<null>")),
        ("endDate", sprint.get("endDate", "<null>")),
        ("completeDate", sprint.get("completeDate", "<null>")),
        ("sequence", sprint["id"]),
    ]
    body = ",".join(f"{k}={v}" for k, v in attrs)
    return f"com.atlassian.greenhopper.service.sprint.Sprint@{sprint['id'] * 2654435761 % (1 << 32):x}[{body}]"


# -- issues ------------------------------------------------------------------------------------------------

STATUSES = {  # name: (id, category key)
    "To Do": ("10000", "new"),
    "Backlog": ("10005", "new"),
    "Selected for Development": ("10603", "new"),
    "In Progress": ("10602", "indeterminate"),
    "In Review": ("10004", "indeterminate"),
    "Done": ("10601", "done"),
}
CATEGORIES = {
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
}
TYPES = {  # name: (cloud id, dc id, hierarchy level)
    "Epic": ("10000", "10000", 1),
    "Story": ("10001", "10001", 0),
    "Task": ("10002", "3", 0),
    "Sub-task": ("10003", "5", -1),
    "Bug": ("10004", "1", 0),
}
PRIORITIES = {
    "cloud": ["Highest", "High", "Medium", "Medium", "Low", "Lowest"],
    "datacenter": ["Blocker", "Critical", "Major", "Major", "Minor", "Trivial"],
}
PEOPLE = {
    "cloud": [
        ("Mia Krystof", "5b10a2844c20165700ede21g"),
        ("Person A", "5b10ac8d82e05b22cc7d4ef5"),
        ("Person B", "5d1f5a2e8c4b6a0c1a2b3c4d"),
        None,
    ],
    "datacenter": [("mister Morris", "mister.morris"), ("Daniel Vacanti", "admin"), ("Person C", "person.c"), None],
}
LABELS = [[], ["backend"], ["frontend", "ux"], [], ["tech-debt"], ["customer"], []]
COMPONENTS = [[], ["Team 1"], ["API"], [], ["Web", "API"]]
COMPONENT_IDS = {"Team 1": "10002", "API": "10003", "Web": "10004"}
PROJECTS = {
    "AR": ("10302", "Team Argon"),
    "UT": ("10100", "Upload Test"),
    "XD": ("10010", "Spring XD"),
    "JSW": ("10020", "JIRA Software"),
}


def _timestamp(moment: datetime, deployment: str) -> str:
    tz = timezone.utc if deployment == "cloud" else DC_TZ
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S.000%z")


def _plan(n: int, deployment: str, seed: int) -> list[Json]:
    """Kinds, statuses, sprints, dates, people and epic/sub-task structure of n issues (texts come later)."""
    rng = random.Random(seed)
    sprints = board_sprints(deployment)
    plan = []
    for i in range(n):
        kind = "Epic" if i % 20 == 0 else "Sub-task" if i % 16 == 15 else None
        r = rng.random()
        status = (
            ["In Progress", "In Review"][i % 2]
            if kind == "Epic"
            else "Done"
            if r < 0.15
            else ["In Progress", "In Review"][i % 2]
            if r < 0.3
            else ["To Do", "Backlog", "To Do", "Selected for Development"][i % 4]
        )
        created = NOW - timedelta(days=300 * (n - i) / n + 2, hours=rng.randrange(0, 10), minutes=rng.randrange(60))
        stale = rng.random() < 0.1
        updated = min(NOW - timedelta(hours=1), created + timedelta(days=1 if stale else rng.uniform(1, 90)))
        plan.append(
            {
                "i": i,
                "kind": kind,
                "status": status,
                "created": created,
                "updated": updated,
                "sprints": _sprints_for(STATUSES[status][1], kind, rng, sprints),
                "priority": PRIORITIES[deployment][rng.randrange(6)],
                "labels": LABELS[i % len(LABELS)],
                "components": COMPONENTS[i % len(COMPONENTS)],
                "assignee": PEOPLE[deployment][i % 4],
                "reporter": PEOPLE[deployment][(i + 1) % 3],
                "flagged": i % 17 == 5,
                "epic": None,
                "parent": None,
                "estimated": i % 7 != 4,
            }
        )
    for item in plan:
        i = item["i"]
        if item["kind"] == "Sub-task":
            item["parent"], item["sprints"] = i - 1, plan[i - 1]["sprints"]
        elif item["kind"] != "Epic" and i % 5 != 3:
            item["epic"] = i // 20 * 20
    return plan


def _sprints_for(category: str, kind: str | None, rng: random.Random, sprints: list[Json]) -> list[Json]:
    if kind == "Epic":
        return []
    r = rng.random()
    if category == "done":
        k = 5 if r < 0.1 else rng.randrange(0, 5)
        return sprints[max(0, k - 1) : k + 1] if rng.random() < 0.2 and k else [sprints[k]]
    if category == "indeterminate":
        return sprints[4:6] if r < 0.3 else [sprints[5]]
    return (
        [sprints[5]]
        if r < 0.15
        else [sprints[6]]
        if r < 0.3
        else [sprints[7]]
        if r < 0.4
        else [sprints[rng.randrange(5)]]
        if r < 0.5
        else []
    )


def _stub(issue: Json) -> Json:
    """How another issue appears inside links, parent and subtasks."""
    f = issue["fields"]
    return {
        "id": issue["id"],
        "key": issue["key"],
        "self": issue["self"],
        "fields": {k: f[k] for k in ("summary", "status", "priority", "issuetype")},
    }


def _named(kind: str, name: str, ident: str) -> Json:
    return {"self": f"{SITE}/rest/api/2/{kind}/{ident}", "id": ident, "name": name}


def _person(who: tuple[str, str] | None, deployment: str) -> Json | None:
    if who is None:
        return None
    if deployment == "cloud":
        return {
            "self": f"{SITE}/rest/api/3/user?accountId={who[1]}",
            "accountId": who[1],
            "displayName": who[0],
            "active": True,
            "accountType": "atlassian",
            "timeZone": "Etc/UTC",
        }
    return {
        "self": f"{SITE}/rest/api/2/user?username={who[1]}",
        "name": who[1],
        "key": who[1],
        "displayName": who[0],
        "active": True,
        "timeZone": "America/New_York",
    }


def _base_issue(item: Json, ident: str, key: str, project: str, deployment: str, fs: FieldSet) -> Json:
    """The fields every issue has, without texts, sprints and relations."""
    cloud = deployment == "cloud"
    status_id, category = STATUSES[item["status"]]
    cat_id, color, cat_name = CATEGORIES[category]
    type_ids = TYPES[item["kind"]]
    issuetype = {
        **_named("issuetype", item["kind"], type_ids[0 if cloud else 1]),
        "subtask": item["kind"] == "Sub-task",
    }
    if cloud:
        issuetype["hierarchyLevel"] = type_ids[2]
    priority_id = str(PRIORITIES[deployment].index(item["priority"]) + 1)
    done = category == "done"
    fields = {
        "summary": item["summary"],
        "description": item["description"],
        "issuetype": issuetype,
        "project": {**_named("project", PROJECTS[project][1], PROJECTS[project][0]), "key": project},
        "status": {
            **_named("status", item["status"], status_id),
            "statusCategory": {
                "self": f"{SITE}/rest/api/2/statuscategory/{cat_id}",
                "id": cat_id,
                "key": category,
                "colorName": color,
                "name": cat_name,
            },
        },
        "priority": _named("priority", item["priority"], priority_id),
        "labels": list(item["labels"]),
        "components": [_named("component", c, COMPONENT_IDS[c]) for c in item["components"]],
        "created": _timestamp(item["created"], deployment),
        "updated": _timestamp(item["updated"], deployment),
        "resolution": _named("resolution", "Done", "10000") if done else None,
        "resolutiondate": _timestamp(item["updated"], deployment) if done else None,
        "assignee": _person(item["assignee"], deployment),
        "reporter": _person(item["reporter"], deployment),
        "issuelinks": [],
        "subtasks": [],
        fs.story_points.id: item["points"] if item["estimated"] and item["kind"] not in ("Epic", "Sub-task") else None,
        fs.flagged.id: [{"self": f"{SITE}/rest/api/2/customFieldOption/10019", "value": "Impediment", "id": "10019"}]
        if item["flagged"]
        else None,
        fs.sprint.id: [cloud_sprint_value(s) if cloud else legacy_sprint_value(s) for s in item["sprints"]] or None,
    }
    for decoy in fs.decoys:
        fields[decoy.id] = "{}" if decoy is _DEVELOPMENT else None  # Cloud's dev-summary field holds "{}"
    if fs.acceptance_criteria:
        fields[fs.acceptance_criteria.id] = item.get("criteria")
    return {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": ident,
        "self": f"{SITE}/rest/api/2/issue/{ident}",
        "key": key,
        "fields": fields,
    }


def _relate(issues: list[Json], plan: list[Json], deployment: str, fs: FieldSet) -> None:
    """Parents, epic links, sub-task lists and issue links, once every issue exists."""
    for item, issue in zip(plan, issues):
        f = issue["fields"]
        if item["parent"] is not None:
            f["parent"] = _stub(issues[item["parent"]])
            issues[item["parent"]]["fields"]["subtasks"].append(_stub(issue))
        elif item["epic"] is not None and issues[item["epic"]]["fields"]["project"] == f["project"]:
            epic = issues[item["epic"]]
            if deployment == "cloud":
                f["parent"] = _stub(epic)
            else:
                f[fs.epic_link.id] = epic["key"]
    link_types = [("10000", "Blocks", "is blocked by", "blocks"), ("10003", "Relates", "relates to", "relates to")]
    for i, item in enumerate(plan[:-2]):
        other = i + 1 if i % 9 == 4 else i + 2 if i % 13 == 6 else None
        if other is None or "Sub-task" in (item["kind"], plan[other]["kind"]):
            continue
        tid, name, inward, outward = link_types[0 if i % 9 == 4 else 1]
        kind = {
            "id": tid,
            "name": name,
            "inward": inward,
            "outward": outward,
            "self": f"{SITE}/rest/api/2/issueLinkType/{tid}",
        }
        link_id = str(10100 + i)
        issues[i]["fields"]["issuelinks"].append(
            {
                "id": link_id,
                "self": f"{SITE}/rest/api/2/issueLink/{link_id}",
                "type": kind,
                "outwardIssue": _stub(issues[other]),
            }
        )
        issues[other]["fields"]["issuelinks"].append(
            {
                "id": link_id,
                "self": f"{SITE}/rest/api/2/issueLink/{link_id}",
                "type": kind,
                "inwardIssue": _stub(issues[i]),
            }
        )


def _ranked(issues: list[Json], fs: FieldSet, seed: int) -> list[Json]:
    """The issues in rank order (not key order), each with its LexoRank."""
    order = list(range(len(issues)))
    random.Random(seed + 1).shuffle(order)
    for position, i in enumerate(order):
        value, digits = 36**5 + position * 4099, ""
        while value:
            value, d = divmod(value, 36)
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
        issues[i]["fields"][fs.rank.id] = f"0|i{digits}:"
    return [issues[i] for i in order]


def _cloud_texts(item: Json, k: int, pools: Json, fs: FieldSet, data_dir: Path) -> None:
    """Summary, ADF description, points and (optionally) the acceptance-criteria field of a Cloud issue."""

    def pick(pool: str, index: int) -> Any:
        return pools[pool][index % len(pools[pool])]

    variant, j = k % 8, k // 8
    ac_row, criteria = pick("ac", 2 * j + (variant == 1))
    item.update(points=ac_row["points"], criteria=None)
    if item["kind"] == "Epic":
        row = pick("epics", k // 20)
        item.update(summary=row["title"], description=wiki_to_adf(row["description"]) if row["description"] else None)
    elif variant in (0, 2):
        item.update(kind=item["kind"] or "Story", summary=pick("stories", j * 2 + variant // 2))
        if variant == 2:
            item["description"] = doc(*[paragraph(line) for line in _gwt_lines(j, data_dir)])
        elif fs.acceptance_criteria and j % 2 == 0:
            item.update(description=None, criteria=doc(bullet_list(criteria)))
        else:
            item["description"] = doc(heading("Acceptance criteria"), bullet_list(criteria))
    elif variant == 1:
        narrative = re.sub(r"^\s*h[1-6]\.\s*Narrative\s*", "", _strip_heading(_AC.split(ac_row["description"])[0]))
        item.update(
            kind=item["kind"] or "Story",
            summary=ac_row["title"],
            description=doc(
                *wiki_to_adf(narrative)["content"],
                heading("Acceptance Criteria"),
                task_list(criteria, done=1 if j % 3 == 0 else 0),
            ),
        )
    elif variant in (3, 7):
        row = pick("bugs", j * 2 + variant // 7)
        description = wiki_to_adf(row["description"]) if variant == 3 else doc()
        if variant == 7 and j == 0:
            description = load_json("jira_cli_testdata/adf_document_all_nodes.json", data_dir)
        item.update(kind=item["kind"] or "Bug", summary=row["title"], description=description, points=row["points"])
    else:
        row = pick("as_a", 2 * j + (variant == 6)) if variant in (4, 6) else pick("tasks", j)
        text = row["description"] if variant != 4 else None
        item.update(
            kind=item["kind"] or ("Task" if variant == 5 else "Story"),
            summary=row["title"],
            description=wiki_to_adf(text) if text else None,
            points=row["points"],
        )


def cloud_issues(n: int, field_set: FieldSet | None = None, seed: int = 7, data_dir: Path | None = None) -> list[Json]:
    """n Jira Cloud issues (API v3 shapes, ADF descriptions) in rank order; keys AR-1… and some UT-…."""
    fs, data_dir = field_set or CLOUD_TEAM_MANAGED, data_dir or SHARED_DATA
    pools = _pools(str(data_dir))
    plan, issues, numbers = _plan(n, "cloud", seed), [], {"AR": 0, "UT": 0}
    for item in plan:
        _cloud_texts(item, item["i"], pools, fs, data_dir)
        project = "UT" if item["i"] % 10 == 9 and item["kind"] not in ("Epic", "Sub-task") else "AR"
        numbers[project] += 1
        issue = _base_issue(item, str(10100 + item["i"]), f"{project}-{numbers[project]}", project, "cloud", fs)
        issue["self"] = issue["self"].replace("/rest/api/2/", "/rest/api/3/")
        issue["fields"]["statuscategorychangedate"] = issue["fields"]["updated"]
        issues.append(issue)
    _relate(issues, plan, "cloud", fs)
    return _ranked(issues, fs, seed)


def _dc_rows(n: int, data_dir: Path) -> list[Json]:
    """Real rows: two from Spring XD, then one from Jira Software, and so on."""
    xd = storypoint_rows("springxd", data_dir)
    jsw = [r for r in storypoint_rows("jirasoftware", data_dir) if r["key"].startswith("JSW-")]
    rows, a, b = [], 0, 0
    while len(rows) < n:
        if len(rows) % 3 == 2 and b < len(jsw):
            rows.append(jsw[b])
            b += 1
        else:
            rows.append(xd[a])
            a += 1
    return rows


def datacenter_issues(
    n: int, field_set: FieldSet | None = None, seed: int = 11, data_dir: Path | None = None
) -> list[Json]:
    """n Jira Data Center issues (API v2 shapes, wiki markup, legacy sprint strings, Epic Link) in rank order."""
    fs, data_dir = field_set or DATACENTER, data_dir or SHARED_DATA
    plan, issues = _plan(n, "datacenter", seed), []
    for item, row in zip(plan, _dc_rows(n, data_dir)):
        text, criteria = row["description"], None
        match = _AC.search(text or "")
        if fs.acceptance_criteria and match and item["i"] % 2 == 0:  # the criteria live in their own field
            text, criteria = _strip_heading(text[: match.start()]) or None, match.group(1).strip() or None
        kind = item["kind"] or (
            "Story"
            if row["title"].lower().startswith("as a") or (text or "").startswith("h2. Narrative")
            else "Bug"
            if _BUG.search(row["title"])
            else "Task"
            if item["i"] % 7 == 3
            else "Story"
        )
        item.update(kind=kind, summary=row["title"], description=text, criteria=criteria, points=row["points"])
        project = row["key"].split("-")[0]
        issue = _base_issue(item, str(20000 + item["i"]), row["key"], project, "datacenter", fs)
        if fs.epic_link:
            issue["fields"][fs.epic_link.id] = None
        if fs.epic_name:
            issue["fields"][fs.epic_name.id] = row["title"] if kind == "Epic" else None
        issues.append(issue)
    _relate(issues, plan, "datacenter", fs)
    return _ranked(issues, fs, seed)


# -- site payloads -----------------------------------------------------------------------------------------


def server_info(deployment: str, dc_version: str = "9.12.0", dc_deployment_type: str = "Server") -> Json:
    """serverInfo: Cloud (deploymentType "Cloud") or Data Center ("Server" or "DataCenter", dc_version)."""
    base = {"baseUrl": SITE, "serverTime": NOW.strftime("%Y-%m-%dT%H:%M:%S.000%z"), "serverTitle": "Jira"}
    if deployment == "cloud":
        return {
            **base,
            "displayUrl": SITE,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100288,
            "buildDate": "2024-05-30T00:00:00.000+0000",
            "scmInfo": "0f7c1a55c9bc0e1dbdf2c8e4e6f2a1c3b1d5e7a9",
            "defaultLocale": {"locale": "en_US"},
            "serverTimeZone": "Etc/UTC",
        }
    numbers = [int(p) for p in dc_version.split(".")]
    build = numbers[0] * 10**6 + numbers[1] * 10**4
    return {
        **base,
        "version": dc_version,
        "versionNumbers": numbers,
        "deploymentType": dc_deployment_type,
        "buildNumber": build,
        "buildDate": "2023-11-28T00:00:00.000-0800",
        "databaseBuildNumber": build,
        "scmInfo": "6a5a9f1c2b3d4e5f60718293a4b5c6d7e8f90123",
    }


def myself(deployment: str, email: str) -> Json:
    """myself: the account the credentials belong to."""
    common = {
        "emailAddress": email,
        "displayName": "Product Owner",
        "active": True,
        "locale": "en_US",
        "groups": {"size": 1, "items": []},
        "applicationRoles": {"size": 1, "items": []},
        "expand": "groups,applicationRoles",
    }
    if deployment == "cloud":
        return {
            "self": f"{SITE}/rest/api/3/user?accountId=5b10ac8d82e05b22cc7d4ef5",
            "accountId": "5b10ac8d82e05b22cc7d4ef5",
            "accountType": "atlassian",
            "timeZone": "Etc/UTC",
            **common,
        }
    return {
        "self": f"{SITE}/rest/api/2/user?username=po",
        "key": "po",
        "name": "po",
        "deleted": False,
        "timeZone": "America/Los_Angeles",
        **common,
    }


def board(board_id: int, project: str) -> Json:
    """board/{id}: a scrum board on one project."""
    pid, name = PROJECTS.get(project, ("10000", project))
    return {
        "id": board_id,
        "self": f"{SITE}/rest/agile/1.0/board/{board_id}",
        "name": f"{project} board",
        "type": "scrum",
        "location": {
            "projectId": int(pid),
            "displayName": f"{name} ({project})",
            "projectName": name,
            "projectKey": project,
            "projectTypeKey": "software",
            "name": f"{name} ({project})",
        },
    }


def board_configuration(board_id: int, project: str, field_set: FieldSet) -> Json:
    """board/{id}/configuration (the go-jira shape): filter, columns, estimation field, rank field."""

    def statuses(category: str) -> list[Json]:
        return [{"id": sid, "self": f"{SITE}/rest/api/2/status/{sid}"} for sid, c in STATUSES.values() if c == category]

    columns = [("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done")]
    return {
        "id": board_id,
        "name": f"{project} board",
        "type": "scrum",
        "self": f"{SITE}/rest/agile/1.0/board/{board_id}/configuration",
        "location": {
            "type": "project",
            "key": project,
            "id": PROJECTS.get(project, ("10000",))[0],
            "self": f"{SITE}/rest/api/2/project/{PROJECTS.get(project, ('10000',))[0]}",
        },
        "filter": {"id": str(10000 + board_id), "self": f"{SITE}/rest/api/2/filter/{10000 + board_id}"},
        "columnConfig": {
            "columns": [{"name": n, "statuses": statuses(c)} for n, c in columns],
            "constraintType": "none",
        },
        "estimation": {
            "type": "field",
            "field": {"fieldId": field_set.story_points.id, "displayName": field_set.story_points.name},
        },
        "ranking": {"rankCustomFieldId": int(field_set.rank.id.rsplit("_", 1)[1])},
    }


def saved_filter(filter_id: int, jql: str) -> Json:
    """filter/{id}: a saved filter."""
    return {
        "self": f"{SITE}/rest/api/2/filter/{filter_id}",
        "id": str(filter_id),
        "name": f"Filter for board {filter_id - 10000}",
        "owner": {"displayName": "Product Owner", "active": True},
        "jql": jql,
        "viewUrl": f"{SITE}/issues/?filter={filter_id}",
        "searchUrl": f"{SITE}/rest/api/2/search?jql={quote(jql)}",
        "favourite": False,
    }


# Change history (expand=changelog), in the shape of the recorded search payloads: a person's status change and,
# on every third issue, a later change by an automation app (Cloud marks it accountType "app").
_PERSON = {
    "cloud": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof", "accountType": "atlassian"},
    "datacenter": {"name": "mia", "key": "mia", "displayName": "Mia Krystof"},
}
_AUTOMATION = {
    "cloud": {
        "accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
        "displayName": "Automation for Jira",
        "accountType": "app",
    },
    "datacenter": {"name": "automation", "key": "automation", "displayName": "Automation for Jira"},
}


def changelog(issue: Json, deployment: str) -> Json:
    """The change history of an issue: who changed it last, a person or a bot."""
    fields = issue.get("fields") or {}
    created = datetime.strptime(fields["created"], "%Y-%m-%dT%H:%M:%S.000%z")
    updated = datetime.strptime(fields["updated"], "%Y-%m-%dT%H:%M:%S.000%z")
    by_bot = int(issue["id"]) % 3 == 0
    person_at = max(created, updated - timedelta(days=200)) if by_bot else updated
    histories = [
        {
            "id": str(20000 + int(issue["id"]) * 2),
            "author": dict(_PERSON[deployment]),
            "created": _timestamp(person_at, deployment),
            "items": [
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "from": "10000",
                    "fromString": "To Do",
                    "to": "3",
                    "toString": "In Progress",
                }
            ],
        }
    ]
    if by_bot:
        histories.append(
            {
                "id": str(20001 + int(issue["id"]) * 2),
                "author": dict(_AUTOMATION[deployment]),
                "created": _timestamp(updated, deployment),
                "items": [
                    {
                        "field": "labels",
                        "fieldtype": "jira",
                        "from": None,
                        "fromString": "",
                        "to": None,
                        "toString": "triaged",
                    }
                ],
            }
        )
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories}
