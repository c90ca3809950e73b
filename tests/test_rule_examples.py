"""A rule's examples are its tests: every fail example is flagged, every pass example is not.

Edge cases that would clutter a rule's documentation live in tests/fixtures/rules/<ID>.yaml, in the same
`fail:` / `pass:` shape, and run the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.model import BacklogItem, Link, SourceInfo
from backlog_health.rules import RuleSet, load_rules
from backlog_health.sources import Loaded

RULES = load_rules().rules
CONFIG = load_config(directory=None)


def _item(example: Any, number: int) -> BacklogItem:
    if isinstance(example, dict):
        fields = dict(example)
        # NOTE: rule files write links as mappings ({kind, key, status_category}); the model has Link objects.
        fields["links"] = tuple(Link(**link) for link in fields.get("links", ()))
        return BacklogItem(key=str(number), **fields)
    return BacklogItem(key=str(number), title=str(example))


def _findings(rule, example: Any) -> list[str]:
    examples = example if isinstance(example, list) else [example]
    items = tuple(_item(part, n) for n, part in enumerate(examples, 1))
    loaded = Loaded(SourceInfo("text", "examples"), items)
    result = analyze(loaded, CONFIG, RuleSet((rule,)), strict=True)
    return [f"{r.item.key}: {f.message}" for r in result.items for f in r.findings if f.rule == rule.id]


FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _edge_cases(rule) -> dict[str, list[Any]]:
    path = FIXTURES / f"{rule.id}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


CASES = [
    pytest.param(rule, outcome, example, id=f"{rule.id}-{outcome}-{n}")
    for rule in RULES
    for outcome, examples in (("fail", rule.examples_fail), ("pass", rule.examples_pass))
    for n, example in enumerate(examples, 1)
] + [
    pytest.param(rule, outcome, example, id=f"{rule.id}-edge-{outcome}-{n}")
    for rule in RULES
    for outcome, examples in _edge_cases(rule).items()
    for n, example in enumerate(examples, 1)
]


def test_edge_case_files_name_existing_rules_and_outcomes():
    ids = {rule.id for rule in RULES}
    for path in FIXTURES.glob("*.yaml"):
        assert path.stem in ids, f"{path.name}: no rule {path.stem}"
        outcomes = set(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert outcomes <= {"fail", "pass"}, f"{path.name}: only 'fail' and 'pass' lists, not {outcomes}"


@pytest.mark.parametrize(("rule", "outcome", "example"), CASES)
def test_rule_example(rule, outcome, example):
    found = _findings(rule, example)
    if outcome == "fail":
        assert found, f"{rule.id} should flag {example!r} but found nothing"
    else:
        assert not found, f"{rule.id} should accept {example!r} but found {found}"


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_every_rule_has_two_fail_and_two_pass_examples(rule):
    assert len(rule.examples_fail) >= 2, f"{rule.id} ({rule.path}) needs at least two fail examples"
    assert len(rule.examples_pass) >= 2, f"{rule.id} ({rule.path}) needs at least two pass examples"


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_every_rule_is_documented(rule):
    assert len(rule.rationale.split()) >= 15, f"{rule.id}: the rationale should say why a PO should care"
    assert rule.fix, f"{rule.id}: the rule needs a 'fix' section"
    assert rule.message[0].isupper(), f"{rule.id}: the message should start with a capital (imperative)"
