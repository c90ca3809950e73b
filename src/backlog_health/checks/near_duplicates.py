"""Two or more items say nearly the same thing: near duplicates across the backlog, reported as clusters.

Scales to tens of thousands of items without comparing every pair: MinHash signatures of each text's word
shingles, LSH banding to find candidate pairs, an exact similarity to verify each candidate, and
union-find to build clusters. Exact duplicates are left to `exact_duplicate` (UQ01).
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from backlog_health.checks import ItemContext, Param
from backlog_health.checks.duplicates import normalize
from backlog_health.model import Finding
from backlog_health.nlp.story import clean_story_text
from backlog_health.rules import Rule

KIND = "near_duplicate"
SCOPE = "backlog"
REQUIRES = frozenset()
PARAMS = {
    "threshold": Param(
        (int, float), "Jaccard similarity of the two word sets, 0 to 1, from which items are near duplicates", 0.7
    ),
    "num_perm": Param(int, "MinHash values per text: more find candidates more reliably and cost more", 128),
    "bands": Param(int, "LSH bands (num_perm / bands values each): more bands find less similar candidates", 32),
    "min_words": Param(int, "skip texts with fewer content words than this (too short to judge)", 3),
    "variants": Param(
        bool, "also flag texts that each have words of their own ('export as CSV' / 'export as PDF')", False
    ),
}

MAX_CHARS = 2_000  # NOTE: a 5 MB title is cut here; no story needs more to be told apart
MAX_BUCKET = 100  # an LSH bucket larger than this is compared along a window, not pair by pair
BUCKET_WINDOW = 10  # how many neighbours each member of a large bucket is compared with
ESTIMATE_MARGIN = 0.2  # candidates whose MinHash estimate is this far below the threshold are dropped
N_SHOWN = 5  # other keys named in a finding
SEED = 0x5EED_BAC106  # fixed: the same backlog always gives the same findings
_MERSENNE = (1 << 61) - 1
_MASK64 = (1 << 64) - 1

_NOT_WORD = re.compile(r"[\W_]+")
_NOT = re.compile(r"n['’]t\b", re.IGNORECASE)  # "don't" → "do not": the negation stays a word
# The story template ("As a …, I want to …, so that …") and its usual variants: shared by every story,
# so two stories must not look alike because of it. The role after "as a" is kept.
_TEMPLATE = re.compile(
    r"\b(?:as (?:an?|the)|(?:i|we) (?:(?:d|would|really|also) )*(?:want|like|need|wish|love)(?: to)?"
    r"|(?:i|we) (?:(?:should|must|shall|will|can|am|are) )*(?:be )?able to|so that|so (?:i|we) can"
    r"|in order to)\b"
)
# Function words carry no topic: without them two texts differ by their content words only.
_STOPWORDS = frozenset(
    """a an the this that these those it its i me my mine we us our you your he she him her his they them
    their there here what which who whom whose when where how why whether if then than so as of to in on at
    by for from with into onto about over under via per up out off and or but also just only very too all
    any some each every both either such own same other more most much many be am is are was were been being
    have has had having do does did doing will would shall should can could may might must able want wants
    wanted need needs like please while etc e g ie eg s d m t ll re ve ca wo""".split()
)
# A difference in one of these words turns a text into its opposite, never into a duplicate.
_NEGATIONS = frozenset(
    "no not non never without cannot none nothing".split()
)


@dataclass(frozen=True)
class _Text:
    """One distinct text of the backlog (items whose texts UQ01 calls identical share it)."""

    words: tuple[str, ...]  # the cleaned text's words in their original case, for suggestions
    content: frozenset[str]  # content words: lowercase, template and function words removed, plural cut
    role: frozenset[str]  # content words of the story's role ("store manager"), empty without a story
    members: tuple[int, ...]  # indexes of the items with this text, in backlog order


def _stem(word: str) -> str:
    """A plural cut to its singular, so that 'reports' and 'report' are one word; other words as they are."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """The content words of a text, in order: lowercase, no punctuation, no template or function words."""
    text = _TEMPLATE.sub(" ", normalize(_NOT.sub(" not", text[:MAX_CHARS])))
    return [_stem(word) for word in text.split() if word not in _STOPWORDS]


def _texts(contexts: Sequence[ItemContext], min_words: int) -> list[_Text]:
    """The distinct texts long enough to judge, in backlog order of their first item."""
    by_key: dict[str, list[int]] = {}
    for index, ctx in enumerate(contexts):
        raw = (ctx.story.text if ctx.story else ctx.item.title) or ""
        by_key.setdefault(normalize(raw[:MAX_CHARS]), []).append(index)
    texts = []
    for members in by_key.values():
        ctx = contexts[members[0]]
        raw = ((ctx.story.text if ctx.story else ctx.item.title) or "")[:MAX_CHARS]
        content = frozenset(content_words(raw))
        if len(content) < max(1, min_words):
            continue
        role = frozenset(content_words(ctx.story.role or "")) if ctx.story else frozenset()
        words = tuple(_NOT_WORD.sub(" ", clean_story_text(raw)).split())
        texts.append(_Text(words, content, role, tuple(members)))
    return texts


# ------------------------------------------------------------------------------------------ MinHash + LSH


def _splitmix64(state: int) -> tuple[int, int]:
    """The next state and value of splitmix64: fixed pseudo-random numbers that no library version changes."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    value = state
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, value ^ (value >> 31)


