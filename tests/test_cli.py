"""The command line as a user meets it: commands, outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from backlog_health.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Run the CLI in an empty working folder; returns the click Result."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)

    return invoke


def _one_line_error(result, *words: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.stderr}"
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    assert lines[0].startswith("backlog-health: error: "), lines[0]
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert "backlog-health" in result.stdout


def test_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "backlog_health", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "backlog-health" in result.stdout, result.stderr


def test_demo_writes_html_and_prints_its_path(run, tmp_path):
    result = run("demo")
    assert result.exit_code == 0, result.stderr
    report = tmp_path / "backlog-health-report.html"
    assert result.stdout.strip() == str(report.resolve())
    html = report.read_text(encoding="utf-8")
    assert "<!DOCTYPE html>" in html and "PAN-852" in html
    assert "Backlog health" in result.stderr  # the terminal summary


def test_analyze_txt_json_contract(run, shared_data, tmp_path):
    path = shared_data / "dalpiaz_user_stories" / "stories" / "g03-loudoun.txt"
    result = run("analyze", str(path), "--json", "out.json")
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "backlog-health"
    assert report["source"] == {"kind": "file", "location": str(path), "query": None} | {
        "fields": report["source"]["fields"]
    }
    summary = report["summary"]
    for key in ("health_score", "band", "n_items", "n_ready", "n_findings", "by_criterion"):
        assert key in summary, key
    assert summary["n_items"] == 58
    assert 0 <= summary["health_score"] <= 100
    assert isinstance(report["metrics"], dict)
    first = report["items"][0]
    assert first["key"] == "1"
    assert first["story"] == {
        "role": "Public User",
        "means": "Search for Information",
        "ends": "I can obtain publicly available information concerning properties, County services, processes "
        "and other general information",
    }
    assert first["acceptance_criteria"] == []
    for item in report["items"]:
        for key in (
            "key",
            "title",
            "url",
            "type",
            "status",
            "rank",
            "estimate",
            "labels",
            "story",
            "acceptance_criteria",
            "ready",
            "score",
            "findings",
        ):
            assert key in item, key
        for finding in item["findings"]:
            assert set(finding) == {"rule", "criterion", "severity", "message", "excerpt", "suggestion"}
    assert {rule["id"] for rule in report["rules"]} >= {"WF01", "AT01", "AM01"}
    assert not (tmp_path / "backlog-health-report.html").exists(), "only the requested output is written"


def test_json_report_round_trips_as_a_snapshot(run, tmp_path):
    assert run("demo", "--json", "first.json", "--html", "first.html").exit_code == 0
    result = run("analyze", "first.json", "--json", "second.json")
    assert result.exit_code == 0, result.stderr
    first = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "second.json").read_text(encoding="utf-8"))
    assert [i["key"] for i in first["items"]] == [i["key"] for i in second["items"]]
    assert [i["findings"] for i in first["items"]] == [i["findings"] for i in second["items"]]


def test_check_reports_atomic_with_split_suggestion(run):
    result = run("check", "As a user, I want to add and delete items")
    assert result.exit_code == 1, result.output
    assert "AT01" in result.stdout
    assert "As a user, I want to add items" in result.stdout
    assert "As a user, I want to delete items" in result.stdout


def test_check_json_and_stdin(run):
    stories = "As a user, I want to add and delete items\nAs an admin, I want to block users, so that spam stops.\n"
    result = run("check", "-", "--json", stdin=stories)
    data = json.loads(result.stdout)
    assert [entry["key"] for entry in data] == ["1", "2"]
    assert any(f["rule"] == "AT01" for f in data[0]["findings"])
    assert data[1]["story"] == {"role": "admin", "means": "block users", "ends": "spam stops"}
    assert result.exit_code == 1


def test_check_clean_story_exits_zero(run):
    result = run("check", "As an admin, I want to block users, so that spam stops.")
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout


def test_rules_list_and_show(run):
    listing = run("rules")
    assert listing.exit_code == 0
    for rule_id in ("WF01", "WF02", "VA01", "AT01", "MI01", "AM01", "DE01", "AC01", "UQ01", "UF01"):
        assert rule_id in listing.stdout
    shown = run("rules", "show", "at01")
    assert shown.exit_code == 0
    assert "Why it matters" in shown.stdout and "add and delete items" in shown.stdout
    _one_line_error(run("rules", "show", "ZZ99"), "ZZ99")


@pytest.mark.parametrize(
    ("args", "fail_on", "expected"),
    [
        pytest.param([], None, 0, id="no threshold"),
        pytest.param(["--fail-on", "warning"], "warning", 1, id="warnings fail"),
        pytest.param(["--fail-on", "warning", "--exit-zero"], "warning", 0, id="exit-zero"),
        pytest.param(["--fail-under", "100"], None, 1, id="fail-under 100"),
        pytest.param(["--fail-under", "0"], None, 0, id="fail-under 0"),
    ],
)
def test_thresholds(run, tmp_path, args, fail_on, expected):
    from backlog_health.resources import data_file

    result = run("analyze", str(data_file("sample_backlog.csv")), "--json", "out.json", *args)
    assert result.exit_code == expected, result.stderr
    if expected == 1:
        assert "threshold failed" in result.stderr
    assert (tmp_path / "out.json").exists(), "a failed threshold still writes the report"


def test_fail_under_out_of_range(run):
    _one_line_error(run("analyze", "x.txt", "--fail-under", "150"), "between 0 and 100")


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        pytest.param("missing.csv", None, ["missing.csv"], id="missing file"),
        pytest.param("backlog.xlsx", b"PK\x03\x04", ["xlsx", ".csv"], id="unknown extension"),
        pytest.param("empty.txt", b"", ["empty"], id="empty file"),
        pytest.param("no-title.csv", "foo,bar\n1,2\n", ["title"], id="csv without a title column"),
        pytest.param("broken.json", '{"items": [', ["broken.json"], id="invalid json"),
    ],
)
def test_bad_input_one_line_exit_2_no_output(run, tmp_path, name, content, words):
    if content is not None:
        _write(tmp_path / name, content)
    result = run("analyze", name, "--json", "out.json", "--html", "out.html")
    _one_line_error(result, *words)
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "out.html").exists()
    assert not list(tmp_path.glob(".out.*")), "no temp file left behind"


def test_output_folder_missing(run, tmp_path):
    _write(tmp_path / "b.txt", "As a user, I want to log in.\n")
    _one_line_error(run("analyze", "b.txt", "--json", "nowhere/out.json"), "nowhere")


def test_a_dash_is_no_history_file(run, tmp_path):
    _write(tmp_path / "b.txt", "As a user, I want to log in.\n")
    _one_line_error(run("analyze", "b.txt", "--history", "-", "--json", "out.json"), "--history", "'-'")
    assert not (tmp_path / "-").exists() and not (tmp_path / "out.json").exists()


def test_no_path_is_a_usage_error(run):
    result = run("analyze")
    assert result.exit_code == 2
    assert "give a backlog file" in result.stderr


@pytest.mark.parametrize(
    ("config", "words"),
    [
        pytest.param("story_types = [\n", ["invalid TOML"], id="invalid toml"),
        pytest.param("colour = 'blue'\n", ["unknown key 'colour'"], id="unknown key"),
        pytest.param("[rules.XX01]\nenabled = false\n", ["unknown rule id 'XX01'"], id="unknown rule"),
        pytest.param("[rules.AM01]\nseverity = 'fatal'\n", ["rules.AM01.severity"], id="bad severity"),
        pytest.param("[rules.AM01]\nloud = true\n", ["unknown setting 'loud'"], id="unknown rule setting"),
        pytest.param(
            "[rules.UQ02]\nthreshold = 7\n", ["rules.UQ02.threshold must be from 0 to 1, not 7"], id="out of range"
        ),
        pytest.param("[rules.UQ02]\nmin_words = -3\n", ["rules.UQ02.min_words must be at least 0"], id="negative"),
        pytest.param("[nlp]\nmodel = 'no_such_model'\n", ["no_such_model"], id="model not installed"),
        pytest.param("fail_on = 'sometimes'\n", ["fail_on"], id="bad fail_on"),
    ],
)
def test_bad_config_one_line_exit_2(run, tmp_path, config, words):
    _write(tmp_path / "team.toml", config)
    _write(tmp_path / "b.txt", "As a user, I want to log in.\n")
    result = run("analyze", "b.txt", "--config", "team.toml", "--json", "out.json")
    _one_line_error(result, "team.toml", *words)
    assert not (tmp_path / "out.json").exists()


def test_bad_rule_file_names_file_rule_and_key(run, tmp_path):
    rules = tmp_path / "team-rules" / "team"
    rules.mkdir(parents=True)
    _write(
        rules / "TM01.yaml",
        "id: TM01\nname: x\ncriterion: nonsense\nseverity: warning\nkind: lexicon\n"
        "message: M\nrationale: R\nexamples: {fail: [a], pass: [b]}\n",
    )
    _write(tmp_path / "backlog-health.toml", "[rules]\npaths = ['team-rules']\n")
    _write(tmp_path / "b.txt", "As a user, I want to log in.\n")
    _one_line_error(run("analyze", "b.txt", "--json", "out.json"), "TM01.yaml", "rule TM01", "criterion")


def test_config_cascade_disables_rule_and_extends_lexicon(run, tmp_path):
    _write(tmp_path / "b.txt", "As a user, I want a snappy search, so that I find things.\n")
    _write(
        tmp_path / "pyproject.toml",
        "[tool.backlog-health]\n[tool.backlog-health.rules.AM01]\nextend = ['snappy']\n",
    )
    result = run("analyze", "b.txt", "--json", "out.json")
    found = json.loads((tmp_path / "out.json").read_text())["items"][0]["findings"]
    assert any(f["rule"] == "AM01" and "snappy" in f["message"] for f in found), found
    _write(tmp_path / "off.toml", "[rules.AM01]\nenabled = false\n")
    result = run("analyze", "b.txt", "--json", "out.json", "--config", "off.toml")
    assert result.exit_code == 0
    found = json.loads((tmp_path / "out.json").read_text())["items"][0]["findings"]
    assert not any(f["rule"] == "AM01" for f in found), "--config wins over pyproject.toml"


def test_odd_items_never_abort_the_run(run, tmp_path):
    rows = [
        "key,title,description",
        "A-1,,",
        'A-2,"","only a description here"',
        f'A-3,As a user I want to read a long text,"{"word " * 200_000}"',
        'A-4,"As a user, I want \x01\x02 control characters",x',
        "A-5,As a user 🚀 I want emoji 🎉 so that it is fun 😀,desc",
        'A-6,"كمستخدم، أريد تسجيل الدخول",نص',
        'A-7,"As a user, I want to log in\u200b\u202e reversed",x',
    ]
    _write(tmp_path / "odd.csv", "\n".join(rows) + "\n")
    result = run("analyze", "odd.csv", "--json", "out.json")
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    accounted = {i["key"] for i in report["items"]} | {s["key"] for s in report["skipped"]}
    assert accounted == {f"A-{n}" for n in range(1, 8)}, accounted
    assert report["summary"]["n_items"] + report["summary"]["n_skipped"] == 7


def test_debug_shows_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["analyze", "missing.csv", "--debug"])
    assert result.exit_code == 2, "--debug changes what is shown, not the exit code"
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("missing.csv: no such file; check the path")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze", "x.csv", "--frobnicate"], "No such option '--frobnicate'"),
        (["analyze", "x.csv", "--fail-under", "abc"], "'abc' is not a valid float"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, expected):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "backlog_health", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backlog-health: error:") and expected in lines[0], done.stderr
