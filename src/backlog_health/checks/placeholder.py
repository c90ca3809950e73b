"""The item still holds a placeholder ("TBD", "TODO", "???", "lorem ipsum", "<insert link>") in its text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from backlog_health.checks import ItemContext, Param

try:  # NOTE: the regular-expression parser of the standard library, to see what a marker needs
    from re import _constants, _parser
except ImportError:  # Python 3.10
    import sre_constants as _constants  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "placeholder"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "markers": Param(
        dict, "regular expressions of placeholders, mapped to what they leave open; (?i) makes one case-insensitive"
    ),
    "hints": Param(
        list,
        "lowercase snippets one of which every marker holds; text without any is not scanned (empty: always scan)",
        default=[],
    ),
    "code_comments": Param(
        list,
        "what opens a code comment: a marker right after it belongs to pasted code, not to the item",
        default=["//", "#", "/*", "*", "--", "<!--"],
    ),
}
_FIELDS = (("title", "title"), ("description", "description"), ("acceptance_criteria_field", "acceptance_criteria"))


_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


@lru_cache(maxsize=64)
def _compiled(markers: tuple[str, ...], numbers: tuple[int, ...] | None = None) -> re.Pattern[str]:
    """The markers as one pattern, group m<n> for marker n (of `numbers`, else in order): one scan per field."""
    groups = []
    for n, marker in zip(numbers or range(len(markers)), markers):
        # NOTE: a marker's leading "(?i)" becomes "(?i:…)" so that it applies to that marker alone.
        scoped = _LEADING_FLAGS.sub(lambda m: f"(?{m.group(1)}:", marker)
        groups.append(f"(?P<m{n}>{scoped}{')' if scoped != marker else ''})")
    return re.compile("|".join(groups))


# NOTE: characters whose lowercase is not the one letter a case-insensitive pattern matches them with.
_FOLD = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})
_REPEATS = tuple(
    getattr(_constants, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(_constants, name)
)


def _needs(items: Sequence) -> list[frozenset[str]]:
    """Snippets a match of a parsed pattern must hold: one lowercase string of each set, or the pattern never matches.

    Sound, not complete: only runs of ASCII literals, alternatives and repeats of at least one count; classes,
    anchors and look-arounds need nothing.
    """
    needs: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            needs.append(frozenset({"".join(run)}))
            run.clear()

    for op, value in items:
        if op is _constants.LITERAL and value < 128:
            run.append(chr(value).lower())
            continue
        flush()
        if op is _constants.SUBPATTERN:
            needs.extend(_needs(value[-1]))
        elif op is _constants.BRANCH:
            options = [_needs(branch) for branch in value[1]]
            if all(options):
                # NOTE: one branch matches; of each branch's needs the one with the longest shortest snippet.
                needs.append(frozenset().union(*(max(own, key=lambda s: min(map(len, s))) for own in options)))
        elif op in _REPEATS and value[0] >= 1:
            needs.extend(_needs(value[2]))
    flush()
    return needs


@lru_cache(maxsize=256)
def _marker_needs(marker: str) -> tuple[frozenset[str], ...]:
    """What a marker's match must hold (nothing when the pattern cannot be analysed)."""
    try:
        return tuple(_needs(list(_parser.parse(marker))))
    except (re.error, TypeError, ValueError, IndexError, AttributeError):  # NOTE: then scanned for everywhere
        return ()


def _possible(markers: Sequence[str], folded: str) -> tuple[int, ...]:
    """The markers that can match a text (lowercased and folded): the others lack a snippet they need."""
    return tuple(
        n
        for n, marker in enumerate(markers)
        if all(any(map(folded.__contains__, need)) for need in _marker_needs(marker))
    )


def _in_code_comment(text: str, start: int, openers: list[str]) -> bool:
    """True when the marker follows a comment opener on its line ("// TODO: remove")."""
    line = text[text.rfind("\n", 0, start) + 1 : start].rstrip()
    return any(line.endswith(opener) or line.lstrip().startswith(opener + " ") for opener in openers) and bool(
        line.strip()
    )


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag every field that still holds a placeholder, naming the markers and where they are."""
    markers: dict[str, str] = rule.params["markers"]
    keys = tuple(markers)
    pattern = _compiled(keys)
    meanings = list(markers.values())
    hints = rule.params["hints"]
    for attribute, field in _FIELDS:
        text = getattr(ctx.item, attribute) or ""
        if not text:
            continue
        folded = (text if text.isascii() else text.translate(_FOLD)).lower()
        if hints and not any(map(folded.__contains__, hints)):
            continue
        # NOTE: a marker that cannot match this text is left out of the scan; scanning for the rest finds the
        # same matches (a left-out marker matches nowhere) in a fraction of the time.
        possible = _possible(keys, folded)
        if not possible:
            continue
        scan = pattern if len(possible) == len(keys) else _compiled(tuple(keys[n] for n in possible), possible)
        found: dict[str, str] = {}
        for match in scan.finditer(text):
            if not _in_code_comment(text, match.start(), rule.params["code_comments"]):
                found.setdefault(match.group(0).strip(), meanings[int(match.lastgroup[1:])])
        if not found:
            continue
        first = min(text.find(word) for word in found)
        excerpt = text[max(first - 60, 0) : first + 120].strip()
        yield rule.finding(
            match=", ".join(f"'{word}'" for word in found) + f" in the {field.replace('_', ' ')}",
            excerpt=excerpt,
            suggestion="Fill in what is missing before the item is planned: "
            + "; ".join(f"'{word}' {meaning}" for word, meaning in found.items()),
            field=field,
        )
