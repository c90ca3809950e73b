"""The Markdown report: GitHub-flavoured, for CI job summaries and pull-request comments."""

from __future__ import annotations

from typing import TextIO

from backlog_health.model import RunResult
from backlog_health.report.templating import environment
from backlog_health.report.views import build_view


class MarkdownReporter:
    """Writes the Markdown report."""

    format = "markdown"

    def report(self, result: RunResult, outfile: TextIO) -> None:
        """Render templates/report.md.j2 with the report view."""
        outfile.write(environment().get_template("report.md.j2").render(view=build_view(result)))
