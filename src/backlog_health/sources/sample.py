"""The bundled sample backlog that `backlog-health demo` analyzes."""

from __future__ import annotations

from dataclasses import replace

from backlog_health.resources import data_file
from backlog_health.sources import Loaded
from backlog_health.sources.files import load_file

SAMPLE_NAME = "sample_backlog.csv"


def load_sample() -> Loaded:
    """The sample backlog of a fictional grocery app, as a Jira CSV export."""
    loaded = load_file(data_file(SAMPLE_NAME))
    info = replace(loaded.info, kind="sample", location="Pantry sample backlog (bundled Jira CSV export)")
    return replace(loaded, info=info)
