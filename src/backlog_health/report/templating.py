"""The Jinja environment shared by the HTML and Markdown reporters (templates only display)."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from backlog_health.resources import templates_dir

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~$])")  # "$" too: GitHub renders $…$ as math
# NOTE: bidirectional overrides and isolates reorder what follows them on screen ("exe.txt" shown for "txt.exe"),
# beyond the quoted text into the report's own words; they never reach a report.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_bidi(text: str) -> str:
    """Text without bidirectional override and isolate characters."""
    return BIDI_CONTROLS.sub("", text) if BIDI_CONTROLS.search(text) else text


def _finalize(value: object) -> object:
    """Every value a template prints: plain strings lose bidirectional controls (markup the tool built is kept)."""
    return no_bidi(value) if type(value) is str else value


# NOTE: GitHub pings "@name" and links "https://…", "www.…" and e-mail addresses in the text that Markdown
# leaves; backslashes do not stop that. A zero-width joiner after "@", "www" and the scheme's ":" does, and
# reads the same.
_ZWJ = "\u200d"
_AUTOLINK = re.compile(r"(?i)(\bwww)(?=\.)|(:)(?=//)")


def md_escape(text: object) -> str:
    """Backlog text made inert in GitHub Markdown: one line, no markup, links, mentions or HTML."""
    value = " ".join(no_bidi(str(text or "")).split())
    value = value.replace("&", "&amp;").replace("@", "@" + _ZWJ)
    value = _AUTOLINK.sub(lambda match: match.group() + _ZWJ, value)
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_link(text: object, url: str | None) -> str:
    """A Markdown link to an http(s) URL of the source, or the escaped text alone."""
    label = md_escape(text)
    if not url or not url.lower().startswith(("http://", "https://")):
        return label
    target = quote(url.strip(), safe=":/?#@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")
    return f"[{label}]({target})"


@cache
def environment() -> Environment:
    """Jinja with autoescape for HTML templates and StrictUndefined everywhere."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["md"] = md_escape
    env.filters["md_link"] = md_link
    env.filters["n"] = lambda value: f"{value:,}"  # 20,000 rather than 20000
    return env
