"""Weekly runs against a Jira site: a first run, then a rerun after 1% of the issues changed, end to end.

A Jira stand-in (the one the tests record their cassettes against, tests/standins) serves the real issues of
../shared/data/jira_storypoints as one project, each with its own real title and description, in the shapes of
the real API (Cloud: API v3, ADF descriptions, id-only key pages; Data Center: API v2, wiki markup). The command
runs as a user runs it, writing the HTML, JSON and Markdown reports with its history:

1. first run: every issue fetched, an empty analysis cache;
2. rerun: one open issue in a hundred edited (title and `updated`), one finished: only the changes are fetched
   (`updated >=` the last fetch, plus the id-only pages that tell who left), and only the edited items analysed;
3. the same rerun with --full-refresh, for comparison, from the history the first run left: everything fetched
   again, the analysis cache still used.

The stand-in answers on 127.0.0.1 in microseconds where a real site takes about a second a page, so the fetch
costs here are far below a real site's and the rerun's share of the first run is an upper bound.
"""

import argparse
import base64
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_report import DEFAULT_DATA, distinct_rows
from bench_scale import MEASURED
from standins import jira_data
from standins.jira import JiraStandIn, Scenario
from standins.jira_data import description_text

PROJECT = "XD"
STEP = 100  # one open issue in a hundred edited


def issues(data: Path, deployment: str, n_items: int) -> list[dict]:
    """`n_items` issues of one project in rank order: the stand-in's shapes, each with a real title and description."""
    cloud = deployment == "cloud"
    field_set = jira_data.CLOUD_TEAM_MANAGED if cloud else jira_data.DATACENTER
    build = jira_data.cloud_issues if cloud else jira_data.datacenter_issues
    templates = [i for i in build(400, field_set, data_dir=data) if i["key"].startswith(("AR-", "XD-"))]
    project = copy.deepcopy(templates[0]["fields"]["project"])
    project["key"] = PROJECT
    shapes = [json.dumps(i) for i in templates]
    built = []
    for n, row in enumerate(distinct_rows(data, n_items)):
        text = description_text(row.get("description"))
        issue = json.loads(shapes[n % len(shapes)])
        fields = issue["fields"]
        issue.update(id=str(200000 + n), key=f"{PROJECT}-{n + 1}")
        issue["self"] = issue["self"].rsplit("/", 1)[0] + f"/{issue['id']}"
        summary = " ".join(row.get("title", "").split()) or row["issuekey"]
        fields.update(project=project, summary=summary, issuelinks=[], subtasks=[])
        fields["description"] = (jira_data.wiki_to_adf(text) if cloud else text) if text else None
        for name in ("parent", *(f.id for f in (field_set.epic_link,) if f)):
            fields.pop(name, None)
        fields[field_set.rank.id] = f"0|i{n:08d}:"
        built.append(issue)
    return built


def edit(site: JiraStandIn, deployment: str) -> int:
    """One open issue in a hundred gets a new title, one more is finished; returns how many changed."""
    stamp = datetime.now(timezone.utc)
    stamp = stamp if deployment == "cloud" else stamp.astimezone(jira_data.DC_TZ)
    updated = stamp.strftime("%Y-%m-%dT%H:%M:%S.000%z")
    open_issues = [i for i in site.scenario.issues if i["fields"]["status"]["statusCategory"]["key"] != "done"]
    changed = open_issues[::STEP]
    for issue in changed:
        issue["fields"]["summary"] += " (edited)"
        issue["fields"]["updated"] = updated
    finished = open_issues[1]
    done = next(i for i in site.scenario.issues if i["fields"]["status"]["statusCategory"]["key"] == "done")
    finished["fields"]["status"] = copy.deepcopy(done["fields"]["status"])
    finished["fields"]["updated"] = updated
    site.reload()
    return len(changed) + 1


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB, the command and its workers) of one run."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *command], check=False, capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"the command failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start, int(done.stdout) / 1024


def page_seconds(site: JiraStandIn, deployment: str) -> float:
    """How long the stand-in takes to answer one page of 100 open issues with all their fields (best of 3)."""
    s = site.scenario
    jql = f"project = {PROJECT} AND statusCategory != Done ORDER BY Rank ASC"
    if deployment == "cloud":
        path, auth = "/rest/api/3/search/jql", "Basic " + base64.b64encode(f"{s.email}:{s.api_token}".encode()).decode()
    else:
        path, auth = "/rest/api/2/search", f"Bearer {s.pat}"
    query = urllib.parse.urlencode({"jql": jql, "fields": "*all", "maxResults": 100})
    best = float("inf")
    for _ in range(3):
        request = urllib.request.Request(f"{site.url}{path}?{query}", headers={"Authorization": auth})
        start = time.perf_counter()
        with urllib.request.urlopen(request) as answer:
            answer.read()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--items", type=int, default=20000, help="issues served (0 = every distinct issue)")
    parser.add_argument("--deployment", choices=["cloud", "datacenter"], default="cloud")
    args = parser.parse_args(argv)
    if not (args.data / "jira_storypoints").is_dir():
        print(f"no jira_storypoints under {args.data}; pass --data", file=sys.stderr)
        return 2
    served = issues(args.data, args.deployment, args.items or 10**9)
    fields = jira_data.field_list(args.deployment, data_dir=args.data)
    scenario = Scenario(deployment=args.deployment, issues=served, fields=fields)
    env = {**os.environ, "JIRA_EMAIL": scenario.email, "JIRA_API_TOKEN": scenario.api_token, "JIRA_PAT": scenario.pat}
    env.pop("CI", None)
    with tempfile.TemporaryDirectory(prefix="bh-incremental-") as tmp, JiraStandIn(scenario) as site:
        out = Path(tmp)
        command = [sys.executable, "-m", "backlog_health", "analyze", "--exit-zero", "--quiet"]
        command += ["--jira", site.url, "--jira-project", PROJECT, "--jira-deployment", args.deployment]
        command += ["--html", str(out / "r.html"), "--json", str(out / "r.json"), "--markdown", str(out / "r.md")]
        history = out / "history.sqlite"
        first = run([*command, "--history", str(history)], env)
        requests_first = len(site.requests)
        report = json.loads((out / "r.json").read_text(encoding="utf-8"))
        shutil.copy(history, out / "after-first.sqlite")
        changed = edit(site, args.deployment)
        again = run([*command, "--history", str(history)], env)
        requests_rerun = len(site.requests) - requests_first
        full = run([*command, "--history", str(out / "after-first.sqlite"), "--full-refresh"], env)
        requests_full = len(site.requests) - requests_first - requests_rerun
        page = page_seconds(site, args.deployment)
    print(
        f"Jira {args.deployment} stand-in, {len(served):,} issues in project {PROJECT}, "
        f"{len(report['items']):,} open (analysed); {changed} changed before the rerun"
    )
    print(f"{'run':<36} {'seconds':>8} {'of first':>9} {'peak RSS':>9} {'requests':>9}")
    print(
        f"{'first (full fetch, cold analysis)':<36} {first[0]:>8.1f} {1:>9.0%} {first[1]:>5.0f} MiB {requests_first:>9}"
    )
    for name, (seconds, mib), requests in (
        ("rerun (incremental fetch, cache)", again, requests_rerun),
        ("rerun --full-refresh (cache)", full, requests_full),
    ):
        print(f"{name:<36} {seconds:>8.1f} {seconds / first[0]:>9.0%} {mib:>5.0f} MiB {requests:>9}")
    print(
        f"the stand-in answers a page of 100 issues with all fields in {page:.2f}s; "
        "each second a real site takes per request adds that many seconds per request above"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
