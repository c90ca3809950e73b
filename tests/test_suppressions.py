"""Suppressions: labels, description markers and the overrides file silence a rule for an item, visibly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from backlog_health.errors import ConfigError
from backlog_health.model import BacklogItem, Finding
from backlog_health.suppressions import Suppressed, Suppression, Suppressor, description_markers, load_overrides

TODAY = date(2026, 6, 15)
AM01 = Finding(rule="AM01", criterion="unambiguous", severity="warning", message="Avoid 'fast'", excerpt="fast")
AT01 = Finding(rule="AT01", criterion="atomic", severity="warning", message="Split the story", excerpt="and")
WF01 = Finding(rule="WF01", criterion="well_formed", severity="error", message="Name the role")


def _item(key: str = "PAN-12", labels: tuple[str, ...] = (), description: str = "") -> BacklogItem:
    return BacklogItem(
        key=key, title="As a user, I want a fast page and a report.", labels=labels, description=description
    )


def _rules(suppressed: tuple[Suppressed, ...]) -> list[str]:
    return [s.finding.rule for s in suppressed]


# --- labels ---------------------------------------------------------------------------------------------------

LABEL_CASES = [
    ("colon", ("bh-ignore:AM01",), ["AM01"]),
    ("hyphen", ("bh-ignore-AM01",), ["AM01"]),
    ("upper case", ("BH-IGNORE:am01",), ["AM01"]),
    ("several labels", ("bh-ignore:AM01", "frontend", "bh-ignore-AT01"), ["AM01", "AT01"]),
    ("same rule twice", ("bh-ignore:AM01", "bh-ignore-AM01"), ["AM01"]),
    ("other labels only", ("frontend", "ignore-AM01"), []),
    ("not a rule id", ("bh-ignore:later", "bh-ignore:AM1", "bh-ignore:AM012"), []),
    ("no rule", ("bh-ignore",), []),
    ("one file cell, several labels", ("amqp bh-ignore:AM01 frontend",), ["AM01"]),
    ("a spaced marker label", ("bh-ignore AT01",), ["AT01"]),
]


@pytest.mark.parametrize(("case", "labels", "expected"), LABEL_CASES, ids=[c[0] for c in LABEL_CASES])
def test_labels_suppress_their_rule(case, labels, expected):
    kept, suppressed = Suppressor((), TODAY).filter(_item(labels=labels), (AM01, AT01, WF01))
    assert _rules(suppressed) == expected, case
    assert [f.rule for f in kept] == [r for r in ("AM01", "AT01", "WF01") if r not in expected], case
    assert all(s.suppression.origin == "label" and s.suppression.reason == "" for s in suppressed), case


# --- description markers --------------------------------------------------------------------------------------

MARKER_CASES = [
    (
        "line, colon and dash",
        "bh-ignore: AM01 — fast is defined in the glossary",
        [(("AM01",), "fast is defined in the glossary")],
    ),
    ("line, no reason", "bh-ignore AM01", [(("AM01",), "")]),
    ("line, hyphen form", "bh-ignore-AM01", [(("AM01",), "")]),
    (
        "line, two rules, colon reason",
        "bh-ignore: AM01, AT01: agreed in refinement",
        [(("AM01", "AT01"), "agreed in refinement")],
    ),
    ("line, rules by spaces", "bh-ignore AM01 AT01 -- legacy wording", [(("AM01", "AT01"), "legacy wording")]),
    (
        "line, reason without separator",
        "bh-ignore AM01 the glossary defines it",
        [(("AM01",), "the glossary defines it")],
    ),
    ("line, en dash", "BH-Ignore: am01 – ok", [(("AM01",), "ok")]),
    ("list item", "Notes:\n- bh-ignore: AM01 — ok\n- other", [(("AM01",), "ok")]),
    ("numbered item", "1. bh-ignore AT01: ok", [(("AT01",), "ok")]),
    ("indented", "   bh-ignore AM01", [(("AM01",), "")]),
    ("html comment", "Text.\n<!-- bh-ignore AM01, AT01: reason -->", [(("AM01", "AT01"), "reason")]),
    ("html comment inside a line", "Fast page <!-- bh-ignore: AM01 --> please", [(("AM01",), "")]),
    (
        "html comment on lines",
        "<!--\n  bh-ignore: AM01 —\n  the glossary says so\n-->",
        [(("AM01",), "the glossary says so")],
    ),
    ("comment and line", "<!-- bh-ignore AM01 -->\nbh-ignore: AT01", [(("AM01",), ""), (("AT01",), "")]),
    # Not markers: prose, quotes, code, other comments.
    ("prose", "We should bh-ignore nothing here.", []),
    ("prose at line start", "bh-ignore is how we silence a rule.", []),
    ("prose naming a rule", "Remember: bh-ignore AM01 only with a reason.", []),
    ("quote", "> bh-ignore: AM01 — someone else's words", []),
    ("heading", "## bh-ignore AM01", []),
    ("fenced code", "```\nbh-ignore: AM01\n```", []),
    ("tilde fence", "~~~text\n<!-- bh-ignore AM01 -->\n~~~", []),
    ("fence closed, then a marker", "```\nbh-ignore: AM01\n```\nbh-ignore: AT01", [(("AT01",), "")]),
    ("unclosed fence", "```\nbh-ignore: AM01", []),
    ("longer fence closes only on its length", "````\n```\nbh-ignore: AM01\n````", []),
    ("code span", "Write `bh-ignore: AM01` on a line.", []),
    ("code span with a comment", "Use `<!-- bh-ignore AM01 -->` to silence.", []),
    ("line that is a code span", "`bh-ignore: AM01`", []),
    ("other comment", "<!-- TODO: bh-ignore AM01 later -->", []),
    ("unclosed comment", "<!-- draft\nbh-ignore: AM01", []),
    ("not a rule id", "bh-ignore: AM1\nbh-ignore: everything", []),
]


@pytest.mark.parametrize(("case", "description", "expected"), MARKER_CASES, ids=[c[0] for c in MARKER_CASES])
def test_description_markers(case, description, expected):
    assert description_markers(description) == expected, case


def test_a_marker_suppresses_with_its_reason():
    item = _item(description="As agreed:\n<!-- bh-ignore AM01, AT01: the glossary defines fast -->")
    kept, suppressed = Suppressor((), TODAY).filter(item, (AM01, AT01, WF01))
    assert kept == (WF01,)
    assert [(s.item, s.finding, s.suppression) for s in suppressed] == [
        ("PAN-12", AM01, Suppression("PAN-12", "AM01", "the glossary defines fast", None, "description")),
        ("PAN-12", AT01, Suppression("PAN-12", "AT01", "the glossary defines fast", None, "description")),
    ]


def test_every_finding_of_a_suppressed_rule_is_suppressed():
    second = Finding(rule="AM01", criterion="unambiguous", severity="warning", message="Avoid 'easy'", excerpt="easy")
    kept, suppressed = Suppressor((), TODAY).filter(_item(labels=("bh-ignore:am01",)), (AM01, second))
    assert kept == ()
    assert [s.finding for s in suppressed] == [AM01, second]


# --- overrides file -------------------------------------------------------------------------------------------

VALID = """\
[[suppress]]
item = "PAN-12"
rule = "am01"
reason = "Fast is defined in the glossary."
until = 2026-12-31

