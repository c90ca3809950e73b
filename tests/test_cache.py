"""The analysis cache: unchanged items are not parsed or checked again; what they depend on invalidates them."""

from __future__ import annotations

from dataclasses import replace

from backlog_health import history
from backlog_health.cache import decode_item
from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, SourceInfo
from backlog_health.sources import Loaded

CONFIG = load_config(directory=None)
SOURCE = SourceInfo("file", "b.csv", None, frozenset({"title", "description"}))
ITEMS = (
    BacklogItem("PAN-1", "As a shopper, I want a fast checkout, so that I do not give up.", description="Context."),
    BacklogItem("PAN-2", "As a clerk, I want to add and delete invoices.", description="Context."),
    BacklogItem("PAN-3", "Fix the printer driver", description="Context.", type="Bug"),
)


class DictStore:
    """An in-memory store that counts what it is asked."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.hits = 0  # item-level findings answered
        self.parts = 0  # stories and criteria answered

    def get_many(self, keys):
        found = {key: self.entries[key] for key in keys if key in self.entries}
        self.hits += sum(1 for key in found if key.startswith("findings:"))
        self.parts += sum(1 for key in found if key.startswith("parts:"))
        return found

    def put_many(self, entries) -> None:
        self.entries.update(entries)


def _run(items=ITEMS, config=CONFIG, store=None):
    return analyze(Loaded(SOURCE, tuple(items)), config, cache=store)


def _findings(result):
    return [[(f.rule, f.message) for f in item.findings] for item in result.items]


def test_a_rerun_reuses_every_item_and_finds_the_same():
    store = DictStore()
    first = _run(store=store)
    assert store.hits == 0 and len(store.entries) == 6  # three items: story and criteria, findings
    second = _run(store=store)
    assert store.hits == 3 and store.parts == 0, "one look-up per unchanged item"
    assert _findings(second) == _findings(first) == _findings(_run())
    assert any("3 of 3 items are unchanged" in note for note in second.notes)


def test_a_changed_item_is_checked_again_and_the_others_reused():
    store = DictStore()
    _run(store=store)
    changed = (ITEMS[0], replace(ITEMS[1], title="As a clerk, I want to add invoices."), ITEMS[2])
    result = _run(changed, store=store)
    assert store.hits == 2
    assert not any(f.rule == "AT01" for f in result.items[1].findings)


def test_a_changed_rule_or_setting_invalidates_the_cache():
    store = DictStore()
    _run(store=store)
    stricter = replace(CONFIG, rule_settings={**CONFIG.rule_settings, "AM01": {"severity": "error"}})
    result = _run(config=stricter, store=store)
    assert store.hits == 0
    assert store.parts == 3, "stories and criteria do not depend on the rules: they are reused"
    assert any(f.rule == "AM01" and f.severity == "error" for f in result.items[0].findings)


def test_backlog_rules_still_see_the_whole_backlog():
    store = DictStore()
    _run(store=store)
    twin = BacklogItem("PAN-4", ITEMS[0].title, description="Context.")
    result = _run((*ITEMS, twin), store=store)
    assert store.hits == 3
    assert any(f.rule == "UQ01" for f in result.items[0].findings), "the cached item learns of its new duplicate"
    assert any(f.rule == "UQ01" for f in result.items[3].findings)


def test_the_cache_lives_in_the_history_database(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite")
    store = history.CacheStore(conn)
    first = _run(store=store)
    again = _run(store=history.CacheStore(history.connect(tmp_path / "h.sqlite")))
    assert _findings(again) == _findings(first)
    assert any("unchanged" in note for note in again.notes)


def test_an_item_no_longer_checked_as_a_story_is_checked_again():
    # NOTE: an untyped item is checked as a story in a backlog of stories, and not in a backlog of other texts.
    odd = BacklogItem("X-1", "Printer driver and scanner driver", description="Context.")
    stories = [BacklogItem(f"S-{n}", f"As a clerk, I want report {n}, so that I can file it.") for n in range(25)]
    notes = [BacklogItem(f"N-{n}", f"Crash number {n} in the spooler") for n in range(25)]
    store = DictStore()
    first = _run((*stories, odd), store=store)
    assert any(f.rule == "WF01" for f in first.items[-1].findings), "checked as a story: it has no role"
    second = _run((*notes, odd), store=store)
    assert not any(f.rule == "WF01" for f in second.items[-1].findings)
    assert _findings(second) == _findings(_run((*notes, odd)))


def test_backlog_rules_reuse_what_they_prepared_of_unchanged_items():
    twins = (
        BacklogItem("PAN-7", "As a clerk, I want to export the invoices as a spreadsheet."),
        BacklogItem("PAN-8", "As a clerk, I want to export all the invoices as a spreadsheet."),
    )
    store = DictStore()
    _run((*ITEMS, *twins), store=store)
    entries = [decode_item(text) for key, text in store.entries.items() if key.startswith("findings:")]
    assert all({"UQ01", "UQ02"} <= set(entry[4]) for entry in entries), "each item keeps what UQ01 and UQ02 need"
    edited = (*ITEMS, twins[0], replace(twins[1], title="As a clerk, I want to export all invoices as a spreadsheet."))
    again = _run(edited, store=store)
    assert store.hits == 4, "the edited item alone is checked again"
    assert _findings(again) == _findings(_run(edited))
    assert any(f.rule == "UQ02" for f in again.items[3].findings), "the unchanged twin still meets its edited twin"


def test_entries_carry_the_day_they_were_last_used_and_the_least_used_go(tmp_path, monkeypatch):
    from backlog_health import history

    conn = history.connect(tmp_path / "h.sqlite")
    history.CacheStore(conn, today="2026-01-01").put_many({"old": "a", "kept": "b"})
    later = history.CacheStore(conn, today="2026-03-01")
    assert later.get_many(["kept"]) == {"kept": "b"}
    later.put_many({"new": "c"})
    days = dict(conn.execute("SELECT key, used_at FROM analysis_cache"))
    assert days == {"old": "2026-01-01", "kept": "2026-03-01", "new": "2026-03-01"}, "read again: marked as used"
    soon = history.CacheStore(conn, today="2026-03-03")
    soon.get_many(["kept"])
    soon.put_many({})
    assert conn.execute("SELECT used_at FROM analysis_cache WHERE key = 'kept'").fetchone() == ("2026-03-01",), (
        "a recent mark is not rewritten: a rerun writes nothing for what it reuses"
    )
    monkeypatch.setattr(history, "CACHE_LIMIT", 3)
    history.CacheStore(conn, today="2026-03-04").put_many({"newest": "d"})
    assert {key for (key,) in conn.execute("SELECT key FROM analysis_cache")} == {"kept", "new", "newest"}, (
        "the entry nobody used since January goes first"
    )
