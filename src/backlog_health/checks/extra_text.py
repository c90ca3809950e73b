"""The story holds more than role, means and ends: notes in brackets, extra sentences, examples."""

from __future__ import annotations

import re
from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "extra_text"
SCOPE = "item"
REQUIRES = frozenset({"tokens"})
PARAMS = {
    "brackets": Param(bool, "flag text in (round) or [square] brackets", default=True),
    "sentences": Param(bool, "flag sentences after the story", default=True),
    "min_chars": Param(int, "ignore bracketed text shorter than this, such as item(s)", default=3),
    "asides": Param(list, "words that open an aside or an example inside the story",
                    default=["e.g.", "eg.", "i.e.", "for example", "for instance", "note:", "nb:", "btw"]),
    "second_benefit": Param(bool, "flag a benefit that states a second reason ('so that … so that …')", default=True),
}
_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|\{([^{}]*)\}")
# A second reason inside the benefit: "so that I can X, so that Y", "so that X in order to Y".
_SECOND_REASON = re.compile(r"(?:^|[\s,;])(so\s+that|in\s+order\s+to|so\s+as\s+to)\b.*", re.IGNORECASE)


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag bracketed notes and sentences beyond the story; suggest where they belong."""
    story = ctx.story
    if story is None:
        return
    pieces: list[str] = []
    if rule.params["brackets"]:
        for match in _BRACKETS.finditer(story.text):
            inner = (match.group(1) or match.group(2) or match.group(3) or "").strip()
            if len(inner) >= rule.params["min_chars"]:
                pieces.append(match.group(0))
    if rule.params["sentences"] and story.extra:
        pieces.append(story.extra)
    text = story.text.lower()
    for aside in rule.params["asides"]:
        at = re.search(rf"(?<!\w){re.escape(aside.lower())}(?!\w)", text)
        if at:
            pieces.append(story.text[at.start() : at.start() + 80].rstrip(" ,.;"))
            break
    if rule.params["second_benefit"] and story.ends:
        second = _SECOND_REASON.search(story.ends)
        if second:
            pieces.append(story.ends[second.start(1) :][:120])
    if pieces:
        excerpt = " … ".join(pieces)[:300]
        yield rule.finding(
            match=excerpt,
            suggestion=f"Keep the story to role, means and ends; move '{excerpt}' to the description or the "
            "acceptance criteria.",
        )
