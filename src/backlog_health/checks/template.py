"""A story deviates from the template most stories in this backlog use."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "template_deviation"
SCOPE = "backlog"
REQUIRES = frozenset({"tokens"})
PARAMS = {
    "min_stories": Param(int, "the least number of stories before a template counts as the backlog's", default=5),
    "min_share": Param(float, "share of stories a template needs to count as the backlog's", default=0.6),
}


def _canonical(marker: str) -> str:
    """A marker without optional words: "i'd like to be able to" and "i would like to" are the same."""
    marker = marker.replace("i'd", "i would").replace("we'd", "we would")
    marker = re.sub(r"\s+(?:to\s+be\s+able\s+to|to)$", "", marker)
    return marker


def _markers(template: str) -> list[str]:
    return [_canonical(part.strip()) for part in template.split("…") if part.strip()]


def check(contexts: list[ItemContext], rule: Rule) -> Iterator[tuple[int, Finding]]:
    """Flag stories whose template differs from the backlog's dominant one."""
    templates = {i: _markers(ctx.story.template) for i, ctx in enumerate(contexts) if ctx.story}
    if len(templates) < rule.params["min_stories"]:
        return
    # NOTE: a missing part is another rule's finding, so only the parts a story has are compared.
    counts = Counter(tuple(markers) for markers in templates.values())
    dominant, n_dominant = counts.most_common(1)[0]
    share = n_dominant / len(templates)
    if share < rule.params["min_share"]:
        return
    shape = " … ".join(dominant) + " …"
    for index, markers in templates.items():
        if all(mine == usual for mine, usual in zip(markers, dominant)):
            continue
        used = " … ".join(markers) + " …"
        yield index, rule.finding(
            match=used,
            suggestion=f"Write it as '{shape}', like {round(100 * share)}% of the stories in this backlog.",
        )
