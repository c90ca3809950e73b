"""The Jinja environment shared by the HTML and Markdown reporters (templates only display)."""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from backlog_health.resources import templates_dir

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~@])")


def md_escape(text: object) -> str:
    """Backlog text made inert in GitHub Markdown: one line, no markup, links, mentions or HTML."""
    value = " ".join(str(text or "").split())
    value = value.replace("&", "&amp;")
    return _MD_SPECIAL.sub(r"\\\1", value)


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
    )
    env.filters["md"] = md_escape
    return env
