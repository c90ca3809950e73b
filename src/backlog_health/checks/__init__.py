"""Check kinds: small pure functions that turn one item (or the backlog) and a rule into findings.

Each module in this package declares one kind:

    KIND = "lexicon"                 # the name rule files use in `kind:`
    SCOPE = "item"                   # "item": check(ctx, rule); "backlog": check(contexts, rule)
    REQUIRES = frozenset({"pos"})    # pipeline capabilities it needs (see nlp.loader)
    USES = frozenset({"parse"})      # optional: capabilities it uses when the pipeline has them
    PARAMS = {"terms": Param(...)}   # its parameters, validated when rules load
    EXTENDS = "terms"                # optional: the parameter a config `extend` adds to
    def prepare(ctx, rule): ...      # optional, backlog kinds: what check needs of one item, as JSON values;
                                     # check(contexts, rule, prepared) then gets them, and the engine keeps
                                     # them in the analysis cache, so an unchanged item is not prepared again
    REMEMBERS = True                 # optional, backlog kinds: check(..., memory=Memory) may keep what it
                                     # worked out for the next run (in the analysis cache), to redo only what
                                     # changed; it must find the same with or without it

Kinds are discovered, never listed by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, Protocol

from backlog_health.model import BacklogItem, Finding, StoryParts

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from backlog_health.rules import Rule

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """A parameter a check kind accepts in rule files."""

    type: type | tuple[type, ...]  # accepted Python type(s) after YAML parsing
    description: str  # one line for the rule docs
    default: Any = REQUIRED  # REQUIRED when the rule must set it
    choices: tuple[Any, ...] | None = None  # allowed values, when limited
    # NOTE: a number below zero is never meaningful (a count, a share, a similarity); shares and similarities
    # also stop at 1, and a divisor starts at 1.
    minimum: float | None = 0  # the least value a number may take (None: no bound)
    maximum: float | None = None  # the largest value a number may take (None: no bound)


@dataclass(frozen=True)
class ItemContext:
    """What checks see of one item: the item, its story, its parsed text and its criteria."""

    item: BacklogItem  # the item as the source gave it
    story: StoryParts | None  # its user story, when written as one
    doc: Doc | None  # spaCy parse of the story text (or the title when there is no story)
    acceptance_criteria: tuple[str, ...]  # extracted criteria
    is_story: bool  # the item's type is one the team writes as user stories
    source_fields: frozenset[str] = frozenset()  # fields the source can fill at all; empty: not known

    def source_has(self, *names: str) -> bool:
        """Whether the source can fill any of these fields (True when the source does not say)."""
        return not self.source_fields or any(name in self.source_fields for name in names)

    @cached_property
    def text(self) -> str:
        """The text the doc was parsed from (built once: spaCy joins the tokens on every `doc.text`)."""
        return self.doc.text if self.doc is not None else (self.story.text if self.story else self.item.title)

    @cached_property
    def part_spans(self) -> dict[str, tuple[int, int]]:
        """Character offsets of each story part found in `text`."""
        spans: dict[str, tuple[int, int]] = {}
        if self.story is None:
            return spans
        text, cursor = self.text, 0
        for name in ("role", "means", "ends"):
            value = getattr(self.story, name)
            if not value:
                continue
            start = text.find(value, cursor if name != "ends" else 0)
            if start < 0:
                continue
            spans[name] = (start, start + len(value))
            cursor = start + len(value)
        return spans

    def part_span(self, part: str) -> tuple[int, int] | None:
        """Character offsets of a story part ("role", "means", "ends") in `text`."""
        return self.part_spans.get(part)


class Memory(Protocol):
    """Where a backlog check keeps what it worked out for the next run, as text under names of its own."""

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, text: str) -> None: ...


ItemCheck = Callable[[ItemContext, "Rule"], Iterator[Finding]]
BacklogCheck = Callable[..., Iterator[tuple[int, Finding]]]  # (contexts, rule[, prepared]) → (index, finding)
Prepare = Callable[[ItemContext, "Rule"], Any]


@dataclass(frozen=True)
class Kind:
    """A check kind as the engine uses it."""

    name: str  # KIND
    scope: str  # "item" or "backlog"
    requires: frozenset[str]  # pipeline capabilities
    uses: frozenset[str]  # capabilities used when available (the kind still runs without them)
    params: Mapping[str, Param]  # declared parameters
    extends: str | None  # parameter a config `extend` adds to
    check: Callable[..., Iterator[Any]]  # the check function
    prepare: Prepare | None  # a backlog kind's per-item part, whose results the engine may cache
    remembers: bool  # a backlog kind's check takes `memory=`
    doc: str  # first line of the module docstring


@cache
def kinds() -> Mapping[str, Kind]:
    """All check kinds in this package, by name."""
    found: dict[str, Kind] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not hasattr(module, "KIND"):
            continue
        found[module.KIND] = Kind(
            name=module.KIND,
            scope=getattr(module, "SCOPE", "item"),
            requires=frozenset(getattr(module, "REQUIRES", ())),
            uses=frozenset(getattr(module, "USES", ())),
            params=dict(getattr(module, "PARAMS", {})),
            extends=getattr(module, "EXTENDS", None),
            check=module.check,
            prepare=getattr(module, "prepare", None),
            remembers=bool(getattr(module, "REMEMBERS", False)),
            doc=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else "",
        )
    return found