def _coefficients(count: int) -> np.ndarray:
    """`count` fixed 32-bit numbers (odd, never zero) for the hash functions."""
    state, values = SEED, []
    for _ in range(count):
        state, value = _splitmix64(state)
        values.append((value & 0xFFFFFFFF) | 1)
    return np.array(values, dtype=np.uint64)


def _shingles(content: frozenset[str], cache: dict[str, int]) -> list[int]:
    """32-bit hashes of the text's words and of its sorted word pairs' neighbours (word 2-grams)."""
    words = sorted(content)
    # NOTE: unigrams are the set Jaccard verifies; 2-grams of the sorted words sharpen the MinHash of long
    # texts. Sorting makes the shingles independent of word order, as the verified similarity is.
    grams = words + [f"{a} {b}" for a, b in zip(words, words[1:])] if len(words) > 6 else words
    hashes = []
    for gram in grams:
        value = cache.get(gram)
        if value is None:
            value = cache[gram] = zlib.crc32(gram.encode("utf-8", "replace"))
        hashes.append(value)
    return hashes


def signatures(contents: Sequence[frozenset[str]], num_perm: int) -> np.ndarray:
    """MinHash signatures, one row of `num_perm` values per text (each text needs at least one word)."""
    cache: dict[str, int] = {}
    lists = [_shingles(content, cache) for content in contents]
    lengths = np.fromiter((len(hashes) for hashes in lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter((h for hashes in lists for h in hashes), dtype=np.uint64, count=int(lengths.sum()))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    coefficients = _coefficients(2 * num_perm)
    result = np.empty((len(lists), num_perm), dtype=np.uint64)
    for k in range(num_perm):
        # NOTE: a, x < 2**32 keep a*x + b below 2**64: no overflow before the modulus.
        hashed = (flat * coefficients[2 * k] + (coefficients[2 * k + 1] >> np.uint64(1))) % np.uint64(_MERSENNE)
        result[:, k] = np.minimum.reduceat(hashed, starts)
    return result


def candidate_pairs(sig: np.ndarray, bands: int) -> np.ndarray:
    """Pairs (i < j) of rows that agree on every value of at least one band, as an (n, 2) array."""
    n, num_perm = sig.shape
    bands = max(1, min(bands, num_perm))
    rows = num_perm // bands
    weights = _coefficients(rows)
    found: list[np.ndarray] = []
    for band in range(bands):
        block = sig[:, band * rows : (band + 1) * rows]
        keys = (block * weights).sum(axis=1, dtype=np.uint64)  # wraps modulo 2**64
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        for members in np.split(order, edges):
            if len(members) < 2:
                continue
            members = np.sort(members)
            if len(members) <= MAX_BUCKET:
                left, right = np.triu_indices(len(members), 1)
            else:
                # NOTE: one huge bucket would bring back the O(n²) this module avoids; a window along it
                # still links a cluster through its neighbours.
                left = np.repeat(np.arange(len(members)), BUCKET_WINDOW)
                right = left + np.tile(np.arange(1, BUCKET_WINDOW + 1), len(members))
                keep = right < len(members)
                left, right = left[keep], right[keep]
            found.append(members[left] * n + members[right])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(found).astype(np.int64))
    return np.stack((codes // n, codes % n), axis=1)


# ------------------------------------------------------------------------------------- verify and cluster


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the words of both that each has."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _relation(a: _Text, b: _Text, variants: bool) -> str | None:
    """How two similar texts differ: 'same' (only adds words), 'role' (only the role differs), or None."""
    only_a, only_b = a.content - b.content, b.content - a.content
    if (only_a | only_b) & _NEGATIONS:
        return None
    if not only_a or not only_b:
        return "same"
    if a.role and b.role and only_a <= a.role and only_b <= b.role:
        return "role"
    # NOTE: each text has words of its own ("into R" / "into SPSS", "loading" / "saving"): a family of
    # deliberate variants, not one need written twice. Teams that want them too set `variants: true`.
    return "same" if variants else None


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


@dataclass(frozen=True)
class _Edge:
    other: int  # the other text
    similarity: float  # Jaccard of the content words
    relation: str  # "same" or "role"


def near_duplicate_edges(
    texts: Sequence[_Text], threshold: float, num_perm: int, bands: int, variants: bool
) -> list[list[_Edge]]:
    """For each text, the other texts it is a near duplicate of (verified candidates of the LSH)."""
    edges: list[list[_Edge]] = [[] for _ in texts]
    if len(texts) < 2:
        return edges
    # NOTE: texts with the same content words ("export the report" / "export a report") are near duplicates
    # of similarity 1; they share one signature, so that a thousand of them make no thousand² candidates.
    groups: dict[frozenset[str], list[int]] = {}
    for index, text in enumerate(texts):
        groups.setdefault(text.content, []).append(index)
    heads = [members[0] for members in groups.values()]
    for members in groups.values():
        for index in members[1:]:
            edges[members[0]].append(_Edge(index, 1.0, "same"))
            edges[index].append(_Edge(members[0], 1.0, "same"))
    if len(heads) < 2:
        return edges
    num_perm = max(1, num_perm)
    sig = signatures([texts[head].content for head in heads], num_perm)
    pairs = candidate_pairs(sig, bands)
    if len(pairs):
        sizes = np.array([len(texts[head].content) for head in heads])
        small = np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        large = np.maximum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        keep = small >= threshold * large  # NOTE: Jaccard ≤ small/large, so these can never reach it
        pairs = pairs[keep]
    if len(pairs):
        estimate = np.concatenate(
            [(sig[chunk[:, 0]] == sig[chunk[:, 1]]).mean(axis=1) for chunk in np.array_split(pairs, max(1, len(pairs) // 50_000))]
        )
        pairs = pairs[estimate >= threshold - ESTIMATE_MARGIN]
    for left, right in pairs.tolist():
        a, b = heads[left], heads[right]
        similarity = jaccard(texts[a].content, texts[b].content)
        if similarity < threshold:
            continue
        relation = _relation(texts[a], texts[b], variants)
        if relation is None:
            continue
        for x, y in ((a, b), (b, a)):
            edges[x].append(_Edge(y, similarity, relation))
            for twin in groups[texts[y].content][1:]:
                edges[x].append(_Edge(twin, similarity, relation))
    return edges


# -------------------------------------------------------------------------------------------- findings


def _difference(own: Sequence[str], other: Sequence[str]) -> tuple[str, str]:
    """The first stretch where two texts differ, with a word of context: ('… have a flexible …', '… choose a flexible …')."""
    lower_own, lower_other = [w.lower() for w in own], [w.lower() for w in other]
    matcher = difflib.SequenceMatcher(None, lower_own, lower_other, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = 1 if (i2 > i1 and j2 > j1) else 2
        return _span(own, i1, i2, before), _span(other, j1, j2, before)
    return " ".join(own[:8]), " ".join(other[:8])


def _span(words: Sequence[str], start: int, end: int, context: int) -> str:
    """Words start..end with `context` words around them, at most 8, with … where the text goes on."""
    low, high = max(0, start - context), min(len(words), max(end, start) + context)
    high = min(high, low + 8)
    shown = " ".join(words[low:high])
    return ("… " if low > 0 else "") + shown + (" …" if high < len(words) else "")


def _suggestion(key: str, own: _Text, other: _Text, relation: str) -> str:
    mine, theirs = _difference(own.words, other.words)
    if relation == "role":
        return (
            f"The same story as {key} for another role ('{theirs}' there, '{mine}' here): write it once for "
            "both roles, or say what each role needs differently."
        )
    return f"Looks like {key} ('{theirs}' there, '{mine}' here): merge them or make the difference explicit."


def check(contexts: list[ItemContext], rule: Rule) -> Iterator[tuple[int, Finding]]:
    """Cluster items whose texts are nearly the same and flag every member once, naming its closest match."""
    params = rule.params
    threshold = min(1.0, max(0.0, float(params["threshold"])))
    texts = _texts(contexts, params["min_words"])
    edges = near_duplicate_edges(texts, threshold, params["num_perm"], params["bands"], params["variants"])
    clusters = _UnionFind(len(texts))
    for index, own in enumerate(edges):
        for edge in own:
            clusters.union(index, edge.other)
    members: dict[int, list[int]] = {}
    for index in range(len(texts)):
        if edges[index]:
            members.setdefault(clusters.find(index), []).append(index)
    for cluster in members.values():
        items = sorted(item for text in cluster for item in texts[text].members)
        for text in cluster:
            own = texts[text]
            best = max(edges[text], key=lambda edge: (edge.similarity, -edge.other))
            closest = texts[best.other]
            closest_key = contexts[closest.members[0]].item.key
            for index in own.members:
                # NOTE: the item's exact duplicates are UQ01's to report; only the others are named here.
                others = [contexts[i].item.key for i in items if i not in own.members]
                shown = ", ".join(others[:N_SHOWN]) + (
                    f" and {len(others) - N_SHOWN} more" if len(others) > N_SHOWN else ""
                )
                yield (
                    index,
                    rule.finding(
                        match=shown,
                        excerpt=contexts[index].item.title[:200],
                        suggestion=_suggestion(closest_key, own, closest, best.relation),
                    ),
                )
