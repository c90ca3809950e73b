"""View models for the HTML and Markdown reports: sorted, counted and labelled in Python."""

from __future__ import annotations

import json
import threading
import weakref
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from markupsafe import Markup

from backlog_health.metrics import METRICS
from backlog_health.model import CRITERIA, SEVERITIES, ItemResult, RunResult
from backlog_health.report import charts
from backlog_health.report.templating import no_bidi
from backlog_health.scoring import NO_CRITERIA

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
    "testable": "Testable acceptance criteria",
    "described": "Has a description",
    "estimated": "Estimated",
    "prioritized": "Prioritized",
    "fresh": "Recently updated",
    "linked": "Linked to an epic",
}
# What a criterion's findings say of the items, as the end of "8 of 48 items …".
CRITERION_PROBLEMS = {
    "well_formed": "do not say who wants what",
    "valuable": "give no reason why the work matters",
    "atomic": "ask for more than one feature at once",
    "minimal": "carry notes or details that belong in the description",
    "unambiguous": "use vague or unmeasurable wording",
    "full_sentence": "are not written as a full sentence",
    "problem_oriented": "prescribe a solution instead of stating the need",
    "conceptually_sound": "mix up the feature and its purpose",
    "estimatable": "are too big or too open to estimate",
    "small": "are too big for one sprint",
    "unique": "duplicate another item",
    "uniform": "do not follow the backlog's usual template",
    "independent": "depend on other work",
    "testable": "have missing or untestable acceptance criteria",
    "described": "have no useful description",
    "estimated": "are not estimated",
    "prioritized": "have no priority",
    "fresh": "have not been updated for a long time",
    "linked": "are not linked to an epic",
}
N_WORST = 10
N_EXAMPLES = 5
N_PROBLEMS = 3
SEVERITY_WEIGHT = {"error": 3, "warning": 2, "info": 0.5}
# Age of items in days: the bins of the age chart.
AGE_BINS = (
    (30, "< 1 month"),
    (91, "1–3 months"),
    (182, "3–6 months"),
    (365, "6–12 months"),
    (730, "1–2 years"),
    (None, "> 2 years"),
)
# Readiness checklist of the planning section: label → the criteria whose findings fail it.
CHECKLIST = (
    ("Story form", ("well_formed", "valuable", "atomic")),
    ("Acceptance criteria", ("testable",)),
    ("Estimate", ("estimated",)),
    ("Clear wording", ("unambiguous",)),
    ("Not blocked", ("independent",)),
)


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

    @property
    def pct_text(self) -> str:
        """The share in words: "12%", or "<1%" for a few items of a big backlog."""
        return "<1%" if self.pct_items == 0 and self.n_items else f"{self.pct_items}%"


@dataclass(frozen=True)
class CheckView:
    """One line of an item's readiness checklist."""

    label: str  # "Acceptance criteria"
    state: str  # "ok", "fail", "unknown" or "na" (not asked of this item)
    detail: str  # why, in a few words

    @property
    def state_text(self) -> str:
        """The state in words, for screen readers (the page shows ✓, ✗ or ?)."""
        return {"ok": "done", "fail": "to fix", "unknown": "unknown", "na": "not asked of this item"}[self.state]


@dataclass(frozen=True)
class PlanningItemView:
    """An item at the top of the backlog, with its readiness checklist and its fixes."""

    item: ItemView
    checks: tuple[CheckView, ...]


@dataclass(frozen=True)
class ChartView:
    """An inline SVG chart and the sentence it illustrates."""

    id: str
    title: str
    svg: Markup
    caption: str


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
    stories_ready: str  # "user stories: 3 of 15 ready" when the backlog mixes stories with other items, else ""
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
    problems: tuple[str, ...]  # the biggest problems in plain words, worst first
    planning_basis: str  # how the items of the planning section were chosen
    planning: tuple[PlanningItemView, ...]  # the top of the backlog, ready or not
    n_planning_ready: int
    planning_points: str  # "36 points" or ""
    charts: tuple[ChartView, ...]
    gauge: Markup  # the health score ring
    types: tuple[str, ...]  # filter options
    statuses: tuple[str, ...]
    criterion_options: tuple[tuple[str, str], ...]  # (criterion, label) of the criteria with findings
    change: str  # "up 3 since 2026-11-22", "first run recorded", or "" without history
    n_new: int  # findings new since the previous run
    n_fixed: int  # findings fixed since the previous run
    new: tuple[tuple[str, str], ...]  # (item key, rule) of some new findings
    fixed: tuple[tuple[str, str], ...]  # (item key, rule) of some fixed findings
    gone_note: str  # "; 2 now suppressed, 3 gone with their items": findings gone but not fixed, or ""
    has_previous: bool  # the history holds an earlier run of this backlog
    explanation: str  # "72 because item quality is 94 (weight 40%), …"
    metrics: tuple[tuple[str, str, str, str], ...]  # (title, value in words, target in words, status)
    suppressed: tuple[tuple[str, str, str, str, str], ...]  # (item, rule, message, reason, where written)
    stale_suppressions: tuple[tuple[str, str, str, str], ...]  # (why, item, rule, where written)


