"""The analysis cache: an unchanged item is not parsed or checked again.

One entry per item content, under a key made of its content, the story types and the tool version. It holds the
item's story and acceptance criteria (they depend on nothing else) and its analysis under the scope it was made in:
the fields its source can fill, the rules (ids, kinds, severities, parameters) and the language model. An entry
whose scope differs still answers for the story and criteria, so a change to a rule re-checks every item without
finding its story again; a change to the item gives a new key. The analysis is whether the item was checked as a
story, its item-level findings, and what backlog-level rules prepared of it: backlog-level rules (duplicates,
templates) always run on the whole backlog, but an unchanged item is not prepared for them again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import operator
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from backlog_health import __version__
from backlog_health.model import BacklogItem, Finding, StoryParts


class Store(Protocol):
    """Where cache entries live, as text (the history database, or a dict in tests)."""

    def get_many(self, keys: Iterable[str]) -> Mapping[str, str]: ...
    def put_many(self, entries: Mapping[str, str]) -> None: ...


def rules_fingerprint(rules: Iterable[Any], model: str) -> str:
    """One hash of the rules that ran, the language model and the tool version.

    Every part of a rule that a check or a finding can carry counts (a finding holds the rule's criterion, so a
    rule moved to another criterion changes scores and readiness); only its file's place and its examples do not.
    """
    described = [
        {
            "id": r.id,
            "name": r.name,
            "criterion": r.criterion,
            "kind": r.kind,
            "severity": r.severity,
            "message": r.message,
            "rationale": r.rationale,
            "fix": r.fix,
            "applies": r.applies_to,
            "requires": list(r.requires_fields),
            "params": _plain(r.params),
        }
        for r in rules
    ]
    text = json.dumps({"rules": described, "model": model, "tool": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# NOTE: rank and dates do not change what item-level rules say; leaving them out keeps reordering cheap.
_VOLATILE = frozenset({"rank", "created", "updated", "touched"})
_CONTENT = operator.attrgetter(*(f.name for f in dataclasses.fields(BacklogItem) if f.name not in _VOLATILE))
FORMAT = 3  # the layout of an entry, and what it holds (3: content words with British spellings folded)


def key_salt(story_types: Iterable[str]) -> bytes:
    """What an item's key depends on besides its content: the story types, the tool version and the layout."""
    return hashlib.sha256(json.dumps([FORMAT, sorted(story_types), __version__]).encode()).digest()


def item_key(item: BacklogItem, salt: bytes) -> str:
    """The cache key of an item's content (every field but its rank and dates); `salt` from key_salt."""
    return "item:" + hashlib.blake2b(_pickled(_CONTENT(item)), digest_size=20, key=salt).hexdigest()


def _pickled(content: tuple) -> bytes:
    """The content's fields as bytes, the same for equal fields in every run.

    Pickle writes strings, numbers, None, tuples and the item's links in C, three times faster than hashing
    their repr. Its memo would write a string that two fields share (one object from a converter's constant)
    as a reference to the first, and the same fields read back from a snapshot as two strings: the fast mode
    writes no memo, so equal items get equal bytes however their objects are shared.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, 4)
    try:
        pickler.fast = True
    except AttributeError:  # NOTE: a Python without the fast mode: a shared object then costs a cache miss
        return pickle.dumps(content, 4)
    pickler.dump(content)
    return buffer.getvalue()


def analysis_scope(source_fields: frozenset[str], rules: str) -> str:
    """What an item's analysis depends on besides its content: the source's fields, the rules and the model."""
    return hashlib.sha256(json.dumps([sorted(source_fields), rules]).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Entry:
    """What the cache holds of one item: its story and criteria, and its analysis in `scope`."""

    story: StoryParts | None
    criteria: tuple[str, ...]
    scope: str  # analysis_scope of the analysis below
    is_story: bool  # whether the item was checked as a story
    findings: list[Finding]  # item-level findings
    prepared: dict[str, Any]  # what backlog-level rules prepared of it, by rule id


class RuleMemory:
    """A backlog rule's memory (see checks.Memory) in the store: read when asked, written into `pending` with the
    run's entries. One entry per rule and name, holding the scope it was made in: it answers only in that scope
    (the same rules, settings and model), and a run in another scope replaces it, so memories never pile up."""

    def __init__(self, store: Store, rule_id: str, scope: str, pending: dict[str, str]) -> None:
        self.store, self.prefix, self.scope, self.pending = store, f"memory:{rule_id}:", scope + "\n", pending

    def get(self, name: str) -> str | None:
        key = self.prefix + name
        text = self.store.get_many([key]).get(key)
        return text[len(self.scope) :] if text is not None and text.startswith(self.scope) else None

    def put(self, name: str, text: str) -> None:
        self.pending[self.prefix + name] = self.scope + text


def _story_fields(story: StoryParts | None) -> list[str | None] | None:
    return None if story is None else [story.role, story.means, story.ends, story.template, story.text, story.extra]


def encode(entry: Entry) -> str:
    """An entry as JSON for the store."""
    rows = [[f.rule, f.criterion, f.severity, f.message, f.excerpt, f.suggestion, f.field] for f in entry.findings]
    story = _story_fields(entry.story)
    return json.dumps([story, list(entry.criteria), entry.scope, entry.is_story, rows, entry.prepared])


def decode(text: str) -> Entry:
    """An entry back from the store (ValueError or TypeError when it is not one, damaged or of another layout:
    the item is then analysed again and its entry rewritten)."""
    fields, criteria, scope, is_story, rows, prepared = json.loads(text)
    if not (
        (fields is None or (_texts(fields, 6) and isinstance(fields[3], str) and isinstance(fields[4], str)))
        and isinstance(criteria, list)
        and all(isinstance(line, str) for line in criteria)
        and isinstance(scope, str)
        and isinstance(is_story, bool)
        and isinstance(rows, list)
        and all(_finding_row(row) for row in rows)
        and isinstance(prepared, dict)
        and all(isinstance(value, (str, list)) for value in prepared.values())
    ):
        raise ValueError("not an analysis cache entry")
    story = None if fields is None else StoryParts(*fields)
    return Entry(story, tuple(criteria), scope, is_story, [Finding(*row) for row in rows], prepared)


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _texts(values: Any, length: int) -> bool:
    """Whether `values` is a list of `length` strings or nulls."""
    return isinstance(values, list) and len(values) == length and all(map(_text_or_none, values))


def _finding_row(row: Any) -> bool:
    """Whether a stored row is a finding: rule, criterion, severity, message, excerpt, suggestion, field."""
    return (
        isinstance(row, list)
        and len(row) == 7
        and all(isinstance(row[n], str) for n in (0, 1, 2, 3, 6))
        and _text_or_none(row[4])
        and _text_or_none(row[5])
    )


def _plain(value: Any) -> Any:
    """Rule parameters in a stable, hashable shape (lexicons are mappings, patterns are strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value
