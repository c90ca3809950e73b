"""Run history in an embedded SQLite database: the trend of a backlog's health and what is new or fixed.

Each run of a source (kind, location and query) stores its summary, metrics and one fingerprint per finding
(item, rule, field). A run is written in one transaction after its reports are written, so a failed or
interrupted run leaves the database as it was; concurrent runs wait for each other's short write.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from backlog_health.errors import ConfigError
from backlog_health.model import BacklogItem, Finding, RunResult, SourceInfo

DEFAULT_PATH = Path(".backlog-health") / "history.sqlite"
N_TREND = 12  # runs shown in the trend, the current one included
N_LISTED = 20  # new and fixed findings listed by name
BUSY_TIMEOUT_MS = 15_000

# Migrations in order; PRAGMA user_version holds how many are applied. Never edit one: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            generated_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            health_score INTEGER NOT NULL,
            band TEXT NOT NULL,
            n_items INTEGER NOT NULL,
            n_ready INTEGER NOT NULL,
            n_findings INTEGER NOT NULL,
            summary TEXT NOT NULL,
            metrics TEXT NOT NULL)""",
        "CREATE INDEX runs_by_source ON runs (source, id)",
        """CREATE TABLE findings (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            item TEXT NOT NULL,
            rule TEXT NOT NULL,
            PRIMARY KEY (run_id, fingerprint)) WITHOUT ROWID""",
    ),
    (
        # 2: the analysis cache (cache.py): an item's item-level findings under a key of all they depend on
        """CREATE TABLE analysis_cache (
            key TEXT PRIMARY KEY,
            findings TEXT NOT NULL,
            used_at TEXT NOT NULL) WITHOUT ROWID""",
    ),
    (
        # 3: fetched backlogs (sources/incremental.py), so that the next fetch asks the tracker only for what changed
        """CREATE TABLE snapshots (
            source TEXT PRIMARY KEY,
            fetched_at TEXT NOT NULL,
            full_at TEXT NOT NULL,
            info TEXT NOT NULL) WITHOUT ROWID""",
        """CREATE TABLE snapshot_items (
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            item TEXT NOT NULL,
            PRIMARY KEY (source, key)) WITHOUT ROWID""",
    ),
)
CACHE_LIMIT = 200_000  # entries kept; the least recently used go first
TOUCH_AFTER_DAYS = 7  # an entry read again is marked as used when its mark is older than this
# NOTE: keys per look-up: SQLite from 3.32 takes 32,766 parameters, older builds 999.
GET_CHUNK = 30_000 if sqlite3.sqlite_version_info >= (3, 32, 0) else 900


@dataclass(frozen=True)
class History:
    """What the history says of this run: the previous one, the trend, and the findings new or fixed since."""

    n_runs: int  # earlier runs of this source in the database
    previous_score: int | None  # health score of the previous run
    previous_at: str | None  # when the previous run was made (ISO 8601)
    trend: tuple[tuple[str, int], ...]  # (date, health score), oldest first, this run last
    n_new: int  # findings this run has and the previous one had not
    n_fixed: int  # findings the previous run had and this one has not, in items still in the backlog, not silenced
    new: tuple[tuple[str, str], ...]  # (item key, rule) of some new findings
    fixed: tuple[tuple[str, str], ...]  # (item key, rule) of some fixed findings
    settings_changed: bool = False  # the previous run judged the backlog with other settings (rules, thresholds …)
    n_suppressed: int = 0  # findings of the previous run that a suppression silences now (not fixed)
    n_removed: int = 0  # findings of the previous run whose items left the backlog (not fixed)

    @property
    def delta(self) -> int | None:
        """Change of the health score since the previous run."""
        return None if self.previous_score is None else self.trend[-1][1] - self.previous_score

    def to_dict(self) -> dict[str, Any]:
        """The `history` object of the JSON report."""
        return {
            "n_runs": self.n_runs,
            "previous_score": self.previous_score,
            "previous_at": self.previous_at,
            "delta": self.delta,
            "trend": [{"date": date, "health_score": score} for date, score in self.trend],
            "n_new": self.n_new,
            "n_fixed": self.n_fixed,
            "new": [{"item": item, "rule": rule} for item, rule in self.new],
            "fixed": [{"item": item, "rule": rule} for item, rule in self.fixed],
            "settings_changed": self.settings_changed,
            "n_suppressed": self.n_suppressed,
            "n_removed": self.n_removed,
        }


def source_key(source: SourceInfo) -> str:
    """The identity of a backlog across runs: where it comes from and which query selects it."""
    return "\n".join((source.kind, source.location, source.query or ""))


def fingerprint(item: BacklogItem, finding: Finding) -> str:
    """A finding's identity across runs: its item, rule and field (not its wording, which rules may refine).

    An item is known by its key; a key that is only a line or row number (a text file, a CSV without keys)
    changes when a line is added above it, so such an item is known by its title instead.
    """
    identity = " ".join(item.title.lower().split()) if item.key.isdigit() else item.key
    return hashlib.sha256(f"{identity}\0{finding.rule}\0{finding.field}".encode()).hexdigest()[:20]


