"""The analysis cache: an unchanged item is not parsed or checked again.

Two kinds of entries, each under a key made of everything it depends on, so a change to any of it gives a new key
and invalidates exactly what it must:
- an item's story and acceptance criteria: its content, the story types and the tool version;
- its item-level findings: its content, the fields its source can fill, whether it is checked as a story, the rules
  (ids, kinds, severities, parameters), the language model and the tool version.
Backlog-level rules (duplicates, templates) always run on the whole backlog.
"""

from __future__ import annotations

import hashlib
import json
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


def _content(item: BacklogItem) -> dict[str, Any]:
    content = item.to_dict()
    # NOTE: rank and dates do not change what item-level rules say; leaving them out keeps reordering cheap.
    for name in ("rank", "created", "updated", "touched"):
        content.pop(name, None)
    return content


def item_key(item: BacklogItem, is_story: bool, source_fields: frozenset[str], rules: str) -> str:
    """The cache key of one item's item-level findings."""
    text = json.dumps([_content(item), is_story, sorted(source_fields), rules], sort_keys=True, default=str)
    return "findings:" + hashlib.sha256(text.encode()).hexdigest()


def parts_key(item: BacklogItem, story_types: Iterable[str]) -> str:
    """The cache key of one item's story and acceptance criteria."""
    text = json.dumps([_content(item), sorted(story_types), __version__], sort_keys=True, default=str)
    return "parts:" + hashlib.sha256(text.encode()).hexdigest()


def encode_parts(story: StoryParts | None, criteria: tuple[str, ...]) -> str:
    """An item's story and criteria as JSON for the store."""
    fields = None if story is None else [story.role, story.means, story.ends, story.template, story.text, story.extra]
    return json.dumps([fields, list(criteria)])


def decode_parts(text: str) -> tuple[StoryParts | None, tuple[str, ...]]:
    """An item's story and criteria back from the store."""
    fields, criteria = json.loads(text)
    return (None if fields is None else StoryParts(*fields)), tuple(criteria)


def encode(findings: list[Finding]) -> str:
    """Findings as JSON for the store."""
    return json.dumps(
        [[f.rule, f.criterion, f.severity, f.message, f.excerpt, f.suggestion, f.field] for f in findings]
    )


def decode(text: str) -> list[Finding]:
    """Findings back from the store."""
    return [Finding(*row) for row in json.loads(text)]


def _plain(value: Any) -> Any:
    """Rule parameters in a stable, hashable shape (lexicons are mappings, patterns are strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value
