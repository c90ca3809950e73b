"""The run history: migrations, the trend, new and fixed findings, and a database that a failed, interrupted or
concurrent run leaves consistent."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from backlog_health import history
from backlog_health.cli import main
from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.errors import ConfigError
from backlog_health.model import BacklogItem, SourceInfo
from backlog_health.sources import Loaded

SOURCE = SourceInfo("jira", "https://jira.example.com", "project = PAN", frozenset({"title", "description"}))
CONFIG = load_config(directory=None)
START = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def _run(*titles: str, day: int = 0, source: SourceInfo = SOURCE):
    items = tuple(BacklogItem(f"PAN-{n}", title, description="Some context.") for n, title in enumerate(titles, 1))
    result = analyze(Loaded(source, items), CONFIG)
    return replace(result, generated_at=START + timedelta(days=day))


def _record(conn, result):
    result = replace(result, history=history.compare(conn, result))
    history.record(conn, result)
    return result.history


GOOD = "As a shopper, I want to save my card, so that I pay faster next time."
VAGUE = "As a shopper, I want a fast and user-friendly checkout, so that I do not give up."
TWO = "As a shopper, I want to add and delete saved addresses, so that deliveries go to the right place."


def test_trend_and_new_and_fixed_findings_across_runs(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite")
    first = _record(conn, _run(GOOD, VAGUE, day=0))
    assert first.n_runs == 0 and first.previous_score is None and first.delta is None
    assert [date for date, _ in first.trend] == ["2026-11-01"]

    # PAN-2 gets fixed, PAN-3 arrives with a new problem
    second_result = _run(GOOD, GOOD.replace("card", "address"), TWO, day=7)
    second = _record(conn, second_result)
    assert second.n_runs == 1 and second.previous_at.startswith("2026-11-01")
    assert ("PAN-3", "AT01") in second.new and ("PAN-2", "AM01") in second.fixed
    assert not any(key == "PAN-1" for key, _ in second.new + second.fixed)
    assert second.delta == second_result.health_score - first.trend[-1][1]

    third = _record(conn, _run(GOOD, GOOD.replace("card", "address"), TWO, day=14))
    assert [date for date, _ in third.trend] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    assert third.n_new == 0 and third.n_fixed == 0


def test_findings_suppressed_or_gone_with_their_item_are_not_fixed(tmp_path):
    from backlog_health.suppressions import Suppression

    conn = history.connect(tmp_path / "h.sqlite")
    _record(conn, _run(GOOD, VAGUE, TWO, day=0))
    # PAN-2's vague wording is now accepted by the team; PAN-3 left the backlog
    silenced = replace(CONFIG, suppressions=(Suppression("PAN-2", "AM01", "accepted", None, "overrides.toml:1"),))
    items = (BacklogItem("PAN-1", GOOD, description="Some context."), BacklogItem("PAN-2", VAGUE, description="x"))
    result = replace(analyze(Loaded(SOURCE, items), silenced), generated_at=START + timedelta(days=7))
    second = _record(conn, result)
    assert second.n_suppressed >= 1 and second.n_removed >= 1
    assert not any(key in ("PAN-2", "PAN-3") and rule in ("AM01", "AT01") for key, rule in second.fixed), second
    assert second.to_dict()["n_suppressed"] == second.n_suppressed


def test_a_change_of_settings_is_told_apart_from_a_change_of_the_backlog(tmp_path):
    from backlog_health.report.views import build_view

    conn = history.connect(tmp_path / "h.sqlite")
    _record(conn, _run(GOOD, VAGUE, day=0))
    assert not _record(conn, _run(GOOD, VAGUE, day=1)).settings_changed
    items = tuple(r.item for r in _run(GOOD, VAGUE).items)
    result = analyze(Loaded(SOURCE, items), replace(CONFIG, velocity=20.0))
    result = replace(result, generated_at=START + timedelta(days=2))
    result = replace(result, history=history.compare(conn, result))
    assert result.history.settings_changed
    assert "the rules or settings changed since then" in build_view(result).change
    stricter_rule = replace(CONFIG, rule_settings={"AM01": {"severity": "error"}})
    assert analyze(Loaded(SOURCE, items), stricter_rule).settings != analyze(Loaded(SOURCE, items), CONFIG).settings
    assert analyze(Loaded(SOURCE, items), CONFIG).settings == analyze(Loaded(SOURCE, items), CONFIG).settings


def test_runs_of_other_sources_and_queries_do_not_mix(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite")
    _record(conn, _run(VAGUE))
    other = replace(SOURCE, query="project = OTHER")
    assert _record(conn, _run(GOOD, source=other)).n_runs == 0
    assert _record(conn, _run(GOOD)).n_runs == 1


def test_items_without_real_keys_are_known_by_their_title(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite")
    text = SourceInfo("file", "stories.txt", None, frozenset({"title"}))

    def numbered(*titles):
        items = tuple(BacklogItem(str(n), title) for n, title in enumerate(titles, 1))
        return analyze(Loaded(text, items), CONFIG)

    _record(conn, numbered(VAGUE, TWO))
    after_insert = _record(conn, numbered(GOOD, VAGUE, TWO))  # a new first line renumbers the others
    assert after_insert.n_new == 0 and after_insert.n_fixed == 0


def test_migrates_an_empty_database_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "h.sqlite"
    history.connect(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(history.MIGRATIONS)
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"runs", "findings"} <= tables
        raw.execute(f"PRAGMA user_version = {len(history.MIGRATIONS) + 1}")
    with pytest.raises(ConfigError, match="newer backlog-health"):
        history.connect(path)


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_text("this is not a database " * 100, encoding="utf-8")
    with pytest.raises(ConfigError, match="--no-history"):
        history.connect(path)


def test_a_run_interrupted_while_recording_leaves_no_trace(tmp_path, monkeypatch):
    path = tmp_path / "h.sqlite"
    conn = history.connect(path)
    _record(conn, _run(GOOD, VAGUE))

    rows = history._rows

    def broken_rows(run_id, prints):
        yield from list(rows(run_id, prints))[:1]
        raise KeyboardInterrupt  # the user pressed Ctrl-C half-way through the findings

    monkeypatch.setattr(history, "_rows", broken_rows)
    with pytest.raises(KeyboardInterrupt):
        history.record(conn, _run(VAGUE, TWO))
    monkeypatch.undo()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        assert raw.execute("SELECT COUNT(DISTINCT run_id) FROM findings").fetchone()[0] == 1
    assert history.compare(conn, _run(GOOD, VAGUE)).n_runs == 1


def test_concurrent_runs_are_all_recorded(tmp_path):
    path = tmp_path / "h.sqlite"
    history.connect(path).close()
    results = [_run(GOOD, VAGUE, day=n) for n in range(6)]
    errors: list[BaseException] = []

    def write(result):
        try:
            conn = history.connect(path)
            history.record(conn, result)
            conn.close()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(result,)) for result in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 6


def test_cli_reports_the_change_and_a_failed_run_records_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    backlog = tmp_path / "stories.txt"
    backlog.write_text(f"{GOOD}\n{VAGUE}\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["analyze", str(backlog), "--json", "a.json", "-q", "--exit-zero"])
    assert first.exit_code == 0, first.output
    assert json.loads((tmp_path / "a.json").read_text())["history"]["previous_score"] is None
    backlog.write_text(f"{GOOD}\n{GOOD.replace('card', 'address')}\n", encoding="utf-8")
    second = runner.invoke(
        main,
        ["analyze", str(backlog), "--json", "b.json", "--markdown", "b.md", "--html", "b.html", "-q", "--exit-zero"],
    )
    assert second.exit_code == 0, second.output
    data = json.loads((tmp_path / "b.json").read_text())["history"]
    assert data["n_runs"] == 1 and data["n_fixed"] >= 1 and len(data["trend"]) == 2
    assert "Since the last run" in (tmp_path / "b.md").read_text()
    html = (tmp_path / "b.html").read_text()
    assert 'id="chart-trend"' in html and "Since the last run" in html

    # a report that cannot be written fails the run, which then does not enter the history
    failed = runner.invoke(main, ["analyze", str(backlog), "--json", "missing/folder/c.json", "-q"])
    assert failed.exit_code == 2
    with sqlite3.connect(tmp_path / ".backlog-health" / "history.sqlite") as raw:
        assert raw.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2


def test_no_history_writes_no_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    backlog = tmp_path / "stories.txt"
    backlog.write_text(f"{GOOD}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(backlog), "--no-history", "--json", "a.json", "-q"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".backlog-health").exists()
    assert json.loads((tmp_path / "a.json").read_text())["history"] is None
