"""The Markdown report: GitHub-flavoured, for CI job summaries and pull-request comments."""

from __future__ import annotations

from typing import TextIO

from backlog_health.model import RunResult
from backlog_health.report.templating import environment
from backlog_health.report.views import build_view

# GitHub refuses a job summary above 1 MiB; the report stays under it with room for a note.
MAX_BYTES = 1024 * 1024
TRUNCATED = "\n\n> **Report truncated** at GitHub's 1 MiB job-summary limit: {n} lines not shown. The HTML and JSON reports have everything.\n"


def fit(text: str, limit: int = MAX_BYTES) -> str:
    """The text when it fits in `limit` UTF-8 bytes, else its first whole lines and a visible note."""
    if len(text.encode("utf-8")) <= limit:
        return text
    lines = text.splitlines(keepends=True)
    kept, size = [], len(TRUNCATED.format(n=len(lines)).encode("utf-8"))
    for line in lines:
        size += len(line.encode("utf-8"))
        if size > limit:
            break
        kept.append(line)
    return "".join(kept) + TRUNCATED.format(n=len(lines) - len(kept))


class MarkdownReporter:
    """Writes the Markdown report."""

    format = "markdown"

    def report(self, result: RunResult, outfile: TextIO) -> None:
        """Render templates/report.md.j2 with the report view, within GitHub's size limit."""
        outfile.write(fit(environment().get_template("report.md.j2").render(view=build_view(result))))
