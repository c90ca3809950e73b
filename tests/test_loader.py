"""The spaCy pipeline: what it can do is known from its package before it is loaded, and matches once it is."""

from __future__ import annotations

import pytest

from backlog_health.nlp import loader
from backlog_health.nlp.loader import BLANK, load_pipeline, resolve_model


@pytest.mark.parametrize("capabilities", [{"tokens"}, {"pos"}, {"parse"}, {"pos", "parse", "lemma"}])
def test_what_the_package_says_is_what_the_loaded_pipeline_does(capabilities):
    if resolve_model() == BLANK:
        pytest.skip("no trained pipeline installed")
    pipeline = load_pipeline(capabilities)
    assert not pipeline.loaded, "nothing loaded before it is used"
    predicted = pipeline.capabilities
    nlp = pipeline.nlp
    assert pipeline.loaded and pipeline.nlp is nlp, "loaded once"
    assert loader._provided(set(nlp.pipe_names)) == predicted
    assert pipeline.version == nlp.meta["version"]
    assert capabilities <= predicted


def test_a_package_without_meta_is_loaded_at_once_to_learn_what_it_holds(monkeypatch):
    if resolve_model() == BLANK:
        pytest.skip("no trained pipeline installed")
    monkeypatch.setattr(loader, "_package_meta", lambda name: None)
    pipeline = load_pipeline({"parse"})
    assert pipeline.loaded and "parse" in pipeline.capabilities


def test_the_blank_pipeline_tokenizes_only():
    pipeline = load_pipeline({"parse"}, BLANK)
    assert pipeline.reduced and pipeline.capabilities == frozenset({"tokens"})
    assert [token.text for token in pipeline.nlp("Two words")] == ["Two", "words"]
