"""Given/When/Then scenarios whose steps are out of order or that never say Then."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from backlog_health.checks import ItemContext, Param
from backlog_health.model import Finding
from backlog_health.rules import Rule

KIND = "criteria_gherkin_order"
SCOPE = "item"
REQUIRES = frozenset()
PARAMS = {
    "max_words": Param(int, "a step line longer than this is prose, not a scenario step", default=40),
    "missing_then": Param(bool, "flag a scenario with Given/When steps and no Then", default=True),
}

# A step line: optional quote, bullet, number, checkbox or emphasis, then the keyword ("- **Given** a cart").
_STEP = re.compile(
    r"^[ \t]*(?:>[ \t]*)*(?:[*#•+-]+[ \t]+|\d{1,3}[.)][ \t]+)?(?:\[[ xX]\][ \t]*)?[*_]{0,2}"
    r"(given|when|then|and|but)\b[*_]{0,2}[ \t]*:?[ \t]*(.*)$",
    re.IGNORECASE,
)
# "Given that …", "When working …": a sentence that starts with the word, not a step.
_PROSE = {
    "given": re.compile(r"(?:that|the\s+fact|this|these|how|its|our|their)\b", re.IGNORECASE),
    "when": re.compile(r"\w+ing\b", re.IGNORECASE),
}
_GIVEN_LINE = re.compile(r"^[ \t>*#•+\-\d.)\[\]xX_]*given\b", re.IGNORECASE | re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|")
# Keywords inside one line ("Given a cart, when I pay, then …"); "and then" is a sequence, not a step.
_INLINE = re.compile(r"(?<![\w-])(?<!and )(?<!or )(when|then)\b", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]*(?:```|~~~|\{code|\{noformat)", re.IGNORECASE)
_FENCE_END = re.compile(r"(?:```|~~~|\{code\}|\{noformat\})[ \t]*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Step:
    """One step line: its keyword sequence (inline keywords included) and its text."""

    keywords: tuple[str, ...]
    text: str


def _step(line: str, max_words: int) -> _Step | None:
    """The step a line states, or None when it is not one."""
    m = _STEP.match(line)
    if m is None:
        return None
    keyword, rest = m.group(1).lower(), m.group(2)
    if len(rest.split()) > max_words or (keyword in _PROSE and _PROSE[keyword].match(rest)) or rest[:1] == ",":
        return None
    keywords = [keyword]
    # NOTE: only a Given or When line carries later steps inline; "Then X when Y" is one outcome with its
    # condition, not a When after a Then.
    if keyword in ("given", "when"):
        for inline in _INLINE.finditer(rest):
            word = inline.group(1).lower()
            if word == "then" or (keyword == "given" and keywords[-1] == "given"):
                keywords.append(word)
            if word == "then":
                break
    return _Step(tuple(keywords), line.strip())


def _runs(text: str, max_words: int) -> Iterator[list[_Step]]:
    """Runs of consecutive step lines (blank lines allowed between them), outside code blocks."""
    run: list[_Step] = []
    in_code = False
    for line in text.splitlines():
        if in_code:
            in_code = not _FENCE_END.search(line)
            continue
        if _FENCE.match(line):
            in_code = not _FENCE_END.search(line[line.find("{") + 1 if "{" in line else 3 :])
            if run:
                yield run
            run = []
            continue
        if not line.strip() or (run and _TABLE_ROW.match(line)):
            continue  # blank lines and a step's table rows stay inside the run
        step = _step(line, max_words)
        if step is None:
            if run:
                yield run
            run = []
        else:
            run.append(step)
    if run:
        yield run


def problem(run: list[_Step], missing_then: bool) -> str | None:
    """What is wrong with a run of steps, or None when its scenarios read Given → When → Then."""
    keywords = [k for step in run for k in step.keywords if k not in ("and", "but")]
    leading = {step.keywords[0] for step in run} - {"and", "but"}
    if len(leading) < 2 or "given" not in leading:
        # NOTE: a scenario sets its scene with Given. Lines that all start alike ("When the job fails, an e-mail
        # is sent") are conditional criteria with their outcome inline, and "Then run the task" or "When you
        # run it" without a Given are instructions in prose.
        return None
    # NOTE: "Given … When … Then … When … Then" (a second action and its result) is a valid scenario, and a
    # Given after a Then starts the next scenario; a Given after a When, a Then first, or a Given/When whose
    # Then never comes are the defects.
    state, pending = None, False
    for keyword in keywords:
        if keyword == "given" and state == "when":
            return "'Given' after 'When'" if "then" in keywords else "no 'Then'"
        if keyword == "then" and state is None:
            return "'Then' before any 'Given' or 'When'"
        pending = keyword != "then"
        state = keyword
    if pending and missing_then:
        return "no 'Then'" if "then" not in keywords else f"no 'Then' after the last '{state.capitalize()}'"
    return None


def check(ctx: ItemContext, rule: Rule) -> Iterator[Finding]:
    """Flag the item once, quoting the first scenario whose steps are out of order."""
    item = ctx.item
    for text in (item.acceptance_criteria_field, item.description):
        if not text or not _GIVEN_LINE.search(text):
            continue  # every scenario judged has a Given line
        for run in _runs(text, rule.params["max_words"]):
            found = problem(run, rule.params["missing_then"])
            if found:
                yield rule.finding(
                    match=found,
                    excerpt=" / ".join(step.text for step in run)[:300],
                    suggestion=(
                        "Write each scenario as Given (the starting state), When (the action), Then (the "
                        "observable result); 'And' and 'But' continue the step above them."
                    ),
                    field="acceptance_criteria",
                )
                return
