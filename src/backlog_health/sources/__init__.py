"""Sources turn a backlog somewhere (file, tracker) into BacklogItems; they know nothing of checks."""

from __future__ import annotations

from dataclasses import dataclass

from backlog_health.model import BacklogItem, SkippedItem, SourceInfo


@dataclass(frozen=True)
class Loaded:
    """What a source read: the items, the ones it had to skip, and notes for the user."""

    info: SourceInfo  # where the items came from and which fields the source fills
    items: tuple[BacklogItem, ...]  # in backlog order
    skipped: tuple[SkippedItem, ...] = ()  # rows/items that could not be turned into an item
    notes: tuple[str, ...] = ()  # one-line warnings, e.g. "decoded as cp1252"
    # points finished per sprint and the closed sprints it was read from, when the tracker reports them
    velocity: tuple[float, tuple[str, ...]] | None = None
