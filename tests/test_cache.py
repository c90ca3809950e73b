"""The analysis cache: unchanged items are not parsed or checked again; what they depend on invalidates them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backlog_health import history
from backlog_health.cache import decode
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
    """An in-memory store that counts what it answers and what it is given."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.hits = 0  # entries answered
        self.written = 0  # entries written (an item analysed again)

    def get_many(self, keys):
        found = {key: self.entries[key] for key in keys if key in self.entries}
        self.hits += sum(1 for key in found if key.startswith("item:"))
        return found

    def put_many(self, entries) -> None:
        self.written += sum(1 for key in entries if key.startswith("item:"))
        self.entries.update(entries)

    def items(self):
        return {key: text for key, text in self.entries.items() if key.startswith("item:")}


@pytest.fixture
def story_searches(monkeypatch):
    """How many times a story was looked for in an item (the work a cached entry saves)."""
    from backlog_health import engine

    calls = []
    original = engine.find_story
    monkeypatch.setattr(engine, "find_story", lambda *args: calls.append(args) or original(*args))
    return calls


def _run(items=ITEMS, config=CONFIG, store=None):
    return analyze(Loaded(SOURCE, tuple(items)), config, cache=store)


def _findings(result):
    return [[(f.rule, f.message) for f in item.findings] for item in result.items]


def test_a_rerun_reuses_every_item_and_finds_the_same(story_searches):
    store = DictStore()
    first = _run(store=store)
    assert store.hits == 0 and len(store.items()) == 3, "one entry per item"
    assert len(story_searches) == 3
    second = _run(store=store)
    assert store.hits == 3 and store.written == 3, "one look-up per unchanged item, nothing written again"
    assert len(story_searches) == 3, "no story looked for again"
    assert _findings(second) == _findings(first) == _findings(_run())
    assert any("3 of 3 items are unchanged" in note for note in second.notes)


def test_a_changed_item_is_checked_again_and_the_others_reused():
    store = DictStore()
    _run(store=store)
    changed = (ITEMS[0], replace(ITEMS[1], title="As a clerk, I want to add invoices."), ITEMS[2])
    result = _run(changed, store=store)
    assert store.hits == 2 and store.written == 4
    assert not any(f.rule == "AT01" for f in result.items[1].findings)


def test_a_changed_rule_or_setting_invalidates_the_cache(story_searches):
    store = DictStore()
    _run(store=store)
    stricter = replace(CONFIG, rule_settings={**CONFIG.rule_settings, "AM01": {"severity": "error"}})
    result = _run(config=stricter, store=store)
    assert store.written == 6, "every item is checked again under the new rules"
    assert len(story_searches) == 3, "stories and criteria do not depend on the rules: they are reused"
    assert any(f.rule == "AM01" and f.severity == "error" for f in result.items[0].findings)
    assert _findings(result) == _findings(_run(config=stricter))
    again = _run(config=stricter, store=store)
    assert store.written == 6 and _findings(again) == _findings(result), "the new analysis is the one kept"


def test_a_rule_moved_to_another_criterion_invalidates_the_cache():
    # NOTE: a finding carries its rule's criterion, which scores and readiness read: a cached one must not keep
    # the old criterion (a team's rule file edited between runs).
    from backlog_health.engine import build_rules
    from backlog_health.rules import RuleSet

    rules = build_rules(CONFIG)
    moved = RuleSet(tuple(replace(rule, criterion="testable") if rule.id == "AT01" else rule for rule in rules.rules))
    store = DictStore()
    first = analyze(Loaded(SOURCE, ITEMS), CONFIG, rules, cache=store)
    assert [f.criterion for f in first.items[1].findings if f.rule == "AT01"] == ["atomic"]
    again = analyze(Loaded(SOURCE, ITEMS), CONFIG, moved, cache=store)
    fresh = analyze(Loaded(SOURCE, ITEMS), CONFIG, moved)
    assert [f.criterion for f in again.items[1].findings if f.rule == "AT01"] == ["testable"]
    assert [item.findings for item in again.items] == [item.findings for item in fresh.items]
    assert [(item.score, item.ready_reasons) for item in again.items] == [
        (item.score, item.ready_reasons) for item in fresh.items
    ]


def test_a_damaged_entry_is_analysed_again_and_rewritten():
    import json

    store = DictStore()
    first = _run(store=store)
    damages = [
        lambda entry: entry[:5] + [None],  # prepared values lost
        lambda entry: entry[:4] + [[["AT01", "atomic"]]] + entry[5:],  # a finding row cut short
        lambda entry: [[1, 2, 3, 4, 5, 6]] + entry[1:],  # a story of numbers
    ]
    for key, damage in zip(sorted(store.items()), damages, strict=True):
        store.entries[key] = json.dumps(damage(json.loads(store.entries[key])))
    again = _run(store=store)
    assert not any("failed" in note for note in again.notes), again.notes
    assert _findings(again) == _findings(first)
    assert store.written == 6, "the three damaged entries are written again"
    assert all(json.loads(text)[5] is not None for text in store.items().values())


