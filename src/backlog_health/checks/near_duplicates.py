"""Two or more items say nearly the same thing: near duplicates across the backlog, reported as clusters.

Scales to tens of thousands of items without comparing every pair: MinHash signatures of each text's set
of content words, LSH banding to find candidate pairs, the exact Jaccard similarity to verify each candidate,
and union-find to build clusters. Exact duplicates are left to `exact_duplicate` (UQ01).
"""

from __future__ import annotations

import base64
import difflib
import itertools
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from backlog_health.checks import ItemContext, Memory, Param
from backlog_health.checks.duplicates import normalize
from backlog_health.model import Finding
from backlog_health.nlp.story import clean_story_text
from backlog_health.rules import Rule

KIND = "near_duplicate"
SCOPE = "backlog"
REMEMBERS = True
REQUIRES = frozenset()
PARAMS = {
    "threshold": Param(
        (int, float),
        "Jaccard similarity of the two word sets, 0 to 1, from which items are near duplicates",
        0.75,
        maximum=1,
    ),
    "num_perm": Param(int, "MinHash values per text: more find candidates more reliably and cost more", 128, minimum=1),
    "bands": Param(
        int, "LSH bands (num_perm / bands values each): more bands find less similar candidates", 32, minimum=1
    ),
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
_MASK64 = (1 << 64) - 1

_NOT_WORD = re.compile(r"[\W_]+")
# A word, an identifier ("add_to_log") or a number kept whole ("8.0.2", "5.1.0m1", "12/19/15"): 'release
# note for 8.0.1' and '… for 8.0.2' differ in one word, not in none.
_WORD = re.compile(r"\d+(?:[./-]\w+)+|\w+")
_NOT = re.compile(r"n['’]t\b", re.IGNORECASE)  # "don't" → "do not": the negation stays a word
# "e-mail" is "email", and "fabric-ca" is not "fabric": a hyphen between letters joins one word.
_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
# "from X to Y", "X -> Y", "the epic of a story": the order of the words carries the meaning.
_DIRECTION = re.compile(r"\b(?:from|of)\b|->|=>|→|<-|←", re.IGNORECASE)
# The story template ("As a …, I want to …, so that …") and its usual variants: shared by every story,
# so two stories must not look alike because of it. The role after "as a" is kept.
_TEMPLATE = re.compile(
    r"\b(?:as (?:an?|the)|(?:i|we) (?:(?:d|would|really|also) )*(?:want|like|need|wish|love)(?: to)?"
    r"|(?:i|we) (?:(?:should|must|shall|will|can|am|are) )*(?:be )?able to|so that|so (?:i|we) can"
    r"|in order to)\b"
)
_TEMPLATE_OPENERS = frozenset({"as", "i", "we", "so", "in"})
# Function words carry no topic: without them two texts differ by their content words only.
_STOPWORDS = frozenset(
    """a an the this that these those it its i me my mine we us our you your he she him her his they them
    their there here what which who whom whose when where how why whether if then than so as of to in on at
    by for from with into onto about over under via per up out off and or but also just only very too all
    any some each every both either such own same other more most much many be am is are was were been being
    have has had having do does did doing will would shall should can could might must able want wants
    wanted need needs like please while etc e g ie eg s d m t ll re ve ca wo""".split()  # noqa: SIM905 (reads as text)
)
# A difference in one of these words turns a text into its opposite, never into a duplicate.
_NEGATIONS = frozenset({"no", "not", "non", "never", "without", "cannot", "none", "nothing"})
# Words that mark the next instance of recurring or staged work, as numbers do ('QA tasks II', 'April
# design process', 'Refactor the deployment (continued)', 'Backport: …').
_INSTANCE_WORDS = frozenset(
    """ii iii iv vi vii viii ix xi xii january february march april may june july august september october
    november december jan feb mar apr jun jul aug sep sept oct nov dec again continued cont followup
    remaining backport""".split()  # noqa: SIM905 (reads as text)
)


@dataclass(slots=True)  # NOTE: not frozen: tens of thousands are made per run, and frozen ones build slowly
class _Text:
    """One distinct text of the backlog (items whose texts UQ01 calls identical share it)."""

    raw: str  # the text as written (cut at MAX_CHARS), for suggestions
    sequence: tuple[str, ...]  # content words in order: lowercase, no template or function words, plurals cut
    content: frozenset[str]  # the set of them, which the similarity compares
    directed: bool  # the text says "from … to …", "A -> B" or "A of B": word order matters
    role: frozenset[str]  # content words of the story's role ("store manager"), empty without a story
    role_text: str  # the role as written ("store manager"), empty without a story
    members: tuple[int, ...]  # indexes of the items with this text, in backlog order


@dataclass(frozen=True)
class _Edge:
    """A verified near duplicate of a group of texts."""

    other: int  # the other group
    similarity: float  # Jaccard of the content words
    relation: str  # "same" (one adds words, or none differ) or "role" (only the role differs)


@lru_cache(maxsize=1 << 16)  # NOTE: a backlog repeats its words; each is cut once
def _stem(word: str) -> str:
    """A plural cut to its singular, so that 'reports' and 'report' are one word, and a British spelling folded
    into the American one ('colour' / 'color', 'organise' / 'organize'); other words as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return _american(word)


# NOTE: both texts are folded the same way, so a fold only needs to be consistent, not a real word ("promise"
# becomes "promize" on both sides); what it must not do is make two different words one: doubled consonants
# ("cancelled", but not "filled" / "filed") are listed word by word.
_SPELLINGS = {
    "grey": "gray",
    "programme": "program",
    "enrol": "enroll",
    "enrolment": "enrollment",
    "fulfil": "fulfill",
    "fulfilment": "fulfillment",
    "defence": "defense",
    "licence": "license",
    "offence": "offense",
    "judgement": "judgment",
    "acknowledgement": "acknowledgment",
    "jewellery": "jewelry",
    "ageing": "aging",
    "aluminium": "aluminum",
    **{
        british: british.replace("ll", "l", 1)
        for stem in ("cancel", "label", "model", "travel", "level", "signal", "total", "fuel", "channel")
        for british in (stem + "led", stem + "ling", stem + "ler")
    },
}
_SUFFIXES = (  # British ending → American ending, longest first
    ("isation", "ization"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("iser", "izer"),
    ("ise", "ize"),
    ("ysing", "yzing"),
    ("ysed", "yzed"),
    ("yse", "yze"),
    ("ourite", "orite"),
    ("ourable", "orable"),
    ("oured", "ored"),
    ("ouring", "oring"),
    ("our", "or"),
    ("ogue", "og"),
    ("tre", "ter"),
)


def _american(word: str) -> str:
    """The American spelling of a British one, for comparison only; other words as they are."""
    folded = _SPELLINGS.get(word)
    if folded is not None:
        return folded
    if len(word) <= 4:  # NOTE: "hour", "your", "four", "tour" and "wise" stay
        return word
    for british, american in _SUFFIXES:
        if word.endswith(british) and len(word) - len(british) >= 2:
            return word[: -len(british)] + american
    return word


def content_words(text: str) -> list[str]:
    """The content words of a text, in order: lowercase, no punctuation, no template or function words."""
    text = clean_story_text(text[:MAX_CHARS])
    # NOTE: each substitution runs only where the character or word it needs is present: the same words, faster.
    if "'" in text or "’" in text:
        text = _NOT.sub(" not", text)
    if "-" in text:
        text = _HYPHEN.sub("", text)
    words = _WORD.findall(text.lower())
    text = " ".join(words)
    # NOTE: every template phrase starts with one of these words ("as a", "i want", "so that", "in order to").
    if not _TEMPLATE_OPENERS.isdisjoint(_NOT_WORD.split(text)):
        words = _WORD.findall(_TEMPLATE.sub(" ", text))
    return [_stem(word) for word in words if word not in _STOPWORDS]


def _raw(ctx: ItemContext) -> str:
    """The text compared: the story, else the title, cut at MAX_CHARS."""
    return ((ctx.story.text if ctx.story else ctx.item.title) or "")[:MAX_CHARS]


def prepare(ctx: ItemContext, rule: Rule) -> list:
    """What the check needs of one item: its text's normal form, content words, role words and direction."""
    return _prepared(ctx)


def _prepared(ctx: ItemContext) -> list:
    raw = _raw(ctx)
    role = content_words(ctx.story.role or "") if ctx.story else []
    # NOTE: UQ01's normal form: texts with the same one are exact duplicates, not near ones.
    return [normalize(raw), content_words(raw), role, bool(_DIRECTION.search(raw))]


def _texts(contexts: Sequence[ItemContext], min_words: int, prepared: Sequence[list] | None = None) -> list[_Text]:
    """The distinct texts long enough to judge, in backlog order of their first item."""
    keys = [own[0] for own in prepared] if prepared is not None else [normalize(_raw(ctx)) for ctx in contexts]
    by_key: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        members = by_key.get(key)
        if members is None:
            by_key[key] = [index]
        else:
            members.append(index)
    texts = []
    for key, members in by_key.items():
        first = contexts[members[0]]
        _, words, role_words, directed = prepared[members[0]] if prepared is not None else _prepared(first)
        sequence = tuple(words)
        content = frozenset(sequence)
        if len(content) < max(1, min_words):
            continue
        story = first.story
        role_text = (story.role or "") if story else ""
        texts.append(_Text(_raw(first), sequence, content, directed, frozenset(role_words), role_text, tuple(members)))
    return texts


# ------------------------------------------------------------------------------------------ MinHash + LSH


def _splitmix64(state: int) -> tuple[int, int]:
    """The next state and value of splitmix64: fixed pseudo-random numbers that no library version changes."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    value = state
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, value ^ (value >> 31)


def _seeds(count: int) -> np.ndarray:
    """`count` fixed 64-bit seeds, one per hash function."""
    state, values = SEED, []
    for _ in range(count):
        state, value = _splitmix64(state)
        values.append(value)
    return np.array(values, dtype=np.uint64)


def _mix(values: np.ndarray) -> np.ndarray:
    """The murmur3 64-bit finalizer: a bijection that spreads every input bit over the whole output."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)  # NOTE: wraps modulo 2**64, as intended
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def signatures(contents: Sequence[frozenset[str]], num_perm: int) -> np.ndarray:
    """MinHash signatures of word sets, one row of `num_perm` values per set (each set needs a word)."""
    cache: dict[str, int] = {}
    hashes: list[int] = []
    lengths = np.empty(len(contents), dtype=np.int64)
    for index, content in enumerate(contents):
        for word in content:
            value = cache.get(word)
            if value is None:
                value = cache[word] = zlib.crc32(word.encode("utf-8", "replace"))
            hashes.append(value)
        lengths[index] = len(content)
    # NOTE: the shingles are the words themselves, so the MinHash estimates exactly the Jaccard that
    # verifies a candidate; word 2-grams would make one changed word in a short title cost three shingles.
    flat = np.array(hashes, dtype=np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    result = np.empty((len(contents), num_perm), dtype=np.uint64)
    for k, seed in enumerate(_seeds(num_perm)):
        # NOTE: hash function k mixes (word hash XOR seed k): independent functions, as MinHash needs.
        result[:, k] = np.minimum.reduceat(_mix(flat ^ seed), starts)
    return result


def band_keys(sig: np.ndarray, bands: int) -> np.ndarray:
    """One key per LSH band of each signature row: (n, bands) values that agree where a band agrees."""
    n, num_perm = sig.shape
    bands = max(1, min(bands, num_perm))
    rows = num_perm // bands
    weights = _seeds(rows) | np.uint64(1)
    keys = np.empty((n, bands), dtype=np.uint64)
    for band in range(bands):
        keys[:, band] = (sig[:, band * rows : (band + 1) * rows] * weights).sum(axis=1, dtype=np.uint64)  # wraps
    return keys


def _buckets(column: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (all, or `rows`) sorted by their key in one band, where each bucket (rows of one key) starts in that
    order, and its size."""
    order = np.argsort(column if rows is None else column[rows], kind="stable")
    if rows is not None:
        order = rows[order]
    ordered = column[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return order, starts, np.diff(np.append(starts, len(order)))


def _bucket_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int) -> list[np.ndarray]:
    """The candidate pairs of some buckets of one band, coded as i * n + j (i < j)."""
    found: list[np.ndarray] = []
    # NOTE: buckets of one size are paired at once (one array operation per size, not per bucket).
    for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_BUCKET)]).tolist():
        firsts = starts[sizes == size]
        members = np.sort(order[firsts[:, None] + np.arange(size)], axis=1)
        left, right = np.triu_indices(size, 1)
        found.append((members[:, left].astype(np.int64) * n + members[:, right]).ravel())
    for start, size in zip(starts[sizes > MAX_BUCKET].tolist(), sizes[sizes > MAX_BUCKET].tolist()):
        members = np.sort(order[start : start + size])
        # NOTE: one huge bucket would bring back the O(n²) this module avoids; a window along it
        # still links a cluster through its neighbours.
        left = np.repeat(np.arange(size), BUCKET_WINDOW)
        right = left + np.tile(np.arange(1, BUCKET_WINDOW + 1), size)
        keep = right < size
        left, right = left[keep], right[keep]
        found.append(members[left].astype(np.int64) * n + members[right])
    return found


def _decoded_pairs(found: list[np.ndarray], n: int) -> np.ndarray:
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack((codes // n, codes % n), axis=1)


def candidate_pairs(sig: np.ndarray, bands: int) -> np.ndarray:
    """Pairs (i < j) of rows that agree on every value of at least one band, as an (m, 2) array."""
    return _candidates(band_keys(sig, bands))


def _candidates(keys: np.ndarray) -> np.ndarray:
    n = len(keys)
    found: list[np.ndarray] = []
    for band in range(keys.shape[1]):
        found += _bucket_pairs(*_buckets(keys[:, band]), n)
    return _decoded_pairs(found, n)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the words of both that each has."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _verified(
    pairs: np.ndarray, contents: Sequence[frozenset[str]], sig: Callable[[np.ndarray], np.ndarray], threshold: float
) -> list[tuple[int, int, float]]:
    """The candidate pairs whose Jaccard reaches the threshold; `sig` gives the signatures of some rows."""
    if len(pairs):
        sizes = np.array([len(content) for content in contents])
        small = np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        large = np.maximum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        pairs = pairs[small >= threshold * large]  # NOTE: Jaccard ≤ small/large: these can never reach it
    if len(pairs):
        chunks = np.array_split(pairs, max(1, len(pairs) // 10_000))
        estimate = np.concatenate([(sig(c[:, 0]) == sig(c[:, 1])).mean(axis=1) for c in chunks])
        pairs = pairs[estimate >= threshold - ESTIMATE_MARGIN]
    found = []
    for left, right in pairs.tolist():
        similarity = jaccard(contents[left], contents[right])
        if similarity >= threshold:
            found.append((left, right, similarity))
    return found


def similar_pairs(
    contents: Sequence[frozenset[str]], threshold: float, num_perm: int = 128, bands: int = 32
) -> list[tuple[int, int, float]]:
    """Pairs (i < j, Jaccard) of distinct word sets with a Jaccard ≥ threshold, found through MinHash + LSH."""
    if len(contents) < 2:
        return []
    sig = signatures(contents, max(1, num_perm))
    return _verified(candidate_pairs(sig, bands), contents, sig.__getitem__, threshold)


# ------------------------------------------------------------------------------------------- the next run
# NOTE: a rerun after a small change finds the same pairs without hashing and banding every text again. The memory
# holds each text's band keys (by its words) and the pairs found. A pair both of whose texts are still there is
# found again exactly when a bucket it shares is unchanged: same members, so same candidates and same verdict.
# Buckets that gained or lost a text, and every bucket big enough to be compared along a window (whose neighbours
# depend on the backlog's order), are paired again from scratch; their new candidates are verified as above.
MEMORY_FORMAT = 2  # 2: content words with British spellings folded


@dataclass
class _Memory:
    """What one run found: each text's name and band keys, the big buckets, and the pairs with their Jaccard."""

    names: list[str]
    keys: np.ndarray  # (n, bands) uint64
    big: np.ndarray  # (k, 2) uint64: band and key of each bucket bigger than MAX_BUCKET
    pairs: np.ndarray  # (m, 2) int64: rows of names
    similarities: list[float]

    def dumps(self, setting: list) -> str:
        arrays = [
            base64.b64encode(np.ascontiguousarray(a).tobytes()).decode() for a in (self.keys, self.big, self.pairs)
        ]
        return json.dumps([MEMORY_FORMAT, setting, self.names, *arrays, self.similarities])

    @classmethod
    def loads(cls, text: str | None, setting: list) -> _Memory | None:
        """The memory made with `setting`, or None when there is none or it cannot be trusted (another setting or
        layout, a damaged entry)."""
        if not text:
            return None
        try:
            version, made_with, names, keys, big, pairs, similarities = json.loads(text)
            if version != MEMORY_FORMAT or made_with != setting:
                return None
            if not (
                isinstance(names, list)
                and all(isinstance(name, str) for name in names)
                and isinstance(similarities, list)
                and all(isinstance(value, float) for value in similarities)
            ):
                return None
            keys = np.frombuffer(base64.b64decode(keys), dtype=np.uint64).reshape(len(names), setting[1])
            big = np.frombuffer(base64.b64decode(big), dtype=np.uint64).reshape(-1, 2)
            pairs = np.frombuffer(base64.b64decode(pairs), dtype=np.int64).reshape(-1, 2)
        except (ValueError, TypeError, IndexError):
            return None
        if (
            len(pairs) != len(similarities)
            or len(set(names)) != len(names)
            or (len(pairs) and (pairs.min() < 0 or pairs.max() >= len(names)))
        ):
            return None
        return cls(names, keys, big, pairs, similarities)


def remembered_pairs(
    contents: Sequence[frozenset[str]], names: Sequence[str], params: Mapping[str, Any], memory: Memory
) -> list[tuple[int, int, float]]:
    """similar_pairs of the texts, redoing only what changed since the run `memory` remembers, and remembering
    this one. `names` tell the texts apart across runs (a text's words, in order where the order matters)."""
    threshold = min(1.0, max(0.0, float(params["threshold"])))
    num_perm = max(1, params["num_perm"])
    bands = max(1, min(params["bands"], num_perm))
    # NOTE: what the pairs depend on besides the texts; the engine's scope holds the rule's parameters too.
    setting = [num_perm, bands, threshold, MAX_BUCKET, BUCKET_WINDOW, ESTIMATE_MARGIN, SEED]
    n = len(contents)
    old = _Memory.loads(memory.get("pairs"), setting)
    rows = {name: row for row, name in enumerate(old.names)} if old is not None else {}
    known = np.array([rows.get(name, -1) for name in names], dtype=np.int64)
    new = np.flatnonzero(known < 0)
    signed: dict[int, np.ndarray] = {}  # full signatures computed in this run, by text

    def sig(indexes: np.ndarray) -> np.ndarray:
        missing = [index for index in dict.fromkeys(indexes.tolist()) if index not in signed]
        if missing:
            signed.update(zip(missing, signatures([contents[index] for index in missing], num_perm), strict=True))
        return np.stack([signed[index] for index in indexes.tolist()]) if len(indexes) else np.empty((0, num_perm))

    keys = np.empty((n, bands), dtype=np.uint64)
    if old is not None:
        keys[known >= 0] = old.keys[known[known >= 0]]
    if len(new):
        keys[new] = band_keys(sig(new), bands)
    if old is None:
        # NOTE: every bucket of every band, as similar_pairs pairs them.
        buckets = [_buckets(keys[:, band]) for band in range(bands)]
        found: list[np.ndarray] = []
        for bucketed in buckets:
            found += _bucket_pairs(*bucketed, n)
        pairs = _verified(_decoded_pairs(found, n), contents, sig, threshold) if n > 1 else []
    else:
        gone = np.setdiff1d(np.arange(len(old.names)), known[known >= 0])
        # NOTE: the buckets a text joined or left, and those that were big (their windows follow the backlog's
        # order); a bucket big now and unchanged was big then.
        changed = [
            np.unique(np.concatenate((keys[new, band], old.keys[gone, band], old.big[old.big[:, 0] == band, 1])))
            for band in range(bands)
        ]
        buckets = [_buckets(keys[:, band], _members(keys[:, band], changed[band])) for band in range(bands)]
        kept = _kept(old, known, changed)
        pairs = sorted(kept + _redone(buckets, kept, n, contents, sig, threshold))
    if old is None or len(new) or len(rows) != int((known >= 0).sum()):
        # NOTE: the big buckets now are among those paired above (every bucket, or every changed one).
        big = np.array(
            [
                (band, keys[order[start], band])
                for band, (order, starts, sizes) in enumerate(buckets)
                for start in starts[sizes > MAX_BUCKET].tolist()
            ],
            dtype=np.uint64,
        ).reshape(-1, 2)
        found_pairs = np.array([(left, right) for left, right, _ in pairs], dtype=np.int64).reshape(-1, 2)
        similarities = [similarity for *_, similarity in pairs]
        memory.put("pairs", _Memory(list(names), keys, big, found_pairs, similarities).dumps(setting))
    return pairs


def _members(column: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The rows whose key in one band is one of `wanted` (sorted), in order."""
    if not len(wanted):
        return np.empty(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(wanted, column), len(wanted) - 1)
    return np.flatnonzero(wanted[at] == column)


def _kept(old: _Memory, known: np.ndarray, changed: list[np.ndarray]) -> list[tuple[int, int, float]]:
    """The remembered pairs found again: both texts still there, and a bucket they share unchanged."""
    if not len(old.pairs):
        return []
    index_of = np.full(len(old.names), -1, dtype=np.int64)
    index_of[known[known >= 0]] = np.flatnonzero(known >= 0)
    left, right = index_of[old.pairs[:, 0]], index_of[old.pairs[:, 1]]
    first, second = old.keys[old.pairs[:, 0]], old.keys[old.pairs[:, 1]]
    still = np.zeros(len(old.pairs), dtype=bool)
    for band, band_changed in enumerate(changed):
        still |= (first[:, band] == second[:, band]) & ~np.isin(first[:, band], band_changed)
    keep = np.flatnonzero((left >= 0) & (right >= 0) & still)
    return [
        (int(min(left[row], right[row])), int(max(left[row], right[row])), old.similarities[row])
        for row in keep.tolist()
    ]


def _redone(
    buckets: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    kept: list[tuple[int, int, float]],
    n: int,
    contents: Sequence[frozenset[str]],
    sig: Callable[[np.ndarray], np.ndarray],
    threshold: float,
) -> list[tuple[int, int, float]]:
    """The pairs found in the changed buckets, those already kept aside."""
    found: list[np.ndarray] = []
    for bucketed in buckets:
        found += _bucket_pairs(*bucketed, n)
    candidates = _decoded_pairs(found, n)
    if kept and len(candidates):
        codes = candidates[:, 0] * n + candidates[:, 1]
        candidates = candidates[~np.isin(codes, np.array([left * n + right for left, right, _ in kept]))]
    return _verified(candidates, contents, sig, threshold)


# ------------------------------------------------------------------------------------- verify and cluster


def _relation(a: _Text, b: _Text, variants: bool) -> str | None:
    """How two similar texts differ: 'same' (only adds words), 'role' (only the role differs), or None."""
    # NOTE: counted, not as sets: 'link … DMP records' / 'record … DMP records' each have a word of its own.
    only_a = set(Counter(a.sequence) - Counter(b.sequence))
    only_b = set(Counter(b.sequence) - Counter(a.sequence))
    differ = only_a | only_b
    # NOTE: 'not' makes the opposite; a number ('pt 2', 'v2', 'W16', '8.0.1', 'II', 'April', 'again') makes
    # the next instance of recurring or staged work. Neither is a need written twice.
    if differ & (_NEGATIONS | _INSTANCE_WORDS) or any(char.isdigit() for word in differ for char in word):
        return None
    if (a.directed or b.directed) and not _in_order(a, b):
        return None  # "copy from HDFS to a local folder" is not "copy from a local folder to HDFS"
    if not only_a or not only_b:
        return "same"
    if a.role and b.role and only_a <= a.role and only_b <= b.role:
        return "role"
    # NOTE: each text has words of its own ("into R" / "into SPSS", "loading" / "saving"): a family of
    # deliberate variants, not one need written twice. Teams that want them too set `variants: true`.
    return "same" if variants else None


def _in_order(a: _Text, b: _Text) -> bool:
    """Whether the words both texts have come in the same order in each (repeated words aside)."""
    shared = a.content & b.content
    mine = [word for word in a.sequence if word in shared]
    theirs = [word for word in b.sequence if word in shared]
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) >= len(shared)


class _UnionFind:
    """Disjoint sets of 0..n-1, for clusters."""

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
class _Found:
    """What the check found: texts, their groups of equal content words, edges between groups, clusters."""

    texts: list[_Text]  # distinct texts long enough to judge
    groups: list[list[int]]  # texts with the same content words (near duplicates of similarity 1)
    edges: list[list[_Edge]]  # per group: the other groups it is a near duplicate of, closest first
    clusters: list[list[int]]  # groups that hang together, each with at least two texts


def _find(
    contexts: Sequence[ItemContext],
    params: Mapping[str, Any],
    prepared: Sequence[list] | None = None,
    memory: Memory | None = None,
) -> _Found:
    """Texts, their verified near-duplicate edges and the clusters those form (`memory`: see remembered_pairs)."""
    threshold = min(1.0, max(0.0, float(params["threshold"])))
    texts = _texts(contexts, params["min_words"], prepared)
    # NOTE: texts with the same content words ("export the report" / "export a report") are near duplicates
    # of similarity 1 and get one signature, so that a thousand of them make no thousand² candidates.
    # Directed texts also need the same word order: "from JS to XML" is not "from XML to JS".
    by_content: dict[tuple[frozenset[str], tuple[str, ...]], list[int]] = {}
    for index, text in enumerate(texts):
        order = tuple(dict.fromkeys(text.sequence)) if text.directed else ()
        by_content.setdefault((text.content, order), []).append(index)
    groups = list(by_content.values())
    edges: list[list[_Edge]] = [[] for _ in groups]
    heads = [texts[group[0]] for group in groups]
    contents = [head.content for head in heads]
    if memory is None or len(contents) < 2:
        pairs = similar_pairs(contents, threshold, params["num_perm"], params["bands"])
    else:
        # NOTE: a text's words name it across runs (in order, where the order counts): words hold no space.
        names = [" ".join(sorted(content)) + "\n" + " ".join(order) for content, order in by_content]
        pairs = remembered_pairs(contents, names, params, memory)
    for left, right, similarity in pairs:
        relation = _relation(heads[left], heads[right], params["variants"])
        if relation is not None:
            edges[left].append(_Edge(right, similarity, relation))
            edges[right].append(_Edge(left, similarity, relation))
    union_find = _UnionFind(len(groups))
    for group, own in enumerate(edges):
        own.sort(key=lambda edge: (-edge.similarity, edge.other))
        for edge in own:
            union_find.union(group, edge.other)
    clusters: dict[int, list[int]] = {}
    for group in range(len(groups)):
        if edges[group] or len(groups[group]) > 1:
            clusters.setdefault(union_find.find(group), []).append(group)
    return _Found(texts, groups, edges, list(clusters.values()))


def clusters(contexts: Sequence[ItemContext], params: Mapping[str, Any]) -> list[tuple[int, ...]]:
    """Item indexes of each cluster of near duplicates, in backlog order (for benchmarks and tests)."""
    found = _find(contexts, params)
    return [
        tuple(sorted(item for group in cluster for text in found.groups[group] for item in found.texts[text].members))
        for cluster in found.clusters
    ]


# -------------------------------------------------------------------------------------------- findings


def _difference(own: Sequence[str], other: Sequence[str]) -> tuple[str, str]:
    """Where two texts differ, with a word of context: ('… have a flexible …', '… choose a flexible …')."""
    lower_own = [_NOT_WORD.sub("", word.lower()) for word in own]
    lower_other = [_NOT_WORD.sub("", word.lower()) for word in other]
    matcher = difflib.SequenceMatcher(None, lower_own, lower_other, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return _span(own, 0, len(own)), _span(other, 0, len(other))
    # NOTE: the first change in a content word says more than 'a' for 'the' before it.
    _, i1, i2, j1, j2 = next(
        (op for op in changes if content_words(" ".join(lower_own[op[1] : op[2]] + lower_other[op[3] : op[4]]))),
        changes[0],
    )
    return _span(own, i1, i2), _span(other, j1, j2)


def _span(words: Sequence[str], start: int, end: int) -> str:
    """Words start..end with a word before and two after, at most 8, with … where the text goes on."""
    low, high = max(0, start - 1), min(len(words), end + 2)
    high = min(high, low + 8)
    shown = " ".join(words[low:high]).rstrip(",;:.!?")
    return ("… " if low > 0 else "") + shown + (" …" if high < len(words) else "")


def _suggestion(key: str, own: _Text, other: _Text, relation: str) -> str:
    """'Looks like PAN-12 ('… choose a pick-up …' there, '… have a pick-up …' here): merge them or …'."""
    if relation == "role":
        return (
            f"The same story as {key} for another role ('{other.role_text}' there, '{own.role_text}' here): "
            "write it once for both roles, or say what each role needs differently."
        )
    mine, theirs = _difference(clean_story_text(own.raw).split(), clean_story_text(other.raw).split())
    return f"Looks like {key} ('{theirs}' there, '{mine}' here): merge them or make the difference explicit."


def _keys(keys: Iterator[str], n_keys: int, n_cluster: int, n_others: int) -> str:
    """'A-1, A-2 and 3 more' of `n_keys` keys, and the size of the cluster when it holds others too."""
    shown: dict[str, None] = {}
    n_read = 0
    for key in keys:
        if len(shown) == N_SHOWN:
            break
        shown[key] = None
        n_read += 1
    more = n_keys - n_read
    return (
        ", ".join(shown)
        + (f" and {more} more" if more > 0 else "")
        + (f" (in a cluster of {n_cluster} items)" if n_others > n_keys else "")
    )


def check(
    contexts: list[ItemContext], rule: Rule, prepared: Sequence[list] | None = None, memory: Memory | None = None
) -> Iterator[tuple[int, Finding]]:
    """Cluster items whose texts are nearly the same and flag every member once, naming its closest match.

    `prepared` holds `prepare(ctx, rule)` of each context, when the engine has them; `memory`, what the last run
    found, so that only what changed is compared again.
    """
    found = _find(contexts, rule.params, prepared, memory)
    texts, groups, edges = found.texts, found.groups, found.edges
    n_items = [sum(len(texts[text].members) for text in group) for group in groups]
    for cluster in found.clusters:
        n_cluster = sum(n_items[group] for group in cluster)
        for group in cluster:
            # NOTE: an item's near duplicates are the other texts of its group and of the groups next to it,
            # closest first: in a cluster chained through one general item ('Update the Sources section' ⊂
            # 'Update the Sources TCP section', …) the specific items are no near duplicates of each other.
            n_neighbours = n_items[group] + sum(n_items[edge.other] for edge in edges[group])
            for text in groups[group]:
                own = texts[text]
                twin = next((other for other in groups[group][:2] if other != text), None)
                closest = texts[twin] if twin is not None else texts[groups[edges[group][0].other][0]]
                relation = "same" if twin is not None else edges[group][0].relation
                suggestion = _suggestion(contexts[closest.members[0]].item.key, own, closest, relation)
                neighbours = itertools.chain(
                    (other for other in groups[group] if other != text),
                    (other for edge in edges[group] for other in groups[edge.other]),
                )
                keys = (contexts[item].item.key for other in neighbours for item in texts[other].members)
                # NOTE: the item's exact duplicates (its own text) are UQ01's to report, never named here.
                n_keys = n_neighbours - len(own.members)
                match = _keys(keys, n_keys, n_cluster, n_cluster - len(own.members))
                for index in own.members:
                    yield (
                        index,
                        rule.finding(match=match, excerpt=contexts[index].item.title[:200], suggestion=suggestion),
                    )
