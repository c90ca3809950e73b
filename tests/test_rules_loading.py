"""A broken rule file fails at load, naming the file, the rule and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from backlog_health.errors import RuleError
from backlog_health.rules import load_rules

GOOD = """\
id: TM01
name: team-words
criterion: unambiguous
severity: warning
kind: lexicon
parameters:
  terms: [snappy]
message: "Avoid {match}"
rationale: "Team words confuse newcomers."
fix: "Say what you mean."
examples: {fail: ["As a user, I want a snappy page."], pass: ["As a user, I want a page."]}
"""


def _rule_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "team"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_team_rule_loads_next_to_the_built_in_ones(tmp_path):
    ruleset = load_rules([_rule_dir(tmp_path, {"TM01.yaml": GOOD})])
    rule = ruleset.by_id["TM01"]
    assert rule.params["terms"] == {"snappy": ""}
    assert "AM01" in ruleset.by_id


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        pytest.param("TM01.yaml", "id: TM01\nname: [unclosed\n", ["TM01.yaml", "invalid YAML", "line"], id="yaml"),
        pytest.param("TM01.yaml", "- a list\n", ["TM01.yaml", "mapping"], id="not a mapping"),
        pytest.param("TM01.yaml", GOOD.replace("id: TM01", "id: tm-1"), ["two capital letters"], id="bad id"),
        pytest.param("XX01.yaml", GOOD, ["XX01.yaml", "must be named TM01.yaml"], id="file name"),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("kind: lexicon", "kind: magic"),
            ["rule TM01", "unknown kind 'magic'"],
            id="unknown kind",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("criterion: unambiguous", "criterion: pretty"),
            ["rule TM01", "unknown criterion 'pretty'"],
            id="unknown criterion",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("severity: warning", "severity: fatal"),
            ["rule TM01", "severity"],
            id="bad severity",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("  terms: [snappy]", "  terms: [snappy]\n  colour: red"),
            ["rule TM01", "unknown parameter 'colour'"],
            id="unknown parameter",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("parameters:\n  terms: [snappy]\n", ""),
            ["rule TM01", "missing parameter 'terms'"],
            id="missing parameter",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("  terms: [snappy]", "  terms: [snappy]\n  skip_role: maybe"),
            ["rule TM01", "'skip_role' must be true or false"],
            id="parameter type",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace('message: "Avoid {match}"', 'message: "Avoid {word}"'),
            ["rule TM01", "placeholder"],
            id="message placeholder",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace("rationale:", "because:"),
            ["rule TM01", "unknown key 'because'"],
            id="unknown key",
        ),
        pytest.param(
            "TM01.yaml",
            GOOD.replace('examples: {fail: ["As a user, I want a snappy page."], ', "examples: {"),
            ["rule TM01", "examples"],
            id="no fail example",
        ),
        pytest.param("AM01.yaml", GOOD.replace("TM01", "AM01"), ["duplicate rule id AM01"], id="duplicate id"),
    ],
)
def test_bad_rule_file(tmp_path, name, text, words):
    with pytest.raises(RuleError) as error:
        load_rules([_rule_dir(tmp_path, {name: text})])
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


NEAR = GOOD.replace("kind: lexicon", "kind: near_duplicate").replace("  terms: [snappy]", "  threshold: 0.8")


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        pytest.param("threshold: 7", "'threshold' must be from 0 to 1, not 7", id="share above 1"),
        pytest.param("threshold: -0.5", "'threshold' must be from 0 to 1, not -0.5", id="share below 0"),
        pytest.param("threshold: .nan", "'threshold' must be from 0 to 1, not nan", id="not a number"),
        pytest.param("min_words: -3", "'min_words' must be at least 0, not -3", id="negative count"),
        pytest.param("bands: 0", "'bands' must be at least 1, not 0", id="divisor zero"),
        pytest.param("min_words: true", "'min_words' must be an integer, not True", id="bool for a number"),
    ],
)
def test_a_number_out_of_its_range_is_refused(tmp_path, parameters, expected):
    with pytest.raises(RuleError) as error:
        load_rules([_rule_dir(tmp_path, {"TM01.yaml": NEAR.replace("threshold: 0.8", parameters)})])
    assert "rule TM01" in str(error.value) and expected in str(error.value)


def test_numbers_at_their_bounds_load(tmp_path):
    rule = load_rules([_rule_dir(tmp_path, {"TM01.yaml": NEAR.replace("threshold: 0.8", "threshold: 1")})])
    assert rule.by_id["TM01"].params["threshold"] == 1


def test_missing_rule_folder(tmp_path):
    with pytest.raises(RuleError, match="rules folder not found"):
        load_rules([tmp_path / "nope"])
