"""Analysis speed against the bare spaCy pass, on the 1,680 real Dalpiaz stories.

Run:  python bench/bench_analysis.py [--repeat 3] [--data ../shared/data]

Prints items per second of the whole analysis (story parsing, acceptance criteria, spaCy, every rule,
scoring) next to the bare spaCy pipeline over the same texts with the same components, measured side
by side in one run (best of --repeat, alternating). Target: analysis ≤ 1.5 × the bare pass.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from backlog_health.config import load_config
from backlog_health.engine import _pipeline, analyze, build_rules, plan
from backlog_health.sources import Loaded
from backlog_health.sources.files import load_file

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_stories(data: Path) -> Loaded:
    """All Dalpiaz backlogs as one backlog."""
    folder = data / "dalpiaz_user_stories" / "stories"
    parts = [load_file(path) for path in sorted(folder.glob("*.txt"))]
    items = tuple(item for part in parts for item in part.items)
    return Loaded(parts[0].info, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    loaded = load_stories(args.data)
    config = load_config()
    ruleset = build_rules(config)
    run_plan = plan(ruleset, loaded.info.fields)
    pipeline = _pipeline(config.nlp_model, run_plan.capabilities)
    texts = [item.title for item in loaded.items]
    print(f"{len(texts)} stories · pipeline {pipeline.name} {pipeline.version} · components {pipeline.nlp.pipe_names}")

    def bare() -> None:
        for _ in pipeline.nlp.pipe(texts, batch_size=config.batch_size):
            pass

    def full() -> None:
        analyze(loaded, config, ruleset)

    bare()  # warm-up: first use allocates
    full()
    timings: dict[str, list[float]] = {"bare spaCy pass": [], "full analysis": []}
    for _ in range(args.repeat):
        for name, run in (("bare spaCy pass", bare), ("full analysis", full)):
            gc.collect()
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    best = {name: min(values) for name, values in timings.items()}
    for name, seconds in best.items():
        print(f"{name:<16} {seconds:7.3f} s   {len(texts) / seconds:8.0f} items/s")
    ratio = best["full analysis"] / best["bare spaCy pass"]
    print(f"ratio full/bare  {ratio:7.2f}   (target ≤ 1.50)")


if __name__ == "__main__":
    main()
