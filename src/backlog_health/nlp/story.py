"""Split a user story into role, means and ends, as real teams write them.

Handles "As a/an/the X, I want/need/would like/can/should be able to Y, so that/in order to/so I can Z",
ends first ("In order to Z, as X, I want Y"), missing commas, any case, leading issue keys,
Markdown emphasis, and stories followed by more sentences (kept as `extra`).
Pure text processing: no spaCy here, so it also works in reduced mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from backlog_health.model import StoryParts

# Leading noise teams put before the story: issue keys, "#12", "Story:", list bullets.
_LEADING_NOISE = re.compile(
    r"""^\s*(?:
        (?:[-*+•>]|\d+[.)])\s+                              # list bullet or number
      | \[?[A-Z][A-Z0-9_]*-\d+\]?\s*[:\-–—|]?\s*             # PROJ-12: / [PROJ-12]
      | \#\d+\s*[:\-–—]?\s*                                  # #12:
      | (?:user\s+)?story\s*\d*\s*[:\-–—]\s*                 # Story: / User story 3 -
    )+""",
    re.IGNORECASE | re.VERBOSE,
)
# Markdown / wiki emphasis around words: **bold**, __bold__, *em*, _em_, `code`, {{code}}.
_EMPHASIS = re.compile(r"(\*\*|__|\{\{|\}\}|`)|(?<![\w*])[*_](?=\S)|(?<=\S)[*_](?![\w*])")
_SPACES = re.compile(r"\s+")

# "I want to", "we'd like to", "I should be able to", "I can" … (the means marker).
_AUX = r"(?:would|should|must|shall|will|can|could|do|don['’]t|not|never|also|really|only|then|always|still|definitely)"
_MEANS_VERB = (
    r"(?:want(?:s|ed)?|need(?:s|ed)?|like|love|wish|expect|require|desire|prefer|hope|request|"
    r"have|be\s+able|am\s+able|are\s+able|able|can|could|should|must|shall|will|would)"
)
_MEANS_MARKER = rf"(?:i|we)(?:['’](?:d|m|ll))?(?:\s+{_AUX}\b)*\s+{_MEANS_VERB}\b(?:\s+to\b)?(?:\s+be\s+able\s+to\b)?"
# "so that", "so I can", "in order to", "to be able to" … (the ends marker).
_ENDS_MARKER = (
    r"(?:so\s+that|in\s+order\s+(?:to|that|for)|such\s+that|so\s+as\s+to|"
    r"so(?=\s+(?:i|we|they|you|he|she|it|users?|people|customers?|the|my|our|their|everyone|"
    r"nobody|others|[a-z]+s?\s+(?:can|will|could|may|do|does|know|get|have)))|"
    # NOTE: "…, to be able to X" gives a purpose; "I want the app to be able to X" asks for an ability.
    r"(?<=[,;])\s*to\s+be\s+able\s+to|because|since)"
)
_ROLE_MARKER = r"as\s+(?:an?|the|one|some|any)?\b"

_CONNEXTRA = re.compile(
    rf"^{_ROLE_MARKER}\s*(?P<role>[^.!?]+?)\s*[,;:–—-]?\s*"
    rf"(?P<mm>{_MEANS_MARKER})\s*:?\s*(?P<means>.+?)"
    rf"(?:\s*[,;.–—-]?\s*(?P<em>{_ENDS_MARKER})\s*[,:]?\s*(?P<ends>.+?))?\s*[.!]?$",
    re.IGNORECASE | re.DOTALL,
)
_ENDS_FIRST = re.compile(
    rf"^(?P<em>in\s+order\s+(?:to|that)|so\s+that|to)\s+(?P<ends>[^,]+?)\s*,?\s*"
    rf"{_ROLE_MARKER}\s*(?P<role>[^.!?]+?)\s*[,;:]?\s*(?P<mm>{_MEANS_MARKER})\s*:?\s*(?P<means>.+?)\s*[.!]?$",
    re.IGNORECASE | re.DOTALL,
)
_NO_ROLE = re.compile(
    rf"^(?P<mm>{_MEANS_MARKER})\s*:?\s*(?P<means>.+?)"
    rf"(?:\s*[,;.–—-]?\s*(?P<em>{_ENDS_MARKER})\s*[,:]?\s*(?P<ends>.+?))?\s*[.!]?$",
    re.IGNORECASE | re.DOTALL,
)
_ONE_PARAGRAPH = r"(?:[^\n]|\n(?!\s*\n))"
# "As a courier, the address is hard to find": a role, then no "I want".
_ROLE_ONLY = re.compile(
    r"^as\s+(?:an?|the)\s+(?!(?:result|rule|whole|consequence|workaround|fallback|default|precaution)\b)(?P<role>[^,.:;!?]{1,80}?)\s*[,:;]\s*(?P<rest>.+?)"
    rf"(?:\s*[,;.–—-]?\s*(?P<em>{_ENDS_MARKER})\s*[,:]?\s*(?P<ends>.+?))?\s*[.!]?$",
    re.IGNORECASE | re.DOTALL,
)
# Where a story starts inside a longer text (description paragraphs).
_STORY_START = re.compile(
    rf"(?:^|(?<=[\n.!?:]))\s*(?:[-*>•]\s+)?(?:\*\*|\*|_)?(?={_ROLE_MARKER}\s*{_ONE_PARAGRAPH}{{1,120}}?{_MEANS_MARKER}"
    rf"|in\s+order\s+to\s{_ONE_PARAGRAPH}{{1,200}}?,?\s*{_ROLE_MARKER})",
    re.IGNORECASE,
)
# Sentence ends, not abbreviations ("e.g.", "i.e.", "etc.", "vs.") or numbers ("1.5").
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)(?<!\bapprox)(?<!\bno)"
    # NOTE: a list, a rule or a Jira mention after a full stop starts something new even in flattened text
    # ("… a reproducible build. * Add headers", "… page. ----").
    r"[.!?](?=\s+(?:[\"'(\[]?[A-Z]|[*•#-]+\s|\d+[.)]\s|\[~|-{3,}))|\n+"
    r"|\s(?=(?i:acceptance criteria|notes?|background|details|steps to reproduce)\s*:)"
)


@dataclass(frozen=True)
class _Match:
    role: str | None
    means: str | None
    ends: str | None
    template: str


# NOTE: the parser, the engine and the duplicate checks clean the same titles; cleaning each once is enough.
@lru_cache(maxsize=1 << 16)
def clean_story_text(text: str) -> str:
    """The text with issue keys, bullets, emphasis markup and runs of whitespace removed."""
    # NOTE: every emphasis mark holds one of these characters; most texts have none, and the scan is slow.
    if any(char in text for char in "*_{}`"):
        text = _EMPHASIS.sub("", text)
    text = _LEADING_NOISE.sub("", text)
    return " ".join(text.split())  # the same as collapsing runs of \s and stripping, in a fifth of the time


def _marker(words: str | None) -> str:
    """A marker in canonical form for template comparison ("As an" and "as a" are the same)."""
    if not words:
        return ""
    words = _SPACES.sub(" ", words.lower().replace("’", "'"))
    return re.sub(r"^as (?:an?|the|one|some|any)$", "as a", words)


def _part(text: str | None) -> str | None:
    text = (text or "").strip(" ,;:.-–—")
    return text or None


# "As far as I can see", "As it was mentioned", "As a follow-on to X which …": not roles.
_NOT_A_ROLE = re.compile(
    r"^(?:far|soon|long|well|much|many|usual|such|(?-i:it)|this|that|these|those|before|above|below|mentioned|"
    r"discussed|noted|described|expected|shown|said|part|per|follow-?up|follow-?on|result|consequence)\b"
    r"|\b(?:was|were|been|which|because)\b",
    re.IGNORECASE,
)
MAX_ROLE_WORDS = 16


def _plausible_role(role: str | None) -> bool:
    """A role names a kind of person or system in a few words, not a clause."""
    if role is None:
        return True
    return len(role.split()) <= MAX_ROLE_WORDS and not _NOT_A_ROLE.search(role)


def _match_story(sentence: str) -> _Match | None:
    for pattern, order in ((_CONNEXTRA, "rme"), (_ENDS_FIRST, "erm"), (_NO_ROLE, "me")):
        found = pattern.match(sentence)
        if not found or not _plausible_role(found.groupdict().get("role")):
            continue
        groups = found.groupdict()
        role_words = "as a" if "role" in groups else ""
        markers = {"r": role_words, "m": _marker(groups["mm"]), "e": _marker(groups.get("em"))}
        template = " … ".join(markers[p] for p in order if markers[p]) + " …"
        return _Match(_part(groups.get("role")), _part(groups["means"]), _part(groups.get("ends")), template)
    found = _ROLE_ONLY.match(sentence)
    if found and _plausible_role(found.group("role")):
        ends_marker = _marker(found.group("em"))
        template = "as a …" + (f" {ends_marker} …" if ends_marker else "")
        return _Match(_part(found.group("role")), None, _part(found.group("ends")), template)
    return None


def split_sentences(text: str) -> list[str]:
    """Split text into sentences without breaking on common abbreviations or decimals."""
    if not any(char in text for char in ".!?\n:"):  # NOTE: every sentence end holds one (most titles: none)
        return [text.strip()] if text.strip() else []
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        piece = text[start : end.end()].strip()
        if piece:
            sentences.append(piece)
        start = end.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


# NOTE: a story is a sentence or two; longer texts are cut so a pasted log cannot slow the run.
MAX_STORY_CHARS = 1500


def parse_story(text: str) -> StoryParts | None:
    """Parse one story text (a title or a paragraph); None when it is not written as a user story."""
    cleaned = clean_story_text(text[:MAX_STORY_CHARS])
    if not cleaned:
        return None
    sentences = split_sentences(cleaned)
    # NOTE: the story may run over two sentences ("As a X, I want Y. So that Z."), so try the
    # first sentence joined with the next one before the first sentence alone.
    for n_joined in (2, 1):
        head = " ".join(sentences[:n_joined])
        found = _match_story(head)
        if found is None or (n_joined == 2 and not _starts_with_ends(sentences[1:2])):
            continue
        extra = " ".join(sentences[n_joined:]) or None
        return StoryParts(found.role, found.means, found.ends, found.template, head, extra)
    return None


def _starts_with_ends(sentences: list[str]) -> bool:
    return bool(sentences) and re.match(rf"{_ENDS_MARKER}\b", sentences[0], re.IGNORECASE) is not None


_BLOCK_START = re.compile(
    r"^\s*(?:[-*#>|•]|\d+[.)]|h[1-6]\.|\{|(?:scenario|background|feature|given|when|then|and|but)\b)|:\s*$",
    re.IGNORECASE,
)


def _story_lines(text: str) -> str:
    """The lines of a story stated in a description: up to a blank line, a list, a heading or a full stop."""
    lines = text.split("\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if not line.strip() or _BLOCK_START.search(line) or re.search(r"[.!?:]\s*$", kept[-1]):
            break
        kept.append(line)
    return " ".join(kept)


_WANTS = re.compile(r"\b(?:want|need|like|love|wish|expect|require|desire|prefer|hope|request|able)\b")


def find_story(title: str, description: str = "") -> StoryParts | None:
    """The item's user story: its title when written as one, else the first story in its description."""
    story = parse_story(title)
    if story is not None and story.role is not None:
        return story
    if description:
        # Only look at the head of long descriptions: a story is stated near the top.
        head = description[:4000]
        for start in _STORY_START.finditer(head):
            found = parse_story(_story_lines(head[start.start() :]))
            # NOTE: in running text "As an admin I can go to …" tells what happens (a bug report);
            # a story stated in a description says what someone wants.
            if found is not None and found.role and _WANTS.search(found.template):
                # NOTE: sentences after a story in a description are the description, not extra story text.
                return replace(found, extra=None)
    return story


_ROLE_WORDS = re.compile(rf"\b{_ROLE_MARKER}", re.IGNORECASE)


def find_stories(title: str, description: str = "") -> list[StoryParts]:
    """Every user story the item states: its title's, then each one in the head of its description, in order."""
    if len(_ROLE_WORDS.findall(title)) + len(_ROLE_WORDS.findall(description[:4000])) < 2:
        first = find_story(title, description)  # NOTE: one role marker at most: at most one story, found cheaply
        return [first] if first is not None and first.role is not None else []
    stories = []
    story = parse_story(title)
    if story is not None and story.role is not None:
        stories.append(story)
    head = description[:4000]
    for start in _STORY_START.finditer(head):
        found = parse_story(_story_lines(head[start.start() :]))
        if found is not None and found.role and _WANTS.search(found.template):
            stories.append(replace(found, extra=None))
    return stories