def plural(count: int, noun: str) -> str:
    """ "1 finding", "2 findings"; "info" does not take an s."""
    return f"{count:,} {noun}" if count == 1 or noun == "info" else f"{count:,} {noun}s"


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
            # NOTE: most findings first; on a tie the rule listed first (AT01 before AT03) explains the criterion
            for rule_id, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
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


def _problems(criteria: tuple[CriterionView, ...], items: list[ItemView], n_items: int) -> tuple[str, ...]:
    """The criteria that weigh most (by severity of their findings), as sentences a PO can act on."""
    weight = {
        view.criterion: sum(
            SEVERITY_WEIGHT.get(f.severity, 1) for item in items for f in item.findings if f.criterion == view.criterion
        )
        for view in criteria
    }
    worst = sorted(criteria, key=lambda view: -weight[view.criterion])[:N_PROBLEMS]
    return tuple(
        f"{view.n_items:,} of {n_items:,} items {CRITERION_PROBLEMS.get(view.criterion, 'have ' + view.label.lower())}"
        for view in worst
        if weight[view.criterion] >= 1
    )


def _check(
    label: str, criteria: tuple[str, ...], item: ItemView, result: ItemResult, estimates: bool, descriptions: bool
) -> CheckView:
    """One readiness line of a planning item."""
    failed = [f for f in item.findings if f.criterion in criteria and f.severity != "info"]
    if failed:
        return CheckView(label, "fail", failed[0].message)
    if label == "Story form":
        if not result.story:
            return CheckView(label, "na", "not written as a user story")
        return CheckView(label, "ok", "role, need and benefit" if result.story.ends else "role and need (no benefit)")
    if label == "Acceptance criteria":
        if result.acceptance_criteria:
            return CheckView(
                label, "ok", plural(len(result.acceptance_criteria), "criterion").replace("criterions", "criteria")
            )
        if not descriptions:
            return CheckView(label, "unknown", "the source has no descriptions")
        # NOTE: readiness asks acceptance criteria of stories (of every item with criteria_for = "all"); a bug
        # or task without them is otherwise shown, not failed.
        asked = result.story is not None or NO_CRITERIA in result.ready_reasons
        return CheckView(label, "fail" if asked else "na", "none found")
    if label == "Estimate":
        too_big = next((reason for reason in result.ready_reasons if reason.startswith("estimate ")), None)
        if too_big:
            return CheckView(label, "fail", too_big)
        if result.item.estimate is not None:
            return CheckView(label, "ok", item.estimate)
        return CheckView(
            label, "fail" if estimates else "unknown", "not estimated" if estimates else "the source has no estimates"
        )
    return CheckView(label, "ok", "")


def _age_chart(result: RunResult) -> ChartView | None:
    """How old the open items are, from their creation dates."""
    created = [r.item.created for r in result.items if r.item.created is not None]
    if len(created) < 2:
        return None
    now = result.generated_at
    counts = [0] * len(AGE_BINS)
    for when in created:
        days = (now - when).days
        counts[next(n for n, (limit, _) in enumerate(AGE_BINS) if limit is None or days < limit)] += 1
    old = sum(counts[4:])
    return ChartView(
        "age",
        "Age of the open items",
        charts.histogram(
            [(label, count) for (_, label), count in zip(AGE_BINS, counts, strict=True)],
            "Open items by age since creation",
        ),
        f"{old:,} of {len(created):,} items with a creation date are more than a year old.",
    )


