"""The analysis cache: an unchanged item is not parsed or checked again.

An item's item-level findings are stored under a key made of everything they depend on: the item's content, the
fields its source can fill, whether it is checked as a story, the rules (ids, kinds, severities, parameters), the
language model and the tool version. A change to any of them gives a new key, so a changed rule or model
invalidates exactly what it must. Backlog-level rules (duplicates, templates) always run on the whole backlog.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from backlog_health import __version__
from backlog_health.model import BacklogItem, Finding


class Store(Protocol):
    """Where cached findings live (the history database, or a dict in tests)."""

    def get_many(self, keys: Iterable[str]) -> Mapping[str, list[Finding]]: ...
    def put_many(self, entries: Mapping[str, list[Finding]]) -> None: ...


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


def item_key(item: BacklogItem, is_story: bool, source_fields: frozenset[str], rules: str) -> str:
    """The cache key of one item's item-level findings."""
    content = item.to_dict()
    # NOTE: rank and dates do not change what item-level rules say; leaving them out keeps reordering cheap.
    for name in ("rank", "created", "updated", "touched"):
        content.pop(name, None)
    text = json.dumps([content, is_story, sorted(source_fields), rules], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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
