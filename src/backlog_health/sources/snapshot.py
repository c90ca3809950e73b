"""Snapshots: fetched items saved as JSON in the report's `items` shape, to analyze again offline."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from backlog_health import __version__
from backlog_health.report.json_report import SCHEMA_VERSION
from backlog_health.sources import Loaded


def snapshot_text(loaded: Loaded) -> str:
    """The loaded items as a JSON document that `analyze FILE.json` reads back."""
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "backlog-health", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": loaded.info.to_dict(),
        "items": [{"key": item.key, "title": item.title, "item": item.to_dict()} for item in loaded.items],
        "skipped": [{"key": s.key, "reason": s.reason} for s in loaded.skipped],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
