"""The analysis cache: an unchanged item is not parsed or checked again.

Two kinds of entries, each under a key made of everything it depends on, so a change to any of it gives a new key
and invalidates exactly what it must:
- an item's story and acceptance criteria: its content, the story types and the tool version;
- its analysis: the same, plus the fields its source can fill, the rules (ids, kinds, severities, parameters) and
  the language model. It holds the story and criteria too (one look-up answers for an unchanged item), whether the
  item was checked as a story, its item-level findings, and what backlog-level rules prepared of it.
Backlog-level rules (duplicates, templates) always run on the whole backlog, but an unchanged item is not prepared
for them again (its normal form, its content words).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from backlog_health import __version__
from backlog_health.model import BacklogItem, Finding, StoryParts


class Store(Protocol):
    """Where cache entries live, as text (the history database, or a dict in tests)."""

    def get_many(self, keys: Iterable[str]) -> Mapping[str, str]: ...
    def put_many(self, entries: Mapping[str, str]) -> None: ...


def rules_fingerprint(rules: Iterable[Any], model: str) -> str:
    """One hash of the rules that ran, the language model and the tool version."""
    described = [
        {
            "id": r.id,
            "kind": r.kind,
            "severity": r.severity,
            "message": r.message,
            "applies": r.applies_to,
            "params": _plain(r.params),
        }
        for r in rules
    ]
    text = json.dumps({"rules": described, "model": model, "tool": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# NOTE: rank and dates do not change what item-level rules say; leaving them out keeps reordering cheap.
_VOLATILE = frozenset({"rank", "created", "updated", "touched"})
_TEXTS = ("title", "description", "acceptance_criteria_field")  # the long ones, hashed as they are
_OTHERS = operator.attrgetter(
    *(f.name for f in dataclasses.fields(BacklogItem) if f.name not in _VOLATILE and f.name not in _TEXTS)
)


def content_digest(item: BacklogItem) -> str:
    """One hash of what an item says (every field but its rank and dates)."""
    texts = [getattr(item, name) for name in _TEXTS]
    # NOTE: a head holds every other value (the repr of strings, numbers, None and tuples is stable across runs)
    # and each long text's length, so that no two items share a digest; the long texts follow as they are.
    head = repr((_OTHERS(item), [len(text) if isinstance(text, str) else text for text in texts]))
    digest = hashlib.sha256(head.encode("utf-8", "surrogatepass"))
    for text in texts:
        if isinstance(text, str):
            digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def item_scope(story_types: Iterable[str], source_fields: frozenset[str], rules: str) -> str:
    """What an item's analysis depends on besides its content: the story types, source fields, rules and model."""
    text = json.dumps(["findings", sorted(story_types), sorted(source_fields), rules])
    return hashlib.sha256(text.encode()).hexdigest()


def parts_scope(story_types: Iterable[str]) -> str:
    """What an item's story and criteria depend on besides its content: the story types and the tool version."""
    return hashlib.sha256(json.dumps(["parts", sorted(story_types), __version__]).encode()).hexdigest()


def item_key(digest: str, scope: str) -> str:
    """The cache key of one item's analysis (story, criteria and item-level findings); `scope` from item_scope."""
    return "findings:" + hashlib.sha256(f"{scope} {digest}".encode()).hexdigest()


def parts_key(digest: str, scope: str) -> str:
    """The cache key of one item's story and acceptance criteria; `scope` from parts_scope."""
    return "parts:" + hashlib.sha256(f"{scope} {digest}".encode()).hexdigest()


def _story_fields(story: StoryParts | None) -> list[str | None] | None:
    return None if story is None else [story.role, story.means, story.ends, story.template, story.text, story.extra]


def encode_item(
    story: StoryParts | None,
    criteria: tuple[str, ...],
    is_story: bool,
    findings: list[Finding],
    prepared: Mapping[str, Any] | None = None,
) -> str:
    """An item's analysis as JSON for the store (`prepared`: what backlog-level rules need of it, by rule id)."""
    rows = [[f.rule, f.criterion, f.severity, f.message, f.excerpt, f.suggestion, f.field] for f in findings]
    return json.dumps([_story_fields(story), list(criteria), is_story, rows, dict(prepared or {})])


def decode_item(text: str) -> tuple[StoryParts | None, tuple[str, ...], bool, list[Finding], dict[str, Any]]:
    """An item's story, criteria, whether it was checked as a story, its item-level findings and prepared values."""
    fields, criteria, is_story, rows, prepared = json.loads(text)
    story = None if fields is None else StoryParts(*fields)
    return story, tuple(criteria), is_story, [Finding(*row) for row in rows], prepared


def encode_parts(story: StoryParts | None, criteria: tuple[str, ...]) -> str:
    """An item's story and criteria as JSON for the store."""
    return json.dumps([_story_fields(story), list(criteria)])


def decode_parts(text: str) -> tuple[StoryParts | None, tuple[str, ...]]:
    """An item's story and criteria back from the store."""
    fields, criteria = json.loads(text)
    return (None if fields is None else StoryParts(*fields)), tuple(criteria)


def _plain(value: Any) -> Any:
    """Rule parameters in a stable, hashable shape (lexicons are mappings, patterns are strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value