def test_an_entry_another_version_wrote_is_no_answer():
    store = DictStore()
    first = _run(store=store)
    store.entries = dict.fromkeys(store.entries, '["a layout of another version"]')  # items and rules' memory
    assert _findings(_run(store=store)) == _findings(first)
    assert store.written == 6


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
    entries = [decode(text) for text in store.items().values()]
    assert all({"UQ01", "UQ02"} <= set(entry.prepared) for entry in entries), "each item keeps what UQ01, UQ02 need"
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


def test_an_item_has_the_same_key_in_every_process():
    import subprocess
    import sys

    from backlog_health.cache import item_key, key_salt
    from backlog_health.model import Link

    code = (
        "from backlog_health.cache import item_key, key_salt; from backlog_health.model import BacklogItem, Link; "
        "print(item_key(BacklogItem('PAN-9', 'Título ✓', 'x\\ud800', labels=('a', 'b'), estimate=3.0, "
        "links=(Link('blocks', 'PAN-1', 'done'),)), key_salt(['story'])))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed}
        ).stdout.strip()
        for seed in ("1", "2")
    }
    item = BacklogItem(
        "PAN-9", "Título ✓", "x\ud800", labels=("a", "b"), estimate=3.0, links=(Link("blocks", "PAN-1", "done"),)
    )
    assert keys == {item_key(item, key_salt(["story"]))}
    assert item_key(replace(item, rank=5, updated=None), key_salt(["story"])) == item_key(item, key_salt(["story"]))
    assert item_key(replace(item, estimate=5.0), key_salt(["story"])) != item_key(item, key_salt(["story"]))
    assert item_key(item, key_salt(["story", "feature"])) != item_key(item, key_salt(["story"]))


def test_equal_items_have_one_key_however_their_strings_are_shared():
    from backlog_health.cache import item_key, key_salt
    from backlog_health.model import Link

    def fresh(text: str) -> str:
        """An equal string that is another object (as a snapshot read back gives)."""
        return text.encode().decode()

    # NOTE: a converter may put one string object in two fields (a constant, a key reused); the same item read
    # back from a snapshot has two equal strings.
    kind, key = fresh("is blocked by"), fresh("PAN-1")
    shared = BacklogItem("PAN-9", "Export", parent=key, links=(Link(kind, key, "done"), Link(kind, "PAN-2", "new")))
    apart = BacklogItem(
        "PAN-9",
        "Export",
        parent=fresh(key),
        links=(Link(fresh(kind), fresh(key), "done"), Link(fresh(kind), "PAN-2", "new")),
    )
    assert shared == apart and shared.parent is shared.links[0].key and apart.parent is not apart.links[0].key
    assert item_key(shared, key_salt(["story"])) == item_key(apart, key_salt(["story"]))


def test_a_backlog_rule_keeps_one_memory_which_answers_only_under_the_same_settings():
    from backlog_health.cache import RuleMemory

    twins = tuple(
        BacklogItem(f"T-{n}", f"As a clerk, I want to export the {n} invoices as a spreadsheet") for n in "ab"
    )
    store = DictStore()
    first = _run((*ITEMS, *twins), store=store)
    memories = [key for key in store.entries if key.startswith("memory:")]
    assert memories == ["memory:UQ02:pairs"], "near duplicates remember the pairs they found"
    looser = replace(CONFIG, rule_settings={**CONFIG.rule_settings, "UQ02": {"threshold": 0.5}})
    _run((*ITEMS, *twins), config=looser, store=store)
    assert [key for key in store.entries if key.startswith("memory:")] == memories, "replaced, not piled up"
    assert _findings(_run((*ITEMS, *twins), store=store)) == _findings(first)
    pending: dict[str, str] = {}
    memory = RuleMemory(store, "UQ02", "scope-a", pending)
    memory.put("x", "kept")
    store.put_many(pending)
    assert memory.get("x") == "kept" and RuleMemory(store, "UQ02", "scope-b", {}).get("x") is None


def test_a_rerun_with_nothing_to_parse_does_not_load_spacy(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from backlog_health import history; "
        "from backlog_health.config import load_config; from backlog_health.engine import analyze; "
        "from backlog_health.sources.files import load_file; "
        "store = history.CacheStore(history.connect(Path(sys.argv[2]))); "
        "result = analyze(load_file(Path(sys.argv[1])), load_config(directory=None), cache=store); "
        "print('spacy' in sys.modules, result.nlp.model, sum(len(item.findings) for item in result.items))"
    )
    backlog = tmp_path / "b.txt"
    backlog.write_text(
        "As a clerk, I want to file invoices, so that I am paid.\nAs a clerk, I want it fast and easy.\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(backlog), str(tmp_path / "h.sqlite")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][0] == "True" and runs[1][0] == "False", "the second run found every item in the cache"
    assert runs[0][1:] == runs[1][1:], "the same model named, the same findings"
    assert int(runs[0][2]) > 0
