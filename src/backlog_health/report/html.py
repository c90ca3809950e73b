"""The HTML report: one self-contained page for the Product Owner and the team."""

from __future__ import annotations

from typing import TextIO

from backlog_health.model import RunResult
from backlog_health.report.templating import environment
from backlog_health.report.views import build_view, table_json


class HtmlReporter:
    """Writes the HTML report."""

    format = "html"

    def report(self, result: RunResult, outfile: TextIO) -> None:
        """Render templates/report.html.j2 with the report view."""
        view = build_view(result)
        # NOTE: the item table's data is the bulk of a large report; only the HTML page needs it.
        outfile.write(
            environment().get_template("report.html.j2").render(view=view, table_json=table_json(view, result))
        )