def _charts(result: RunResult, criteria: tuple[CriterionView, ...], items: list[ItemView]) -> tuple[ChartView, ...]:
    """Findings by criterion, item scores, item age (when known)."""
    views = []
    if criteria:
        views.append(
            ChartView(
                "criteria",
                "Findings by criterion",
                charts.bar_chart([(view.label, view.n_findings) for view in criteria], "Findings by criterion"),
                f"{criteria[0].label} has the most findings: {criteria[0].n_findings:,}.",
            )
        )
    if items:
        bins = [0] * 10
        for item in items:
            bins[min(item.score // 10, 9)] += 1
        labels = [f"{10 * n}–{10 * n + 9}" for n in range(9)] + ["90–100"]
        n_good = sum(1 for item in items if item.score >= 85)
        views.append(
            ChartView(
                "scores",
                "Item scores",
                charts.histogram(list(zip(labels, bins, strict=True)), "Items by quality score"),
                f"{n_good:,} of {len(items):,} items score 85 or more.",
            )
        )
    age = _age_chart(result)
    if age is not None:
        views.append(age)
    trend = _trend_chart(result)
    if trend is not None:
        views.insert(0, trend)
    return tuple(views)


def _metric_rows(metrics: dict) -> tuple[tuple[str, str, str, str], ...]:
    """The backlog metrics with a target, in words: (title, value, target, status)."""
    rows = []
    for name, value in metrics.items():
        doc = METRICS.get(name)
        if doc is None or not isinstance(value, dict) or value.get("threshold") is None:
            continue
        number = value.get("value")
        unit = doc.unit[:-1] if doc.unit == "items" and number == 1 else doc.unit
        shown = "unknown" if number is None else f"{number:g}" + (unit if unit.startswith("%") else f" {unit}")
        if value.get("status") == "unknown" and value.get("reason"):
            shown = f"unknown: {value['reason']}"
        inflation = value.get("inflation")
        if isinstance(inflation, dict) and isinstance(inflation.get("value"), (int, float)):
            # NOTE: the priority metric also warns when too many items share the top priority: say so
            shown += f", {inflation['value']:g}% at the top priority"
        rows.append((doc.title, shown.strip(), str(doc.threshold).replace("`", ""), value.get("status", "unknown")))
    return tuple(rows)


def _stories_ready(result: RunResult) -> str:
    """How many of the user stories are ready, when other items (bugs, tasks) would hide it in the total."""
    stories = [r for r in result.items if r.story is not None]
    if not stories or len(stories) == len(result.items):
        return ""
    return f"user stories: {sum(r.ready for r in stories):,} of {len(stories):,} ready"


def _gone_note(result: RunResult) -> str:
    """Findings of the previous run that are gone without being fixed, in words."""
    history = result.history
    if history is None:
        return ""
    parts = [
        text
        for count, text in (
            (history.n_suppressed, f"{history.n_suppressed:,} now suppressed"),
            (history.n_removed, f"{history.n_removed:,} gone with their items"),
        )
        if count
    ]
    return "; " + ", ".join(parts) if parts else ""


def _change(result: RunResult) -> str:
    """The score's change since the previous run, in words."""
    history = result.history
    if history is None:
        return ""
    if history.previous_score is None:
        return "first run recorded: the next report shows the change"
    when = (history.previous_at or "")[:10]
    delta = history.delta or 0
    # NOTE: a change of rules or thresholds moves the score as much as a change of the backlog: say which it was.
    changed = " (the rules or settings changed since then)" if history.settings_changed else ""
    if delta == 0:
        return f"score unchanged since {when}{changed}"
    return f"{'up' if delta > 0 else 'down'} {abs(delta)} since {when}{changed}"


def _trend_chart(result: RunResult) -> ChartView | None:
    """Health over the recorded runs, when there are at least two."""
    history = result.history
    if history is None or len(history.trend) < 2:
        return None
    first, last = history.trend[0], history.trend[-1]
    return ChartView(
        "trend",
        "Health over time",
        charts.line_chart(list(history.trend), "Health score of the last runs"),
        f"From {first[1]} on {first[0]} to {last[1]} on {last[0]}, over {len(history.trend)} runs.",
    )


def table_json(view: ReportView, result: RunResult) -> Markup:
    """Every item, compact, as JSON that cannot close its <script> element or start markup (HTML only)."""
    items = view.items
    created = {r.item.key: r.item.created for r in result.items}
    rows = [
        {
            "k": item.key,
            "u": item.url,
            "t": item.title[:300],
            "y": item.type,
            "st": item.status,
            "p": item.priority,
            "e": item.estimate,
            "r": item.rank,
            "s": item.score,
            "ok": item.ready,
            "why": list(item.ready_reasons),
            "c": item.criteria,
            "a": _age_days(created.get(item.key), result.generated_at),
            "f": [
                [f.rule, f.severity, f.criterion, f.message, (f.excerpt or "")[:200], f.suggestion or ""]
                for f in item.findings
            ],
        }
        for item in items
    ]
    text = no_bidi(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
    # NOTE: inside <script>, "</" could end the element and "<!--" start a comment; escaped, JSON stays JSON.
    for raw, safe in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, safe)
    return Markup(text)


def _age_days(created: datetime | None, now: datetime) -> int | None:
    return None if created is None else max((now - created).days, 0)


# NOTE: one run is shown in several formats (HTML, Markdown, the terminal summary); its view is built once. The
# last view is kept only while its run lives, and is found by the run's identity (hashing a run would cost more).
_LAST_VIEW: tuple[weakref.ref, ReportView] | None = None
_VIEW_LOCK = threading.RLock()  # NOTE: reentrant: _forget may run during a collection inside build_view


def build_view(result: RunResult) -> ReportView:
    """The view of a run that the templates display (built once per run)."""
    global _LAST_VIEW
    with _VIEW_LOCK:
        if _LAST_VIEW is not None and _LAST_VIEW[0]() is result:
            return _LAST_VIEW[1]
    view = _view(result)
    with _VIEW_LOCK:
        _LAST_VIEW = (weakref.ref(result, _forget), view)
    return view


def _forget(reference: weakref.ref) -> None:
    """Drop the kept view once its run is gone (a large backlog's view is large)."""
    global _LAST_VIEW
    with _VIEW_LOCK:
        if _LAST_VIEW is not None and _LAST_VIEW[0] is reference:
            _LAST_VIEW = None


def _view(result: RunResult) -> ReportView:
    summary = result.summary
    items = [_item_view(item) for item in result.items]
    worst = sorted(
        (item for item in items if item.findings),
        key=lambda item: (item.score, item.rank if item.rank is not None else 10**9),
    )[:N_WORST]
    source = result.source
    nlp = f"{result.nlp.model} {result.nlp.version}" + (" (reduced mode)" if result.nlp.reduced else "")
    criteria = _criterion_views(result, items)
    by_key = {item.key: (item, r) for item, r in zip(items, result.items, strict=True)}
    estimates = not source.fields or "estimate" in source.fields
    descriptions = not source.fields or bool({"description", "acceptance_criteria_field"} & source.fields)
    planning = tuple(
        PlanningItemView(
            by_key[key][0],
            tuple(_check(label, crits, *by_key[key], estimates, descriptions) for label, crits in CHECKLIST),
        )
        for key in (result.planning.keys if result.planning else ())
        if key in by_key
    )
    points = result.planning.n_points if result.planning else None
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
        stories_ready=_stories_ready(result),
        pct_ready=round(summary.pct_ready),
        n_findings=summary.n_findings,
        n_skipped=summary.n_skipped,
        by_severity=tuple((severity, dict(summary.by_severity).get(severity, 0)) for severity in SEVERITIES),
        severity_text=severity_text(dict(summary.by_severity)),
        mean_item_score=round(sum(item.score for item in items) / len(items)) if items else 100,
        criteria=criteria,
        worst=tuple(worst),
        items=tuple(items),
        skipped=tuple((s.key, s.reason) for s in result.skipped),
        notes=result.notes,
        nlp=nlp,
        rules_run=len(result.rules),
        problems=_problems(criteria, items, summary.n_items),
        planning_basis=result.planning.basis if result.planning else "",
        planning=planning,
        n_planning_ready=sum(1 for p in planning if p.item.ready),
        planning_points=f"{points:g} points" if points is not None else "",
        charts=_charts(result, criteria, items),
        gauge=charts.gauge(result.health_score, result.band),
        types=tuple(sorted({item.type for item in items if item.type})),
        statuses=tuple(sorted({item.status for item in items if item.status})),
        criterion_options=tuple((view.criterion, view.label) for view in criteria),
        change=_change(result),
        n_new=result.history.n_new if result.history else 0,
        n_fixed=result.history.n_fixed if result.history else 0,
        new=result.history.new if result.history else (),
        fixed=result.history.fixed if result.history else (),
        gone_note=_gone_note(result),
        has_previous=bool(result.history and result.history.previous_score is not None),
        explanation=result.health.explanation if result.health else "",
        metrics=_metric_rows(result.metrics),
        suppressed=tuple(
            (entry.item, entry.finding.rule, entry.finding.message, entry.suppression.reason, entry.suppression.origin)
            for entry in result.suppressed
        ),
        stale_suppressions=tuple((why, x.item, x.rule, x.origin) for why, x in result.stale_suppressions),
    )
