"""Incremental fetch: the backlog fetched last time, kept in the history database, so that the next fetch asks the
tracker only for what changed since.

A tracker source takes the baseline (`load(baseline=…)`), fetches the items changed since it was made and learns
which items the query still selects, and returns the whole backlog again; the CLI stores it only once the run has
written its reports, so a failed run leaves the baseline as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from backlog_health import __version__
from backlog_health.model import BacklogItem, SkippedItem
from backlog_health.sources import Loaded
from backlog_health.sources.files import item_from_dict, parse_date

DEFAULT_FULL_REFRESH_DAYS = 30  # a baseline older than this is fetched again in full


@dataclass(frozen=True)
class Baseline:
    """The backlog as the last successful fetch of one query left it."""

    fetched_at: datetime  # when that fetch started (UTC): changes after it are what the next fetch asks for
    full_at: datetime  # when the last full fetch started
    order: tuple[str, ...]  # item keys in backlog order
    items: Mapping[str, BacklogItem]  # by key
    skipped: tuple[SkippedItem, ...] = ()  # items the source could not read, still in the query


def merged(
    baseline: Baseline, order: Iterable[str], fresh: Mapping[str, BacklogItem], skipped: Iterable[SkippedItem] = ()
) -> tuple[tuple[BacklogItem, ...], tuple[SkippedItem, ...]]:
    """The backlog in `order`: fetched items where they changed, the baseline's elsewhere, ranked anew.

    A key in `order` that neither has is left out: the source must have fetched it (see `missing`).
    """
    skipped = tuple(skipped)
    unreadable = {entry.key for entry in skipped}
    items = []
    for key in order:
        item = fresh.get(key) or (baseline.items.get(key) if key not in unreadable else None)
        if item is not None:
            items.append(replace(item, rank=len(items) + 1))
    keys = set(order)
    # NOTE: an item skipped again is reported with this fetch's reason; one not fetched again keeps its old one.
    again = fresh.keys() | unreadable
    kept = tuple(entry for entry in baseline.skipped if entry.key in keys and entry.key not in again)
    return tuple(items), kept + skipped


def missing(baseline: Baseline, order: Iterable[str], fresh: Mapping[str, BacklogItem]) -> list[str]:
    """Keys the query selects that neither the fetch nor the baseline holds (e.g. a filter that now takes more)."""
    return [key for key in order if key not in fresh and key not in baseline.items]


class SnapshotStore:
    """The baseline of one query (`fetch_key`) in the history database (tables `snapshots`, `snapshot_items`)."""

    def __init__(self, connection: sqlite3.Connection, fetch_key: str) -> None:
        self.connection = connection
        self.key = fetch_key

    def baseline(self, now: datetime, full_refresh_days: float = DEFAULT_FULL_REFRESH_DAYS) -> Baseline | None:
        """The stored baseline; None when there is none, it was made by another tool version, or it is too old."""
        row = self.connection.execute(
            "SELECT fetched_at, full_at, info FROM snapshots WHERE source = ?", (self.key,)
        ).fetchone()
        if row is None:
            return None
        fetched_at, full_at = parse_date(row[0])[0], parse_date(row[1])[0]
        info = json.loads(row[2])
        if (
            fetched_at is None
            or full_at is None
            or info.get("version") != __version__
            or now - full_at > timedelta(days=full_refresh_days)
        ):
            return None
        items = {
            key: item_from_dict(json.loads(text))
            for key, text in self.connection.execute(
                "SELECT key, item FROM snapshot_items WHERE source = ?", (self.key,)
            )
        }
        order = tuple(info.get("order") or ())
        skipped = tuple(SkippedItem(str(key), str(reason)) for key, reason in info.get("skipped") or ())
        if any(key not in items for key in order if key not in {entry.key for entry in skipped}):
            return None  # NOTE: an inconsistent baseline (e.g. two runs at once) is fetched again in full
        return Baseline(fetched_at, full_at, order, items, skipped)

    def save(self, loaded: Loaded, started: datetime, baseline: Baseline | None, fresh: Collection[str]) -> None:
        """Store what this run fetched, in one transaction: all items after a full fetch, else only the changes."""
        keys = {item.key for item in loaded.items}
        info = {
            "version": __version__,
            "order": [item.key for item in loaded.items],
            "skipped": [[entry.key, entry.reason] for entry in loaded.skipped],
        }
        full_at = started if baseline is None else baseline.full_at
        conn = self.connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            if baseline is None:
                conn.execute("DELETE FROM snapshot_items WHERE source = ?", (self.key,))
                write = loaded.items
            else:
                gone = [(self.key, key) for key in baseline.items if key not in keys]
                conn.executemany("DELETE FROM snapshot_items WHERE source = ? AND key = ?", gone)
                write = [item for item in loaded.items if item.key in fresh or item.key not in baseline.items]
            conn.executemany(
                "INSERT OR REPLACE INTO snapshot_items (source, key, item) VALUES (?, ?, ?)",
                [(self.key, item.key, _item_json(item)) for item in write],
            )
            conn.execute(
                "INSERT OR REPLACE INTO snapshots (source, fetched_at, full_at, info) VALUES (?, ?, ?, ?)",
                (self.key, _stamp(started), _stamp(full_at), json.dumps(info, ensure_ascii=False)),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def now_utc() -> datetime:
    """The fetch's start time, as baselines record it."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def _item_json(item: BacklogItem) -> str:
    data = item.to_dict()
    data.pop("rank", None)  # NOTE: the order is stored once; a new item at the top does not rewrite every row
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
