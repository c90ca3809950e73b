"""Cost curve of the analysis on real Jira issues: time and memory at 1k, 5k, 20k and all 47k items.

Run:  python bench/bench_scale.py [--data ../shared/data] [--sizes 1000 5000 20000 0]   (0 = every issue)

For each size, in a fresh process (so the memory figure is that run's own): the bare spaCy pass over the texts
the analysis parses, with the same components, side by side with the full cold analysis (empty cache), then a
rerun with 1% of the items edited (the analysis cache in a temporary history database answers for the rest).
Prints seconds, the ratios, and the peak resident memory of the process and of its largest worker process (a large
backlog is parsed and checked in forked workers, which share the loaded model with the main process until they
write to it).

With --all-text, also the bare spaCy pass over every title and description of the backlog (the text a pipeline
that parses everything would read), in a process of its own. With --cli, also the whole command as a user runs it
(`backlog-health analyze backlog.csv` writing the HTML, JSON and Markdown reports, with its history and cache): a
first run, then a run after 1% of the rows were edited.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import DEFAULT_DATA, build_csv

WORKER = r"""
import json, resource, sys, time
from dataclasses import replace
from pathlib import Path
from backlog_health import history
from backlog_health.config import load_config
from backlog_health.engine import _context_parts, _pipeline, _untyped_as_stories, analyze, build_rules, plan
from backlog_health.nlp.story import clean_story_text
from backlog_health.sources import Loaded
from backlog_health.sources.files import load_file

csv_path, db_path = sys.argv[1], sys.argv[2]
config = load_config(directory=Path(csv_path).parent)
loaded = load_file(csv_path)
rules = build_rules(config)
pipeline = _pipeline(config.nlp_model, plan(rules, loaded.info.fields or None).capabilities)
nlp = pipeline.nlp  # NOTE: the model loads here, outside both timings (the analysis reuses this pipeline)
items = [item for item in loaded.items if item.status_category != "done"]
prepared = _untyped_as_stories([(item, *_context_parts(item, config.story_types)) for item in items], [])
texts = [story.text if story else clean_story_text(item.title) for item, story, _, is_story in prepared if is_story]
if len(sys.argv) > 3:  # NOTE: the whole backlog's text, as a pipeline that parses everything would read it
    limit = nlp.max_length
    all_texts = [text[:limit] for item in items for text in (item.title, item.description) if text.strip()]
    start = time.perf_counter()
    for _ in nlp.pipe(all_texts, batch_size=config.batch_size):
        pass
    print(json.dumps({"every": time.perf_counter() - start}))
    sys.exit(0)
start = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=config.batch_size):
    pass
bare = time.perf_counter() - start

store = history.CacheStore(history.connect(Path(db_path)))
start = time.perf_counter()
analyze(loaded, config, rules, cache=store)
cold = time.perf_counter() - start

step = 100  # one item in a hundred edited
edited = tuple(
    replace(item, title=item.title + " (edited)") if n % step == 0 else item for n, item in enumerate(loaded.items)
)
start = time.perf_counter()
analyze(Loaded(loaded.info, edited, loaded.skipped, loaded.notes), config, rules, cache=store)
rerun = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"items": len(loaded.items), "parsed": len(texts), "bare": bare, "cold": cold, "rerun": rerun,
                  "peak_mib": peak, "worker_mib": worker}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 0], help="0 = every issue")
    parser.add_argument("--cli", action="store_true", help="also time the command end to end, first run and rerun")
    parser.add_argument(
        "--all-text",
        action="store_true",
        help="also time the bare spaCy pass over every title and description (minutes at 40,000 items)",
    )
    args = parser.parse_args(argv)
    if not (args.data / "jira_storypoints").is_dir():
        print(f"no jira_storypoints under {args.data}; pass --data", file=sys.stderr)
        return 2
    print(
        f"{'items':>7} {'parsed':>7} {'bare spaCy':>11} {'cold run':>9} {'ratio':>6} {'rerun 1%':>9} "
        f"{'rerun/cold':>10} {'peak RSS':>9} {'worker':>8}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bh-scale-") as tmp:
            source = Path(tmp) / "backlog.csv"
            build_csv(args.data, size or 10**9, source)
            row: dict = {"every": None}
            # NOTE: each in a process of its own, so that the peak memory is the analysis's alone.
            for extra in [[], ["all-text"]] if args.all_text else [[]]:
                done = subprocess.run(
                    [sys.executable, "-c", WORKER, str(source), str(Path(tmp) / "history.sqlite"), *extra],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    print(done.stderr[-2000:], file=sys.stderr)
                    return 1
                row.update(json.loads(done.stdout.strip().splitlines()[-1]))
            if args.cli:
                row["cli"] = cli_runs(Path(tmp), source)
        print(
            f"{row['items']:>7,} {row['parsed']:>7,} {row['bare']:>10.1f}s {row['cold']:>8.1f}s "
            f"{row['cold'] / max(row['bare'], 1e-9):>6.2f} {row['rerun']:>8.1f}s {row['rerun'] / row['cold']:>10.0%} "
            f"{row['peak_mib']:>7.0f} MiB {row['worker_mib']:>4.0f} MiB"
        )
        if row["every"] is not None:
            print(
                f"{'':>7} bare spaCy over every title and description: {row['every']:.1f}s "
                f"(cold analysis {row['cold'] / row['every']:.2f}× that)"
            )
        if args.cli:
            (first, first_mib), (again, again_mib) = row["cli"]
            print(
                f"{'':>7} command end to end: first run {first:.1f}s ({first_mib:.0f} MiB), "
                f"after 1% edited {again:.1f}s ({again / first:.0%}, {again_mib:.0f} MiB)"
            )
    return 0


def cli_runs(tmp: Path, source: Path) -> list[tuple[float, float]]:
    """Seconds and peak memory of `backlog-health analyze` on the backlog, then again after 1% of it was edited."""
    command = [sys.executable, "-m", "backlog_health", "analyze", str(source), "--exit-zero", "--quiet"]
    command += ["--html", str(tmp / "r.html"), "--json", str(tmp / "r.json"), "--markdown", str(tmp / "r.md")]
    command += ["--history", str(tmp / "cli-history.sqlite")]
    runs = []
    for edit in (False, True):
        if edit:
            with source.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
            for row in rows[1::100]:
                row[1] += " (edited)"
            with source.open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(rows)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", MEASURED, *command], check=True, capture_output=True, text=True)
        runs.append((time.perf_counter() - start, int(done.stdout) / 1024))
    return runs


# NOTE: run in a process of its own, so that its peak memory is that of the command (and its workers) alone.
MEASURED = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


if __name__ == "__main__":
    sys.exit(main())
