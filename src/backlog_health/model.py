"""The data model that flows from sources through checks to reporters (frozen dataclasses)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# NOTE: every finding names exactly one criterion (DESIGN.md). Order = display order.
CRITERIA: tuple[str, ...] = (
    "well_formed",
    "valuable",
    "atomic",
    "minimal",
    "unambiguous",
    "full_sentence",
    "problem_oriented",
    "conceptually_sound",
    "estimatable",
    "small",
    "unique",
    "uniform",
    "independent",
    "testable",
    "described",
    "estimated",
    "prioritized",
    "fresh",
    "linked",
)

StatusCategory = Literal["todo", "in_progress", "done"]


@dataclass(frozen=True)
class Link:
    """A link from one backlog item to another."""

    kind: str  # relation as the source names it, e.g. "blocks", "is blocked by", "relates to"
    key: str  # key of the other item
    status_category: StatusCategory | None = None  # the other item's status category, when known


@dataclass(frozen=True)
class BacklogItem:
    """One backlog item, normalized from any source; text is already plain with its sections kept."""

    key: str  # stable identifier in the source: "PROJ-12", "#42", or a line/row number for files
    title: str  # the summary line
    description: str = ""  # plain text; headings as lines of their own, list items as "- " lines
    type: str | None = None  # "Story", "Bug", "Task", "Epic" … as the source names it
    status: str | None = None  # status name as the source shows it
    status_category: StatusCategory | None = None  # normalized status category
    priority: str | None = None  # priority name as the source shows it
    rank: int | None = None  # 1-based position in the ranked backlog
    estimate: float | None = None  # story points (or the team's unit)
    labels: tuple[str, ...] = ()  # labels / tags
    components: tuple[str, ...] = ()  # components / areas of the product
    parent: str | None = None  # key of the epic or parent item
    sprint: str | None = None  # name of the sprint / iteration the item is planned for
    created: datetime | None = None  # creation time (timezone-aware when the source says)
    updated: datetime | None = None  # last update time
    url: str | None = None  # link to the item in its tracker (http/https only)
    assignee: str | None = None  # display name of the assignee
    links: tuple[Link, ...] = ()  # issue links (blocks / is blocked by …)
    subtasks: tuple[str, ...] = ()  # keys of its sub-tasks / sub-issues
    n_subtasks: int | None = None  # number of sub-tasks / sub-issues, when only the count is known
    n_comments: int | None = None  # number of comments, when the source says
    acceptance_criteria_field: str | None = None  # a dedicated acceptance-criteria field, when the source has one
    touched: datetime | None = None  # last update by a person (bots and automation left out), when the source says

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the snapshot format of a JSON report's `items`)."""
        # NOTE: field by field, not dataclasses.asdict: its deep copies took seconds on a large backlog's report.
        data = {name: getattr(self, name) for name in _ITEM_FIELDS}
        data["labels"] = list(self.labels)
        data["components"] = list(self.components)
        data["subtasks"] = list(self.subtasks)
        data["links"] = [
            {"kind": link.kind, "key": link.key, "status_category": link.status_category} for link in self.links
        ]
        for name in ("created", "updated", "touched"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        return data


_ITEM_FIELDS = tuple(field.name for field in dataclasses.fields(BacklogItem))


@dataclass(frozen=True)
class StoryParts:
    """A user story split into its parts (Connextra template and its variants)."""

    role: str | None  # "a returning customer"
    means: str | None  # "to save my cart"
    ends: str | None  # "I can finish my purchase later"
    template: str  # the markers used, lowercased, e.g. "as a … i want to … so that …"
    text: str  # the story sentence(s) the parts come from
    extra: str | None = None  # text beyond role, means and ends (other sentences, notes)

    def to_dict(self) -> dict[str, Any]:
        """The `story` object of the JSON report."""
        return {"role": self.role, "means": self.means, "ends": self.ends}


@dataclass(frozen=True)
class Finding:
    """One problem a check found in one item."""

    rule: str  # rule id, e.g. "AT01"
    criterion: str  # one of CRITERIA
    severity: Severity  # "error", "warning" or "info"
    message: str  # short, imperative, says what is wrong
    excerpt: str | None = None  # the offending text, quoted from the item
    suggestion: str | None = None  # a concrete fix, when one exists
    field: str = "title"  # where the excerpt is: "title", "description" or "acceptance_criteria"

    def to_dict(self) -> dict[str, Any]:
        """The finding object of the JSON report."""
        return {
            "rule": self.rule,
            "criterion": self.criterion,
            "severity": self.severity,
            "message": self.message,
            "excerpt": self.excerpt,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class ItemResult:
    """What the analysis says of one item."""

    item: BacklogItem  # the item as the source gave it
    story: StoryParts | None  # its user story, when it is written as one
    acceptance_criteria: tuple[str, ...]  # criteria extracted from the description or field
    findings: tuple[Finding, ...]  # every finding of every enabled rule
    ready: bool  # meets the readiness checklist
    ready_reasons: tuple[str, ...]  # why it is not ready (empty when ready)
    score: int  # 0–100 item quality

    def count(self, severity: Severity) -> int:
        """Number of findings of one severity."""
        return sum(1 for finding in self.findings if finding.severity == severity)

    def to_dict(self) -> dict[str, Any]:
        """The item object of the JSON report."""
        item = self.item
        return {
            "key": item.key,
            "title": item.title,
            "url": item.url,
            "type": item.type,
            "status": item.status,
            "rank": item.rank,
            "estimate": item.estimate,
            "labels": list(item.labels),
            "priority": item.priority,
            "story": self.story.to_dict() if self.story else None,
            "acceptance_criteria": list(self.acceptance_criteria),
            "ready": self.ready,
            "ready_reasons": list(self.ready_reasons),
            "score": self.score,
            "findings": [finding.to_dict() for finding in self.findings],
            "item": item.to_dict(),
        }


@dataclass(frozen=True)
class SkippedItem:
    """An item the run could not analyze, with the reason shown to the user."""

    key: str  # the item's key, or its position when it has none
    reason: str  # one line: what was wrong with it


@dataclass(frozen=True)
class SourceInfo:
    """Where the items came from."""

    kind: str  # "file", "sample", "jira", "github", "github-project"
    location: str  # path or URL
    query: str | None = None  # JQL, filter or project, when there is one
    fields: frozenset[str] = frozenset()  # BacklogItem fields this source can fill at all

    def to_dict(self) -> dict[str, Any]:
        """The `source` object of the JSON report."""
        return {
            "kind": self.kind,
            "location": self.location,
            "query": self.query,
            "fields": sorted(self.fields),
        }


@dataclass(frozen=True)
class Summary:
    """Totals of a run; derived numbers are properties."""

    n_items: int = 0
    n_ready: int = 0
    n_skipped: int = 0
    by_severity: tuple[tuple[str, int], ...] = ()  # (severity, count) in SEVERITIES order
    by_criterion: tuple[tuple[str, int], ...] = ()  # (criterion, count) in CRITERIA order

    @property
    def n_findings(self) -> int:
        """All findings of the run."""
        return sum(count for _, count in self.by_severity)

    @property
    def pct_ready(self) -> float:
        """Share of analyzed items that are ready, in percent."""
        return 100.0 * self.n_ready / self.n_items if self.n_items else 0.0

    def __add__(self, other: Summary) -> Summary:
        def merge(a: tuple[tuple[str, int], ...], b: tuple[tuple[str, int], ...], order: tuple[str, ...]):
            totals = dict(a)
            for name, count in b:
                totals[name] = totals.get(name, 0) + count
            return tuple((name, totals[name]) for name in order if totals.get(name))

        return Summary(
            n_items=self.n_items + other.n_items,
            n_ready=self.n_ready + other.n_ready,
            n_skipped=self.n_skipped + other.n_skipped,
            by_severity=merge(self.by_severity, other.by_severity, SEVERITIES),
            by_criterion=merge(self.by_criterion, other.by_criterion, CRITERIA),
        )

    @classmethod
    def of(cls, results: tuple[ItemResult, ...] | list[ItemResult], n_skipped: int = 0) -> Summary:
        """Count the results of a run."""
        severities: dict[str, int] = {}
        criteria: dict[str, int] = {}
        for result in results:
            for finding in result.findings:
                severities[finding.severity] = severities.get(finding.severity, 0) + 1
                criteria[finding.criterion] = criteria.get(finding.criterion, 0) + 1
        return cls(
            n_items=len(results),
            n_ready=sum(1 for result in results if result.ready),
            n_skipped=n_skipped,
            by_severity=tuple((s, severities[s]) for s in SEVERITIES if s in severities),
            by_criterion=tuple((c, criteria[c]) for c in CRITERIA if c in criteria),
        )


@dataclass(frozen=True)
class NlpInfo:
    """Which language pipeline the run used, and what it could not check."""

    model: str  # package name of the pipeline, or "blank:en" in reduced mode
    version: str  # pipeline version
    reduced: bool = False  # True when no trained pipeline was found
    skipped_rules: tuple[str, ...] = ()  # rules not run because the pipeline lacks what they need


@dataclass(frozen=True)
class RuleInfo:
    """A rule as reports list it."""

    id: str  # rule id
    name: str  # kebab-case name
    criterion: str  # criterion its findings name
    severity: Severity  # severity in this run
    rationale: str = ""  # why a PO should care
    fix: str = ""  # how to fix what it finds

    def to_dict(self) -> dict[str, Any]:
        """The rule object of the JSON report."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RunResult:
    """Everything one run found; reporters read only this."""

    source: SourceInfo  # where the items came from
    generated_at: datetime  # when the run finished (UTC)
    tool_version: str  # backlog-health version
    items: tuple[ItemResult, ...]  # analyzed items in backlog order
    skipped: tuple[SkippedItem, ...]  # items that could not be analyzed
    rules: tuple[RuleInfo, ...]  # rules that ran
    nlp: NlpInfo  # pipeline used
    health_score: int  # 0–100 backlog health
    band: str  # "healthy", "needs attention" or "unhealthy"
    metrics: dict[str, Any] = field(default_factory=dict)  # backlog-level metrics
    notes: tuple[str, ...] = ()  # warnings for the user (encoding guessed, rules skipped …)
    planning: Any = None  # planning.Planning: what the next sprints draw from
    health: Any = None  # scoring.Health: the parts of the health score and its explanation
    history: Any = None  # history.History: the trend and what changed since the previous run, when kept
    suppressed: tuple[Any, ...] = ()  # suppressions.Suppressed: findings the team silenced, with their reasons
    stale_suppressions: tuple[tuple[str, Any], ...] = ()  # ("unused"|"expired"|"unknown rule", Suppression)
    settings: str = ""  # fingerprint of the settings that judged the backlog (config.settings_fingerprint)

    @property
    def summary(self) -> Summary:
        """Totals of the run."""
        return Summary.of(self.items, n_skipped=len(self.skipped))
