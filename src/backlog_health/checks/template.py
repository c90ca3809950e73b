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
    "min_share": Param(float, "share of stories a template needs to count as the backlog's", default=0.6, maximum=1),
}


def _canonical(marker: str) -> str:
    """A marker without optional words: "i'd like to be able to" and "i would like to" are the same."""
    marker = marker.replace("i'd", "i would").replace("we'd", "we would")
    marker = re.sub(r"\s+(?:to\s+be\s+able\s+to|to)$", "", marker)
    return marker


def _markers(template: str) -> dict[str, str]:
    """The template's markers by story part, plus the order of the parts."""
    markers: dict[str, str] = {}
    for marker in (part.strip() for part in template.split("…")):
        if not marker:
            continue
        part = "role" if marker.startswith("as ") else "means" if re.match(r"(?:i|we)\b", marker) else "ends"
        markers[part] = _canonical(marker)
    markers["order"] = "".join(part[0] for part in markers)
    return markers


def _display(template: str) -> str:
    """A template as people write it: "As a … I want …"."""
    template = re.sub(r"\bi\b", "I", template)
    return template[:1].upper() + template[1:]


def _differences(mine: dict[str, str], usual: dict[str, str]) -> list[str]:
    """Markers of this story that differ from the usual ones; parts it lacks are another rule's business."""
    shared = [part for part in ("role", "means", "ends") if part in mine and part in usual]
    different = [mine[part] for part in shared if mine[part] != usual[part]]
    order = "".join(part[0] for part in mine if part in shared)
    if order != "".join(part[0] for part in usual if part in shared):
        different.append("the order of its parts")
    return different


def check(contexts: list[ItemContext], rule: Rule) -> Iterator[tuple[int, Finding]]:
    """Flag stories whose template differs from the backlog's dominant one."""
    templates = {i: _markers(ctx.story.template) for i, ctx in enumerate(contexts) if ctx.story}
    if len(templates) < rule.params["min_stories"]:
        return
    counts = Counter(tuple(markers.items()) for markers in templates.values())
    dominant_items, n_dominant = counts.most_common(1)[0]
    share = n_dominant / len(templates)
    if share < rule.params["min_share"]:
        return
    dominant = dict(dominant_items)
    shape = _display(" … ".join(dominant[part] for part in ("role", "means", "ends") if part in dominant) + " …")
    for index, markers in templates.items():
        different = _differences(markers, dominant)
        if not different:
            continue
        yield (
            index,
            rule.finding(
                match=_display(" … ".join(v for k, v in markers.items() if k != "order") + " …"),
                suggestion=f"Write it as '{shape}', like {round(100 * share)}% of the stories in this backlog.",
            ),
        )
