"""The JSON report: the machine-readable contract of DESIGN.md.

Schema history (additive changes keep the version; anything else bumps it):
- 1: first version (summary, metrics, items with story and acceptance_criteria, rules); items also carry
  `item`, the full BacklogItem, so a report doubles as a snapshot that `analyze report.json` re-reads.
  Added since: `planning` (the keys of the items the next sprints draw from, and how they were chosen);
  `history` (previous score, trend, findings new and fixed since the previous run; null without history);
  `suppressed` (findings the team silenced, with the suppression) and `stale_suppressions`; `score` (the parts
  of the health score, their weights and the explanation); `metrics` filled (see docs/metrics.md).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from backlog_health.model import RunResult

SCHEMA_VERSION = 1


def report_dict(result: RunResult) -> dict[str, Any]:
    """The report as plain data."""
    summary = result.summary
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "backlog-health", "version": result.tool_version},
        "generated_at": result.generated_at.isoformat(timespec="seconds"),
        "source": result.source.to_dict(),
        "summary": {
            "health_score": result.health_score,
            "band": result.band,
            "n_items": summary.n_items,
            "n_ready": summary.n_ready,
            "n_findings": summary.n_findings,
            "n_skipped": summary.n_skipped,
            "by_severity": dict(summary.by_severity),
            "by_criterion": dict(summary.by_criterion),
        },
        "score": result.health.to_dict() if result.health else None,
        "metrics": result.metrics,
        "nlp": {
            "model": result.nlp.model,
            "version": result.nlp.version,
            "reduced": result.nlp.reduced,
            "skipped_rules": list(result.nlp.skipped_rules),
        },
        "notes": list(result.notes),
        "planning": result.planning.to_dict() if result.planning else None,
        "history": result.history.to_dict() if result.history else None,
        "suppressed": [entry.to_dict() for entry in result.suppressed],
        "stale_suppressions": [{"why": why, **entry.to_dict()} for why, entry in result.stale_suppressions],
        "items": [item.to_dict() for item in result.items],
        "skipped": [{"key": s.key, "reason": s.reason} for s in result.skipped],
        "rules": [rule.to_dict() for rule in result.rules],
    }


INDENT_UP_TO = 2000  # items; bigger reports are written compact


class JsonReporter:
    """Writes the JSON report."""

    format = "json"

    def report(self, result: RunResult, outfile: TextIO) -> None:
        """Write the report as UTF-8 JSON: indented up to INDENT_UP_TO items, compact beyond."""
        data = report_dict(result)
        # NOTE: json.dumps with an indent runs in Python, without one in C: 5x faster, a third smaller, and a
        # backlog of thousands of items is read by machines (and jq), not scrolled through.
        if len(result.items) <= INDENT_UP_TO:
            outfile.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            outfile.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        outfile.write("\n")
