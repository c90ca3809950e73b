"""Near-duplicate detection (UQ02) at scale, on the 47,785 real Jira issues of the story-point data sets.

Run:  python bench/bench_duplicates.py [--repeat 3] [--data ../shared/data] [--exact] [--samples 10]

Loads every CSV of <data>/jira_storypoints (both subfolders) with the product's file reader, merges them
into one backlog and runs the near-duplicate check over the titles, timing the whole check including the
building of the item contexts (no spaCy: titles only, as UQ02 needs). Prints the time (best of --repeat),
the peak memory, the number of clusters, their size distribution and --samples clusters to judge by eye.
`--exact` also runs an exact all-pairs similarity join (prefix filtering) to measure the recall of the
MinHash/LSH candidate step against every pair at or above the threshold. Target: < 60 s on 2 cores.

NOTE: the two subfolders are two snapshots of partly the same projects (DM, MULE, XD, …), so some issues are
in the backlog twice: with the same title they are exact duplicates (UQ01's), with an edited title they
show up here as a cluster whose members share one key; the output counts those apart.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
import tracemalloc
from collections import Counter
from math import ceil
from pathlib import Path

from backlog_health.checks import ItemContext
from backlog_health.checks.duplicates import check as exact_check
from backlog_health.checks.near_duplicates import _texts, check, clusters, jaccard, similar_pairs
from backlog_health.model import BacklogItem
from backlog_health.rules import load_rules
from backlog_health.sources.files import load_file

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TARGET_SECONDS = 60.0


def load_items(data: Path) -> list[BacklogItem]:
    """Every issue of every CSV under <data>/jira_storypoints, in file order."""
    paths = sorted((data / "jira_storypoints").glob("*/*.csv"))
    return [item for path in paths for item in load_file(path).items]


def contexts_of(items: list[BacklogItem]) -> list[ItemContext]:
    """Contexts without spaCy or story parsing: the check reads only the title."""
    return [ItemContext(item, None, None, (), True) for item in items]


def exact_join(contents: list[frozenset[str]], threshold: float) -> set[tuple[int, int]]:
    """Every pair with Jaccard ≥ threshold, by prefix filtering (rarest words first): exact, no sampling."""
    frequency = Counter(word for content in contents for word in content)
    index: dict[str, list[int]] = {}
    found: set[tuple[int, int]] = set()
    for j, content in enumerate(contents):
        words = sorted(content, key=lambda w: (frequency[w], w))
        prefix = words[: len(words) - ceil(threshold * len(words)) + 1]
        seen: set[int] = set()
        for word in prefix:
            for i in index.get(word, ()):
                if i in seen:
                    continue
                seen.add(i)
                if jaccard(contents[i], content) >= threshold:
                    found.add((i, j))
            index.setdefault(word, []).append(j)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--exact", action="store_true", help="measure LSH recall against an exact join")
    parser.add_argument("--samples", type=int, default=10, help="random clusters to print")
    args = parser.parse_args()

    start = time.perf_counter()
    items = load_items(args.data)
    rule = load_rules().by_id["UQ02"]
    exact_rule = load_rules().by_id["UQ01"]
    print(
        f"{len(items)} Jira issues loaded in {time.perf_counter() - start:.1f} s · UQ02 parameters {dict(rule.params)}"
    )
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def near() -> list:
        return list(check(contexts_of(items), rule))

    def exact() -> list:
        return list(exact_check(contexts_of(items), exact_rule))

    timings: dict[str, list[float]] = {"near duplicates (UQ02)": [], "exact duplicates (UQ01)": []}
    findings: list = []
    for _ in range(args.repeat):
        for name, run in (("near duplicates (UQ02)", near), ("exact duplicates (UQ01)", exact)):
            gc.collect()
            begin = time.perf_counter()
            result = run()
            timings[name].append(time.perf_counter() - begin)
            if run is near:
                findings = result
    for name, values in timings.items():
        print(f"{name:<24} best {min(values):6.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})")
    verdict = "met" if min(timings["near duplicates (UQ02)"]) < TARGET_SECONDS else "NOT MET"
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")

    gc.collect()
    tracemalloc.start()
    near()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak memory: {peak / 2**20:.0f} MiB allocated by the check (tracemalloc); process peak RSS "
        f"{rss_peak:.0f} MiB ({rss_loaded:.0f} MiB after loading the issues)"
    )

    found = clusters(contexts_of(items), rule.params)
    sizes = Counter(len(cluster) for cluster in found)
    same_key = sum(1 for cluster in found if len({items[i].key for i in cluster}) == 1)
    print(
        f"\n{len(findings)} findings on {sum(sizes.elements())} items in {len(found)} clusters "
        f"({same_key} of them one issue in both snapshots: all members share one key)"
    )
    print(
        "cluster size distribution (items: clusters): "
        + ", ".join(f"{size}: {count}" for size, count in sorted(sizes.items()))
    )

    if args.exact:
        texts = _texts(contexts_of(items), rule.params["min_words"])
        contents = list(dict.fromkeys(text.content for text in texts))
        threshold = float(rule.params["threshold"])
        begin = time.perf_counter()
        truth = exact_join(contents, threshold)
        seconds = time.perf_counter() - begin
        begin = time.perf_counter()
        lsh = {(i, j) for i, j, _ in similar_pairs(contents, threshold, rule.params["num_perm"], rule.params["bands"])}
        lsh_seconds = time.perf_counter() - begin
        hit = len(truth & lsh)
        print(
            f"\nLSH recall against the exact join: {hit}/{len(truth)} pairs of distinct word sets with "
            f"Jaccard ≥ {threshold} ({hit / max(1, len(truth)):.4f}), before the variant/number/negation "
            f"filter; {len(contents)} word sets; MinHash+LSH+verify {lsh_seconds:.1f} s, exact join {seconds:.1f} s"
        )

    rng = random.Random(8)
    shown = rng.sample(found, min(args.samples, len(found)))
    print(f"\n{len(shown)} random clusters:")
    for cluster in shown:
        print(f"- {len(cluster)} items")
        for i in cluster[:8]:
            print(f"    {items[i].key:<14} {items[i].title[:110]}")
        if len(cluster) > 8:
            print(f"    … and {len(cluster) - 8} more")
    print("\nlargest clusters:")
    for cluster in sorted(found, key=len, reverse=True)[:3]:
        print(f"- {len(cluster)} items: " + " | ".join(items[i].title[:60] for i in cluster[:6]))


if __name__ == "__main__":
    main()
