"""View models for the HTML and Markdown reports: sorted, counted and labelled in Python."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlparse

from backlog_health.model import CRITERIA, SEVERITIES, ItemResult, RunResult

# Plain-language names of the criteria, for Product Owners rather than rule authors.
CRITERION_LABELS = {
    "well_formed": "Who and what are stated",
    "valuable": "States the benefit",
    "atomic": "One feature per story",
    "minimal": "Nothing but the story",
    "unambiguous": "Clear, measurable wording",
    "full_sentence": "Written as a full sentence",
    "problem_oriented": "Describes the problem, not the solution",
    "conceptually_sound": "Means and ends in the right place",
    "estimatable": "Small enough to estimate",
    "small": "Fits in a sprint",
    "unique": "No duplicates",
    "uniform": "Uses the backlog's template",
    "independent": "No hidden dependencies",
    "testable": "Has acceptance criteria",
    "described": "Has a description",
    "estimated": "Estimated",
    "prioritized": "Prioritized",
    "fresh": "Recently updated",
    "linked": "Linked to an epic",
}
N_WORST = 10
N_EXAMPLES = 5


@dataclass(frozen=True)
class FindingView:
    rule: str
    criterion: str
    criterion_label: str
    severity: str
    message: str
    excerpt: str | None
    suggestion: str | None


@dataclass(frozen=True)
class ItemView:
    key: str
    url: str | None  # only http(s) links
    title: str
    type: str
    status: str
    priority: str
    estimate: str
    rank: int | None
    score: int
    ready: bool
    ready_reasons: tuple[str, ...]
    role: str | None
    means: str | None
    ends: str | None
    acceptance_criteria: tuple[str, ...]
    findings: tuple[FindingView, ...]
    n_errors: int
    n_warnings: int
    criteria: str  # space-separated criteria of its findings, for filtering


@dataclass(frozen=True)
class RuleView:
    id: str
    name: str
    severity: str
    count: int


@dataclass(frozen=True)
class CriterionView:
    criterion: str
    label: str
    n_findings: int
    n_items: int
    pct_items: int
    rules: tuple[RuleView, ...]
    rationale: str
    fix: str
    examples: tuple[tuple[ItemView, FindingView], ...]
    n_more: int  # findings not shown as examples


@dataclass(frozen=True)
class ReportView:
    title: str
    source_kind: str
    source_location: str
    source_query: str | None
    generated_at: str
    tool_version: str
    health_score: int
    band: str
    band_class: str
    n_items: int
    n_ready: int
    pct_ready: int
    n_findings: int
    n_skipped: int
    by_severity: tuple[tuple[str, int], ...]
    severity_text: str  # "2 errors, 19 warnings, 4 info"
    mean_item_score: int  # the item-quality half of the health score
    criteria: tuple[CriterionView, ...]
    worst: tuple[ItemView, ...]
    items: tuple[ItemView, ...]
    skipped: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    nlp: str
    rules_run: int


def plural(count: int, noun: str) -> str:
    """"1 finding", "2 findings"; "info" does not take an s."""
    return f"{count} {noun}" if count == 1 or noun == "info" else f"{count} {noun}s"


def severity_text(counts: dict[str, int]) -> str:
    """Counts by severity in words, severities with no finding left out."""
    return ", ".join(plural(counts[s], s) for s in SEVERITIES if counts.get(s)) or "none"


def safe_url(url: str | None) -> str | None:
    """The URL when it is an http(s) link, else None (no javascript: or data: links in reports)."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in {"http", "https"} and parsed.netloc else None


def _estimate(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def _item_view(result: ItemResult) -> ItemView:
    item, story = result.item, result.story
    order = {severity: i for i, severity in enumerate(SEVERITIES)}
    findings = tuple(
        FindingView(
            f.rule,
            f.criterion,
            CRITERION_LABELS.get(f.criterion, f.criterion),
            f.severity,
            f.message,
            f.excerpt,
            f.suggestion,
        )
        for f in sorted(result.findings, key=lambda f: order[f.severity])
    )
    return ItemView(
        key=item.key,
        url=safe_url(item.url),
        title=item.title,
        type=item.type or "",
        status=item.status or "",
        priority=item.priority or "",
        estimate=_estimate(item.estimate),
        rank=item.rank,
        score=result.score,
        ready=result.ready,
        ready_reasons=result.ready_reasons,
        role=story.role if story else None,
        means=story.means if story else None,
        ends=story.ends if story else None,
        acceptance_criteria=result.acceptance_criteria,
        findings=findings,
        n_errors=result.count("error"),
        n_warnings=result.count("warning"),
        criteria=" ".join(sorted({f.criterion for f in result.findings})),
    )


def _criterion_views(result: RunResult, items: list[ItemView]) -> tuple[CriterionView, ...]:
    rules = {rule.id: rule for rule in result.rules}
    views = []
    for criterion in CRITERIA:
        pairs = [(item, f) for item in items for f in item.findings if f.criterion == criterion]
        if not pairs:
            continue
        counts = Counter(f.rule for _, f in pairs)
        rule_views = tuple(
            RuleView(
                rule_id,
                rules[rule_id].name if rule_id in rules else rule_id,
                rules[rule_id].severity if rule_id in rules else "",
                count,
            )
            for rule_id, count in counts.most_common()
        )
        top_rule = rule_views[0].id
        rationale, fix = (rules[top_rule].rationale, rules[top_rule].fix) if top_rule in rules else ("", "")
        n_items = len({item.key for item, _ in pairs})
        views.append(
            CriterionView(
                criterion=criterion,
                label=CRITERION_LABELS.get(criterion, criterion),
                n_findings=len(pairs),
                n_items=n_items,
                pct_items=round(100 * n_items / len(items)) if items else 0,
                rules=rule_views,
                rationale=rationale,
                fix=fix,
                examples=tuple(pairs[:N_EXAMPLES]),
                n_more=max(0, len(pairs) - N_EXAMPLES),
            )
        )
    return tuple(sorted(views, key=lambda view: -view.n_findings))


def build_view(result: RunResult) -> ReportView:
    """The view of a run that the templates display."""
    summary = result.summary
    items = [_item_view(item) for item in result.items]
    worst = sorted(
        (item for item in items if item.findings),
        key=lambda item: (item.score, item.rank if item.rank is not None else 10**9),
    )[:N_WORST]
    source = result.source
    nlp = f"{result.nlp.model} {result.nlp.version}" + (" (reduced mode)" if result.nlp.reduced else "")
    return ReportView(
        title=f"Backlog health: {source.location}",
        source_kind=source.kind,
        source_location=source.location,
        source_query=source.query,
        generated_at=result.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=result.tool_version,
        health_score=result.health_score,
        band=result.band,
        band_class=result.band.replace(" ", "-"),
        n_items=summary.n_items,
        n_ready=summary.n_ready,
        pct_ready=round(summary.pct_ready),
        n_findings=summary.n_findings,
        n_skipped=summary.n_skipped,
        by_severity=tuple((severity, dict(summary.by_severity).get(severity, 0)) for severity in SEVERITIES),
        severity_text=severity_text(dict(summary.by_severity)),
        mean_item_score=round(sum(item.score for item in items) / len(items)) if items else 100,
        criteria=_criterion_views(result, items),
        worst=tuple(worst),
        items=tuple(items),
        skipped=tuple((s.key, s.reason) for s in result.skipped),
        notes=result.notes,
        nlp=nlp,
        rules_run=len(result.rules),
    )