[[suppress]]
item = "PAN-13"
rule = "AT01"
reason = "  Split   later. "
until = "2026-07-01"

[[suppress]]
item = "#42"
rule = "WF01"
reason = "An internal task, not a story."
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overrides.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_file_loads(tmp_path, monkeypatch):
    path = _write(tmp_path, VALID)
    monkeypatch.chdir(tmp_path.parent)
    shown = f"{tmp_path.name}/overrides.toml"  # NOTE: reports are shared: paths relative to where the tool runs
    assert load_overrides(path) == (
        Suppression("PAN-12", "AM01", "Fast is defined in the glossary.", date(2026, 12, 31), f"{shown}:entry 1"),
        Suppression("PAN-13", "AT01", "Split later.", date(2026, 7, 1), f"{shown}:entry 2"),
        Suppression("#42", "WF01", "An internal task, not a story.", None, f"{shown}:entry 3"),
    )
    monkeypatch.chdir(Path(__file__).parent)
    assert load_overrides(path)[0].origin == "overrides.toml:entry 1", "outside the current folder: its name only"


def test_an_empty_overrides_file_has_no_suppressions(tmp_path):
    assert load_overrides(_write(tmp_path, "")) == ()


ENTRY = 'item = "PAN-12"\nrule = "AM01"\nreason = "ok"\n'
INVALID_CASES = [
    ("unknown key", f"[[suppress]]\n{ENTRY}owner = 'me'\n", "suppress entry 1: unknown key 'owner'"),
    ("missing item", '[[suppress]]\nrule = "AM01"\nreason = "ok"\n', "suppress entry 1: 'item' is missing"),
    ("missing rule", '[[suppress]]\nitem = "PAN-12"\nreason = "ok"\n', "suppress entry 1: 'rule' is missing"),
    ("missing reason", '[[suppress]]\nitem = "PAN-12"\nrule = "AM01"\n', "suppress entry 1: 'reason' is missing"),
    ("blank reason", '[[suppress]]\nitem = "PAN-12"\nrule = "AM01"\nreason = "  "\n', "suppress entry 1: 'reason'"),
    ("item not a string", '[[suppress]]\nitem = 12\nrule = "AM01"\nreason = "ok"\n', "suppress entry 1: 'item'"),
    ("rule id too long", '[[suppress]]\nitem = "P-1"\nrule = "AM001"\nreason = "ok"\n', "suppress entry 1: 'rule'"),
    ("rule name", '[[suppress]]\nitem = "P-1"\nrule = "vague-words"\nreason = "ok"\n', "suppress entry 1: 'rule'"),
    ("bad date string", f"[[suppress]]\n{ENTRY}until = '31.12.2026'\n", "suppress entry 1: 'until'"),
    ("impossible date", f"[[suppress]]\n{ENTRY}until = '2026-02-30'\n", "suppress entry 1: 'until'"),
    ("date with time", f"[[suppress]]\n{ENTRY}until = 2026-12-31T10:00:00\n", "without a time (not 2026-12-31 10:00)"),
    ("number as date", f"[[suppress]]\n{ENTRY}until = 20261231\n", "suppress entry 1: 'until'"),
    (
        "second entry",
        f"[[suppress]]\n{ENTRY}\n[[suppress]]\nitem = 'P-2'\nrule = 'AM01'\n",
        "suppress entry 2: 'reason'",
    ),
    (
        "repeated pair",
        f"[[suppress]]\n{ENTRY}\n[[suppress]]\n{ENTRY.replace('PAN', 'pan')}",
        "entry 2: repeats entry 1",
    ),
    ("unknown table", "[suppression]\nitem = 'P-1'\n", "unknown key 'suppression'"),
    ("not a list of tables", "suppress = 'PAN-12'\n", "'suppress' must be a list"),
    ("invalid TOML", "[[suppress]\nitem = \n", "invalid TOML"),
]


