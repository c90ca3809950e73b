"""Size and speed of the reports for a large backlog: 20,000 real Jira issues.

Run:  python bench/bench_report.py [--data ../shared/data] [--items 20000] [--no-browser]

Builds one backlog from the first N distinct issues of <data>/jira_storypoints (a temporary CSV outside the data
folder), analyzes it once, then renders the JSON, HTML and Markdown reports (best of 3) and prints their sizes.
With Debian's chromium and chromium-driver installed it also opens the HTML report in headless Chromium and
prints how long the page takes to load and to show the table, and how long a filter, a search and a sort take.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from backlog_health.config import load_config
from backlog_health.engine import analyze
from backlog_health.report import render, reporters
from backlog_health.report.views import _view
from backlog_health.sources.files import load_file

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def distinct_rows(data: Path, n_items: int) -> Iterator[dict[str, str]]:
    """The rows (issuekey, title, description, storypoint) of the first `n_items` distinct issue keys of the Jira
    story-point sets, in file order."""
    csv.field_size_limit(sys.maxsize)
    seen: set[str] = set()
    for path in sorted((data / "jira_storypoints").glob("*/*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                key = row.get("issuekey", "")
                if not key or key in seen:
                    continue
                seen.add(key)
                yield row
                if len(seen) >= n_items:
                    return


def build_csv(data: Path, n_items: int, target: Path) -> int:
    """The first `n_items` distinct issues of the Jira story-point sets, as one Jira-like CSV."""
    count = 0
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Issue key", "Summary", "Description", "Story Points"])
        for row in distinct_rows(data, n_items):
            writer.writerow(
                [row["issuekey"], row.get("title", ""), row.get("description", ""), row.get("storypoint", "")]
            )
            count += 1
    return count


def best_of(runs: int, work):
    """The fastest of `runs` timings and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def browser_figures(html: Path) -> dict[str, float] | None:
    """Load, filter, search and sort times of the report in headless Chromium, in milliseconds."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    if not (chromium and driver_path):
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="bh-bench-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        start = time.perf_counter()
        driver.get(html.as_uri())  # returns once the page has loaded and its script has run
        loaded = (time.perf_counter() - start) * 1000
        timing = driver.execute_script(
            "const t = performance.getEntriesByType('navigation')[0];"
            "return [t.domContentLoadedEventEnd, t.loadEventEnd, document.querySelectorAll('#rows tr').length];"
        )

        def action(script: str) -> float:
            return driver.execute_script("const t0 = performance.now();" + script + "; return performance.now() - t0;")

        filter_ms = action(
            "const s = document.getElementById('f-crit'); s.value = s.options[1].value;"
            "s.dispatchEvent(new Event('change'))"
        )
        sort_ms = action("document.querySelector('th[data-sort=s] button').click()")
        # the search waits 120 ms for typing to pause; time the render it triggers, not the pause
        search_ms = action(
            "const s = document.getElementById('f-crit'); s.value = ''; s.dispatchEvent(new Event('change'));"
            "const q = document.getElementById('f-q'); q.value = 'login';"
            "q.dispatchEvent(new Event('input'))"
        )
        driver.execute_script("return new Promise(r => setTimeout(r, 400))")
        search_ms = driver.execute_script(
            "const t0 = performance.now(); const q = document.getElementById('f-q'); q.value = 'login ';"
            "q.dispatchEvent(new Event('input'));"
            "return new Promise(r => setTimeout(() => r(performance.now() - t0 - 120), 125));"
        )
        return {
            "open (driver.get)": loaded,
            "DOMContentLoaded": timing[0],
            "load event (table drawn)": timing[1],
            "rows drawn": timing[2],
            "filter by criterion": filter_ms,
            "sort by score": sort_ms,
            "search (after the 120 ms typing pause)": max(search_ms, 0.0),
        }
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--items", type=int, default=20_000, help="backlog size")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless Chromium figures")
    args = parser.parse_args(argv)
    if not (args.data / "jira_storypoints").is_dir():
        print(f"no jira_storypoints under {args.data}; pass --data", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bh-bench-report-") as tmp:
        source = Path(tmp) / "backlog.csv"
        n_items = build_csv(args.data, args.items, source)
        start = time.perf_counter()
        result = analyze(load_file(source), load_config(directory=Path(__file__).resolve().parent))
        analysis = time.perf_counter() - start
        print(f"{n_items:,} real Jira issues · analysis {analysis:.1f} s · {result.summary.n_findings:,} findings")
        print()
        # NOTE: HTML and Markdown show one view of the run, built once per run; it is timed on its own, and the
        # three reports together as one run writes them (a copy of the run each time, so no view is reused).
        view, _ = best_of(3, lambda: _view(result))
        print(f"{'report':<22} {'render (best of 3)':>18} {'size':>12}")
        print(f"{'view (HTML, Markdown)':<22} {view:>16.2f} s")
        outputs = {}
        for name in ("json", "html", "markdown"):
            seconds, text = best_of(3, lambda name=name: render(reporters()[name], result))
            outputs[name] = text
            size = len(text.encode("utf-8"))
            print(
                f"{name + (' (view built)' if name != 'json' else ''):<22} {seconds:>16.2f} s {size / 2**20:>8.2f} MiB"
            )
        together, _ = best_of(
            3, lambda: [render(reporters()[name], fresh) for fresh in [replace(result)] for name in outputs]
        )
        print(f"{'all three, one run':<22} {together:>16.2f} s")
        if args.no_browser:
            return 0
        html = Path(tmp) / "report.html"
        html.write_text(outputs["html"], encoding="utf-8")
        figures = browser_figures(html)
        print()
        if figures is None:
            print("browser figures skipped: needs selenium and Debian's chromium and chromium-driver")
            return 0
        print("HTML report in headless Chromium:")
        for label, value in figures.items():
            unit = "" if label == "rows drawn" else " ms"
            print(f"  {label:<40} {value:>8.0f}{unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
