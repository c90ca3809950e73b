"""The short summary printed on stderr after a run."""

from __future__ import annotations

import re

import click

from backlog_health.model import RunResult
from backlog_health.report.views import CRITERION_LABELS, build_view, plural

_BAND_COLOURS = {"healthy": "green", "needs attention": "yellow", "unhealthy": "red"}
_SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}
N_SKIPPED_SHOWN = 5
# NOTE: backlog text reaches a terminal here. Escape sequences in it could clear the screen, retitle the window
# or fake output, and bidirectional overrides reorder what is shown; control characters (C0 but tab, DEL, C1)
# and the overrides and isolates are dropped, newlines and tabs become spaces.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(text: object) -> str:
    """Backlog text made safe for one terminal line."""
    return _CONTROLS.sub("", str(text).replace("\n", " ").replace("\t", " "))


def summary_lines(result: RunResult, n_worst: int = 5) -> list[str]:
    """Lines of the terminal summary (styled; click strips the style when not on a terminal)."""
    view = build_view(result)
    band = click.style(f"{view.health_score}/100 ({view.band})", fg=_BAND_COLOURS[view.band], bold=True)
    severities = (
        ", ".join(
            click.style(plural(count, severity), fg=_SEVERITY_COLOURS[severity])
            for severity, count in view.by_severity
            if count
        )
        or "none"
    )
    lines = [
        f"{view.source_kind}: {plain(view.source_location)} · {view.n_items:,} items"
        + (f" · {view.n_skipped:,} skipped" if view.n_skipped else ""),
        f"Backlog health {band} · {view.n_ready:,} of {view.n_items:,} ready"
        + (f" ({view.stories_ready})" if view.stories_ready else "")
        + f" · {view.n_findings:,} findings: {severities}",
    ]
    if view.explanation:
        lines.append(click.style(f"Health {view.explanation}", dim=True))
    if view.change:
        counts = (
            f"; {view.n_new:,} new finding{'s' if view.n_new != 1 else ''}, {view.n_fixed:,} fixed{view.gone_note}"
            if view.has_previous
            else ""
        )
        lines.append(f"Since the last run: {view.change}{counts}")
    summary = result.summary
    if summary.by_criterion:
        lines.append("Findings by criterion:")
        width = max(len(CRITERION_LABELS.get(c, c)) for c, _ in summary.by_criterion)
        for criterion, count in sorted(summary.by_criterion, key=lambda pair: -pair[1]):
            lines.append(f"  {CRITERION_LABELS.get(criterion, criterion):<{width}}  {count:>5}")
    if view.worst:
        lines.append("Items that most need refinement:")
        for item in view.worst[:n_worst]:
            rules = ", ".join(dict.fromkeys(f.rule for f in item.findings))
            title = plain(item.title)
            title = title if len(title) <= 60 else title[:59] + "…"
            lines.append(f"  {plain(item.key):<10} {item.score:>3}  {title}  [{rules}]")
    if view.skipped:
        lines.append(f"Skipped {plural(view.n_skipped, 'item')}, not analysed:")
        for key, reason in view.skipped[:N_SKIPPED_SHOWN]:
            lines.append(f"  {plain(key)}: {plain(reason)}")
        if view.n_skipped > N_SKIPPED_SHOWN:
            lines.append(f"  … and {view.n_skipped - N_SKIPPED_SHOWN} more (listed in the HTML and JSON reports)")
    for note in result.notes:
        lines.append(click.style(f"note: {plain(note)}", fg="yellow"))
    return lines