@pytest.mark.parametrize(("case", "text", "expected"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_invalid_overrides_name_file_entry_and_key(tmp_path, case, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_overrides(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), case
    assert expected in message, f"{case}: {message}"
    assert "\n" not in message, case


def test_missing_overrides_file(tmp_path):
    with pytest.raises(ConfigError, match="overrides.toml: overrides file not found"):
        load_overrides(tmp_path / "overrides.toml")


def test_an_override_suppresses_its_item_only(tmp_path):
    suppressor = Suppressor(load_overrides(_write(tmp_path, VALID)), TODAY)
    kept, suppressed = suppressor.filter(_item("pan-12"), (AM01, AT01))
    assert kept == (AT01,)
    assert [(s.item, s.finding.rule, s.suppression.reason) for s in suppressed] == [
        ("pan-12", "AM01", "Fast is defined in the glossary.")
    ]
    assert suppressor.filter(_item("PAN-99"), (AM01,)) == ((AM01,), ())


# --- expiry ---------------------------------------------------------------------------------------------------

EXPIRY_CASES = [
    ("no end", None, True),
    ("last day is today", TODAY, True),
    ("last day was yesterday", date(2026, 6, 14), False),
    ("last day is tomorrow", date(2026, 6, 16), True),
]


@pytest.mark.parametrize(("case", "until", "applies"), EXPIRY_CASES, ids=[c[0] for c in EXPIRY_CASES])
def test_a_suppression_applies_through_its_last_day(case, until, applies):
    override = Suppression("PAN-12", "AM01", "ok", until, "overrides.toml:entry 1")
    suppressor = Suppressor([override], TODAY)
    kept, suppressed = suppressor.filter(_item(), (AM01,))
    assert (kept, len(suppressed)) == (((), 1) if applies else ((AM01,), 0)), case
    assert suppressor.expired() == (() if applies else (override,)), case
    assert suppressor.unused() == (), case


def test_an_expired_override_falls_back_to_a_label():
    expired = Suppression("PAN-12", "AM01", "ok", date(2026, 1, 1), "overrides.toml:entry 1")
    suppressor = Suppressor([expired], TODAY)
    _, suppressed = suppressor.filter(_item(labels=("bh-ignore:AM01",)), (AM01,))
    assert [s.suppression.origin for s in suppressed] == ["label"]
    assert suppressor.expired() == (expired,)


# --- unused and unknown rules ---------------------------------------------------------------------------------


def test_unused_lists_active_suppressions_no_finding_needed():
    used = Suppression("PAN-12", "AM01", "ok", None, "f:entry 1")
    idle = Suppression("PAN-12", "AT01", "ok", None, "f:entry 2")
    absent = Suppression("PAN-77", "AM01", "ok", None, "f:entry 3")  # item not in the run
    expired = Suppression("PAN-12", "WF01", "ok", date(2026, 1, 1), "f:entry 4")
    suppressor = Suppressor([used, idle, absent, expired], TODAY)
    suppressor.filter(_item(description="bh-ignore: WF01 — a task"), (AM01,))
    suppressor.filter(_item("PAN-13", labels=("bh-ignore:AM01",)), (AM01,))
    assert suppressor.unused() == (idle, absent, Suppression("PAN-12", "WF01", "a task", None, "description"))
    assert suppressor.expired() == (expired,)


def test_every_matching_suppression_counts_as_used():
    override = Suppression("PAN-12", "AM01", "glossary", None, "f:entry 1")
    suppressor = Suppressor([override], TODAY)
    _, suppressed = suppressor.filter(_item(labels=("bh-ignore:AM01",), description="bh-ignore AM01"), (AM01,))
    assert [s.suppression for s in suppressed] == [override]  # overrides first: they carry a reason
    assert suppressor.unused() == ()


def test_unknown_rules():
    typo = Suppression("PAN-12", "AM99", "ok", None, "f:entry 1")
    known = Suppression("PAN-12", "AM01", "ok", None, "f:entry 2")
    suppressor = Suppressor([typo, known], TODAY, known_rules={"am01", "AT01"})
    suppressor.filter(_item("PAN-13", labels=("bh-ignore:XX01",)), ())
    assert suppressor.unknown_rules() == (typo, Suppression("PAN-13", "XX01", "", None, "label"))
    assert suppressor.unused() == (known,)  # an unknown rule is reported once, as unknown
    assert Suppressor([typo], TODAY).unknown_rules() == ()  # no rules given: nothing to compare


# --- output ---------------------------------------------------------------------------------------------------


def test_to_dict():
    suppression = Suppression("PAN-12", "AM01", "glossary", date(2026, 12, 31), "f:entry 1")
    assert Suppressed("PAN-12", AM01, suppression).to_dict() == {
        "item": "PAN-12",
        "finding": AM01.to_dict(),
        "suppression": {
            "item": "PAN-12",
            "rule": "AM01",
            "reason": "glossary",
            "until": "2026-12-31",
            "origin": "f:entry 1",
        },
    }
    assert Suppression("#4", "AT01", "", None, "label").to_dict()["until"] is None


# --- through the engine and the CLI ---------------------------------------------------------------------------


def _analyze_with(items, overrides=()):
    from dataclasses import replace as _replace

    from backlog_health.config import load_config
    from backlog_health.engine import analyze
    from backlog_health.model import SourceInfo
    from backlog_health.sources import Loaded

    config = _replace(load_config(directory=None), suppressions=tuple(overrides))
    return analyze(Loaded(SourceInfo("file", "b.csv", None, frozenset({"title", "labels"})), tuple(items)), config)


def test_engine_suppresses_counts_and_lists():
    two = "As a clerk, I want to add and delete invoices, so that the books stay right."
    items = [
        BacklogItem("INV-1", two, labels=("bh-ignore:AT01",)),
        BacklogItem("INV-2", two),
    ]
    result = _analyze_with(items)
    first, second = result.items
    assert not any(f.rule == "AT01" for f in first.findings)
    assert any(f.rule == "AT01" for f in second.findings)
    assert first.score > second.score  # the silenced finding costs nothing
    assert [(entry.item, entry.finding.rule) for entry in result.suppressed] == [("INV-1", "AT01")]


def test_engine_reports_unused_and_expired_overrides():
    items = [BacklogItem("INV-1", "As a clerk, I want to file invoices, so that audits go fast.")]
    overrides = [
        Suppression("INV-1", "AM01", "nothing to silence", None, "s.toml:entry 1"),
        Suppression("INV-9", "AT01", "gone", date(2020, 1, 1), "s.toml:entry 2"),
    ]
    result = _analyze_with(items, overrides)
    assert [(why, entry.item) for why, entry in result.stale_suppressions] == [
        ("unused", "INV-1"),
        ("expired", "INV-9"),
    ]
    assert any("match no finding" in note for note in result.notes)
    assert any("expired" in note for note in result.notes)
