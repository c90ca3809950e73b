"""Suppressions: a team silences one rule for one item, on purpose, and the run still shows what it silenced.

Three ways, one grammar ("bh-ignore", then rule ids, then an optional reason):

- a label on the item: "bh-ignore:AM01" or "bh-ignore-AM01" (one rule per label, several labels allowed);
- a marker in the description, on a line of its own ("bh-ignore: AM01 — reason") or in an HTML comment
  ("<!-- bh-ignore AM01, AT01: reason -->");
- an entry in an overrides file, with a required reason and an optional last day (`load_overrides`).

Pure: `Suppressor.filter` splits one item's findings into kept and suppressed; nothing is dropped unseen.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from backlog_health.errors import ConfigError
from backlog_health.model import BacklogItem, Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["Suppressed", "Suppression", "Suppressor", "load_overrides"]

RULE_ID = re.compile(r"[A-Za-z]{2}\d{2}")
_ID = r"[A-Za-z]{2}\d{2}\b"
# NOTE: one grammar for labels, description lines and HTML comments. The rule ids must follow "bh-ignore"
# directly, so prose ("we should bh-ignore nothing", "bh-ignore is how we …") never reads as a marker.
_MARKER = re.compile(
    rf"bh-ignore(?:\s*[:-]\s*|\s+)(?P<rules>{_ID}(?:\s*,\s*{_ID}|\s+{_ID})*)"
    r"(?:\s*(?:[:—–]|--?)?\s*(?P<reason>.*))?",
    re.IGNORECASE | re.DOTALL,
)
# A description line that is only a marker, maybe as a list item; quotes ("> …") are someone else's words.
_LIST_BULLET = re.compile(r"\s*(?:[-*+]|\d+[.)])\s+")
_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_OVERRIDE_KEYS = {"item", "rule", "reason", "until"}


@dataclass(frozen=True)
class Suppression:
    """One rule silenced for one item."""

    item: str  # item key the suppression is for
    rule: str  # rule id, upper-case, e.g. "AM01"
    reason: str  # why the team accepts it ("" allowed for labels and markers)
    until: date | None  # last day it applies; None: no end
    origin: str  # where it was written: "label", "description", or "<file>:entry <n>"

    def to_dict(self) -> dict[str, Any]:
        """The suppression object of the JSON report."""
        return {
            "item": self.item,
            "rule": self.rule,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Suppressed:
    """A finding a suppression silenced; reports list these instead of dropping them."""

    item: str  # key of the item the finding is in
    finding: Finding  # the finding as the check reported it
    suppression: Suppression  # the suppression that silenced it

    def to_dict(self) -> dict[str, Any]:
        """The suppressed-finding object of the JSON report."""
        return {"item": self.item, "finding": self.finding.to_dict(), "suppression": self.suppression.to_dict()}


def parse_marker(text: str) -> tuple[tuple[str, ...], str] | None:
    """Rule ids (upper-case) and reason of a whole "bh-ignore …" marker, or None when `text` is not one."""
    match = _MARKER.fullmatch(text.strip())
    if match is None:
        return None
    rules = tuple(dict.fromkeys(rule.upper() for rule in RULE_ID.findall(match["rules"])))
    return rules, " ".join((match["reason"] or "").split())


def description_markers(description: str) -> list[tuple[tuple[str, ...], str]]:
    """Markers in a description: whole lines and HTML comments, outside code blocks and code spans."""
    if "bh-ignore" not in description.lower():  # NOTE: nearly every description: no scan line by line
        return []
    prose: list[str] = []
    fence = ""
    for line in description.splitlines():
        opening = _FENCE.match(line)
        if fence:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = ""
        elif opening:
            fence = opening[1]
        else:
            prose.append(_CODE_SPAN.sub("", line))
    text = "\n".join(prose)
    markers = [parse_marker(comment) for comment in _COMMENT.findall(text)]
    # NOTE: an unclosed "<!--" hides the rest from line markers too, as it hides it from a Markdown reader.
    text = _COMMENT.sub("\n", text).split("<!--")[0]
    for line in text.splitlines():
        bullet = _LIST_BULLET.match(line)
        markers.append(parse_marker(line[bullet.end() :] if bullet else line))
    return [marker for marker in markers if marker]


def load_overrides(path: Path) -> tuple[Suppression, ...]:
    """The [[suppress]] entries of an overrides file; any mistake names the file, the entry and the key."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: overrides file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the overrides file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    unknown = sorted(set(data) - {"suppress"})
    if unknown:
        raise ConfigError(f"{path}: unknown key '{unknown[0]}'; write each suppression as a [[suppress]] table")
    entries = data.get("suppress", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{path}: 'suppress' must be a list of [[suppress]] tables")
    suppressions: list[Suppression] = []
    seen: dict[tuple[str, str], int] = {}
    for n, entry in enumerate(entries, start=1):
        suppression = _override(entry, f"{path}: suppress entry {n}", f"{_shown(path)}:entry {n}")
        pair = (suppression.item.casefold(), suppression.rule)
        if pair in seen:
            raise ConfigError(
                f"{path}: suppress entry {n}: repeats entry {seen[pair]} ({suppression.item} {suppression.rule}); "
                "keep one of them"
            )
        seen[pair] = n
        suppressions.append(suppression)
    return tuple(suppressions)


def _shown(path: Path) -> str:
    """The file as reports show it: relative to the current folder when inside it, else its name (reports are
    shared: a CI runner's or a laptop's folders are nobody's business)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (OSError, ValueError):
        return path.name


def _override(entry: dict[str, Any], where: str, origin: str) -> Suppression:
    """One [[suppress]] table, validated."""
    unknown = sorted(set(entry) - _OVERRIDE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(_OVERRIDE_KEYS))})")
    for key, what in (("item", "an item key"), ("rule", "a rule id"), ("reason", "why the team accepts it")):
        value = entry.get(key)
        if value is None:
            raise ConfigError(f"{where}: '{key}' is missing; add {what}")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: '{key}' must be {what} as a non-empty string, not {value!r}")
    rule = entry["rule"].strip()
    if not RULE_ID.fullmatch(rule):
        raise ConfigError(f"{where}: 'rule' must be a rule id (two letters and two digits, e.g. AM01), not {rule!r}")
    return Suppression(
        item=entry["item"].strip(),
        rule=rule.upper(),
        reason=" ".join(entry["reason"].split()),
        until=_until(entry.get("until"), where),
        origin=origin,
    )


def _until(value: Any, where: str) -> date | None:
    """The last day of a suppression: a TOML date or a "YYYY-MM-DD" string."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, datetime):
        raise ConfigError(
            f"{where}: 'until' must be a date such as 2026-12-31, without a time (not {value:%Y-%m-%d %H:%M})"
        )
    raise ConfigError(f"{where}: 'until' must be a date such as 2026-12-31, not {value!r}")


def _label_words(labels: Sequence[str]) -> list[str]:
    """The labels, and the words of a label that holds spaces and is no marker as a whole: trackers' labels have
    no spaces, so "amqp bh-ignore:UF02" came from a file cell that lists several."""
    words: list[str] = []
    for label in labels:
        words += [label] if parse_marker(label) or " " not in label.strip() else label.split()
    return words


class Suppressor:
    """Splits each item's findings into kept and suppressed, and remembers what no finding needed."""

    def __init__(self, overrides: Sequence[Suppression], today: date, known_rules: Collection[str] = ()) -> None:
        self.today = today
        self.known_rules = frozenset(rule.upper() for rule in known_rules)
        self._overrides: dict[str, list[Suppression]] = {}
        for suppression in overrides:
            self._overrides.setdefault(suppression.item.casefold(), []).append(suppression)
        # Every suppression met so far, in order (overrides first, then those found on items), and the used ones.
        self._all: dict[Suppression, None] = dict.fromkeys(overrides)
        self._used: set[Suppression] = set()

    def for_item(self, item: BacklogItem) -> tuple[Suppression, ...]:
        """Every suppression written for `item`, active or not: overrides, then description markers, then labels."""
        found = list(self._overrides.get(item.key.strip().casefold(), ()))
        inline = [(rules, reason, "description") for rules, reason in description_markers(item.description)]
        inline += [(*marker, "label") for marker in map(parse_marker, _label_words(item.labels)) if marker]
        for rules, reason, origin in inline:
            found += [Suppression(item.key, rule, reason, None, origin) for rule in rules]
        return tuple(dict.fromkeys(found))

    def filter(
        self, item: BacklogItem, findings: Sequence[Finding]
    ) -> tuple[tuple[Finding, ...], tuple[Suppressed, ...]]:
        """Kept findings and suppressed ones for `item`; expired suppressions do not apply."""
        suppressions = self.for_item(item)
        self._all.update(dict.fromkeys(suppressions))
        by_rule: dict[str, list[Suppression]] = {}
        for suppression in suppressions:
            if self._active(suppression):
                by_rule.setdefault(suppression.rule, []).append(suppression)
        kept: list[Finding] = []
        suppressed: list[Suppressed] = []
        for finding in findings:
            matching = by_rule.get(finding.rule.upper())
            if not matching:
                kept.append(finding)
                continue
            # NOTE: every suppression that matches counts as used (none is stale); the first one, in the order
            # overrides, description, labels, is the one reported, as it is the one most likely to carry a reason.
            self._used.update(matching)
            suppressed.append(Suppressed(item.key, finding, matching[0]))
        return tuple(kept), tuple(suppressed)

    def unused(self) -> tuple[Suppression, ...]:
        """Active suppressions of a known rule that matched no finding, among all seen so far."""
        # NOTE: an override for an item the run did not include counts as unused: the file is what to tidy.
        unknown = set(self.unknown_rules())
        return tuple(s for s in self._all if self._active(s) and s not in self._used and s not in unknown)

    def expired(self) -> tuple[Suppression, ...]:
        """Suppressions past their last day; they no longer apply."""
        return tuple(s for s in self._all if not self._active(s))

    def unknown_rules(self) -> tuple[Suppression, ...]:
        """Suppressions naming a rule id not in `known_rules` (none when no rules were given)."""
        if not self.known_rules:
            return ()
        return tuple(s for s in self._all if s.rule not in self.known_rules)

    def _active(self, suppression: Suppression) -> bool:
        """Applies today: no last day, or a last day not yet past."""
        return suppression.until is None or suppression.until >= self.today
