"""Sources turn a backlog somewhere (file, tracker) into BacklogItems; they know nothing of checks."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from backlog_health.errors import InputError
from backlog_health.model import BacklogItem, SkippedItem, SourceInfo


@dataclass(frozen=True)
class Loaded:
    """What a source read: the items, the ones it had to skip, and notes for the user."""

    info: SourceInfo  # where the items came from and which fields the source fills
    items: tuple[BacklogItem, ...]  # in backlog order
    skipped: tuple[SkippedItem, ...] = ()  # rows/items that could not be turned into an item
    notes: tuple[str, ...] = ()  # one-line warnings, e.g. "decoded as cp1252"
    # points finished per sprint and the closed sprints it was read from, when the tracker reports them
    velocity: tuple[float, tuple[str, ...]] | None = None


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
