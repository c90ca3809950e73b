"""Sources turn a backlog somewhere (file, tracker) into BacklogItems; they know nothing of checks."""

from __future__ import annotations

import dataclasses
import operator
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from backlog_health.errors import InputError
from backlog_health.model import BacklogItem, SkippedItem, SourceInfo

# NOTE: JSON (files, tracker answers) may hold "\ud800" escapes: half a character, which no UTF-8 report, snapshot
# or language model accepts. They become the replacement character wherever an item came from.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Loaded:
    """What a source read: the items, the ones it had to skip, and notes for the user."""

    info: SourceInfo  # where the items came from and which fields the source fills
    items: tuple[BacklogItem, ...]  # in backlog order
    skipped: tuple[SkippedItem, ...] = ()  # rows/items that could not be turned into an item
    notes: tuple[str, ...] = ()  # one-line warnings, e.g. "decoded as cp1252"
    # points finished per sprint and the closed sprints it was read from, when the tracker reports them
    velocity: tuple[float, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        for name in ("info", "items", "skipped", "notes"):
            value = getattr(self, name)
            if _has_surrogate(value):
                object.__setattr__(self, name, _without_surrogates(value))


_ITEM_TEXT = operator.attrgetter(
    "key",
    "title",
    "description",
    "type",
    "status",
    "status_category",
    "priority",
    "parent",
    "sprint",
    "url",
    "assignee",
    "acceptance_criteria_field",
)


def _has_surrogate(value: Any) -> bool:
    # NOTE: runs over every item of every load: an item's text is checked in one piece, and ASCII text (most of
    # it) is passed over at C speed.
    if isinstance(value, str):
        return not value.isascii() and _SURROGATE.search(value) is not None
    if isinstance(value, BacklogItem):
        text = "".join(part for part in _ITEM_TEXT(value) if part)
        text += "".join((*value.labels, *value.components, *value.subtasks))
        text += "".join(link.kind + link.key for link in value.links)
        return _has_surrogate(text)
    if isinstance(value, (tuple, frozenset)):
        return any(map(_has_surrogate, value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_has_surrogate(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def _without_surrogates(value: Any) -> Any:
    """Text, tuples and sets of text, and the dataclasses of a load (items, links, skipped items, source info)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, (tuple, frozenset)):
        return type(value)(_without_surrogates(entry) for entry in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and _has_surrogate(value):
        return dataclasses.replace(
            value, **{f.name: _without_surrogates(getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    return value


def site_url(url: str, what: str) -> str:
    """A tracker's address as given (`what` names the flag or setting), checked: http(s), a host, no credentials.

    A user name or password in the URL would be sent, logged in errors and written into every item link of the
    reports; credentials come from the environment only.
    """
    try:
        parts = urlsplit(url.strip())
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        raise InputError(f"{what} {url!r} is not a URL; give the site's address, e.g. https://example.com") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{what} {url!r} is not an http(s) address; give it as https://…")
    if has_credentials:
        raise InputError(
            f"{what}: the URL holds a user name or password; remove it and set the credentials in the environment"
        )
    return url.strip().rstrip("/")