def _fingerprints(result: RunResult) -> dict[str, tuple[str, str]]:
    return {
        fingerprint(item.item, finding): (item.item.key, finding.rule)
        for item in result.items
        for finding in item.findings
    }


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create or migrate) the history database; a clear error when it cannot be used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
    except sqlite3.DatabaseError as error:
        raise ConfigError(
            f"{path}: cannot use the history database ({error}); move it away or run with --no-history"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot create the history database: {error.strerror or error}") from None
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations the database lacks, each in its own transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise ConfigError(
            f"{path}: the history database was written by a newer backlog-health (schema {version}); "
            "upgrade backlog-health or use another --history file"
        )
    for number in range(version, len(MIGRATIONS)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # NOTE: re-read under the write lock: a concurrent run may have migrated meanwhile.
            if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                conn.execute("COMMIT")
                continue
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def compare(conn: sqlite3.Connection, result: RunResult) -> History:
    """This run against the earlier runs of its source."""
    source = source_key(result.source)
    rows = conn.execute(
        "SELECT id, generated_at, health_score, summary FROM runs WHERE source = ? ORDER BY id DESC LIMIT ?",
        (source, N_TREND - 1),
    ).fetchall()
    n_runs = conn.execute("SELECT COUNT(*) FROM runs WHERE source = ?", (source,)).fetchone()[0]
    trend = tuple((at[:10], score) for _, at, score, _ in reversed(rows)) + (
        (result.generated_at.date().isoformat(), result.health_score),
    )
    current = _fingerprints(result)
    if not rows:
        return History(n_runs, None, None, trend, 0, 0, (), ())
    previous_id, previous_at, previous_score, previous_summary = rows[0]
    # NOTE: runs recorded before settings were fingerprinted say nothing: no change is claimed.
    previous_settings = json.loads(previous_summary).get("settings")
    settings_changed = bool(previous_settings and result.settings and previous_settings != result.settings)
    before = {
        print_: (item, rule)
        for print_, item, rule in conn.execute(
            "SELECT fingerprint, item, rule FROM findings WHERE run_id = ?", (previous_id,)
        )
    }
    new = sorted(value for key, value in current.items() if key not in before)
    gone = {key: value for key, value in before.items() if key not in current}
    # NOTE: a finding that is gone was fixed only if its item is still there and no suppression silences it now.
    by_key = {entry.item.key: entry.item for entry in result.items}
    silenced = {fingerprint(by_key[entry.item], entry.finding) for entry in result.suppressed if entry.item in by_key}
    removed = [key for key, (item, _) in gone.items() if item not in by_key]
    suppressed = [key for key in gone if key in silenced]
    fixed = sorted(value for key, value in gone.items() if key not in silenced and value[0] in by_key)
    return History(
        n_runs,
        previous_score,
        previous_at,
        trend,
        len(new),
        len(fixed),
        tuple(new[:N_LISTED]),
        tuple(fixed[:N_LISTED]),
        settings_changed=settings_changed,
        n_suppressed=len(suppressed),
        n_removed=len(removed),
    )


def record(conn: sqlite3.Connection, result: RunResult) -> int:
    """Store this run and its finding fingerprints in one transaction; the new run's id."""
    summary = result.summary
    conn.execute("BEGIN IMMEDIATE")
    try:
        run_id = conn.execute(
            "INSERT INTO runs (source, generated_at, tool_version, health_score, band, n_items, n_ready, n_findings,"
            " summary, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source_key(result.source),
                result.generated_at.isoformat(timespec="seconds"),
                result.tool_version,
                result.health_score,
                result.band,
                summary.n_items,
                summary.n_ready,
                summary.n_findings,
                json.dumps(
                    {
                        "by_severity": dict(summary.by_severity),
                        "by_criterion": dict(summary.by_criterion),
                        "settings": result.settings,
                    }
                ),
                json.dumps(result.metrics, default=str),
            ),
        ).lastrowid
        conn.executemany(
            "INSERT INTO findings (run_id, fingerprint, item, rule) VALUES (?, ?, ?, ?)",
            _rows(run_id, _fingerprints(result).items()),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return run_id


def _rows(run_id: int, prints: Iterable[tuple[str, tuple[str, str]]]) -> Iterable[tuple[int, str, str, str]]:
    return ((run_id, key, item, rule) for key, (item, rule) in prints)


class CacheStore:
    """The analysis cache in the history database (see cache.py); written in one transaction per run.

    Each entry carries the day it was last used; past CACHE_LIMIT entries, the least recently used go. An entry
    read again is marked used only when its mark is older than TOUCH_AFTER_DAYS, so a rerun writes almost nothing.
    """

    def __init__(self, conn: sqlite3.Connection, today: str | None = None) -> None:
        self.conn = conn
        self.today = today or datetime.now(timezone.utc).date().isoformat()
        self._stale: set[str] = set()  # entries read whose last-used mark is old

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """The entries of the keys found."""
        wanted, found = list(dict.fromkeys(keys)), {}
        touch_before = (date.fromisoformat(self.today) - timedelta(days=TOUCH_AFTER_DAYS)).isoformat()
        for start in range(0, len(wanted), GET_CHUNK):
            chunk = wanted[start : start + GET_CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, text, used_at in self.conn.execute(
                f"SELECT key, findings, used_at FROM analysis_cache WHERE key IN ({marks})", chunk
            ):
                found[key] = text
                if used_at < touch_before:
                    self._stale.add(key)
        return found

    def put_many(self, entries: dict[str, str], used_at: str = "") -> None:
        """Store the entries, mark the old entries read as used, and drop the least recently used beyond
        CACHE_LIMIT."""
        if not entries and not self._stale:
            return
        used_at = used_at or self.today
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO analysis_cache (key, findings, used_at) VALUES (?, ?, ?)",
                ((key, text, used_at) for key, text in entries.items()),
            )
            conn.executemany(
                "UPDATE analysis_cache SET used_at = ? WHERE key = ?", ((used_at, key) for key in self._stale)
            )
            self._stale.clear()
            (count,) = conn.execute("SELECT COUNT(*) FROM analysis_cache").fetchone()
            if count > CACHE_LIMIT:
                conn.execute(
                    "DELETE FROM analysis_cache WHERE key IN (SELECT key FROM analysis_cache ORDER BY used_at LIMIT ?)",
                    (count - CACHE_LIMIT,),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
