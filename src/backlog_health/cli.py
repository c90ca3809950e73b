"""The command line: thin click commands that parse options, call the library and hand results to reporters."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from backlog_health import __version__, history
from backlog_health.config import Config, load_config, validate_fail_on, validate_fail_under
from backlog_health.engine import analyze, build_rules, fewer_collections
from backlog_health.errors import BacklogHealthError, InputError
from backlog_health.model import BacklogItem, RunResult, SourceInfo
from backlog_health.progress import Progress, interactive, shown
from backlog_health.report import check_destination, render, reporters, write_text
from backlog_health.report.terminal import plain, summary_lines
from backlog_health.rules import RuleSet
from backlog_health.rules_doc import example_text, reference
from backlog_health.sources import Loaded

EXIT_OK, EXIT_THRESHOLD, EXIT_ERROR = 0, 1, 2
DEFAULT_HTML = "backlog-health-report.html"
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _fail(message: str) -> None:
    click.echo(f"backlog-health: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known errors into one line on stderr and exit 2; a traceback only with --debug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except BacklogHealthError as error:
            if debug:
                traceback.print_exc()
            _fail(str(error))
        except KeyboardInterrupt:
            _fail("interrupted; no report was written")
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:  # noqa: BLE001 - an unexpected failure is still "could not run", not a crash dump
            if debug:
                traceback.print_exc()  # NOTE: the traceback, then the same line and exit code 2 as without --debug
            _fail(f"unexpected {type(error).__name__}: {error} (run again with --debug for the traceback)")

    return wrapper


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --quiet and --debug, shared by the commands that analyze."""
    command = click.option("--debug", is_flag=True, help="Log details and show tracebacks.")(command)
    command = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")(command)
    command = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A backlog-health.toml or pyproject.toml with settings (see README).",
    )(command)
    return command


def _history_file(_context: click.Context, _parameter: click.Parameter, value: Path | None) -> Path | None:
    """A history database is a file: '-' (standard input or output elsewhere) is refused."""
    if value is not None and str(value) == "-":
        raise click.BadParameter("'-' is not a database file; give a path, or --no-history to keep none")
    return value


def history_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--history and --no-history: where the run history lives."""
    command = click.option("--no-history", is_flag=True, help="Neither read nor write the run history for this run.")(
        command
    )
    command = click.option(
        "--history",
        "history_path",
        type=click.Path(dir_okay=False, path_type=Path),
        callback=_history_file,
        help="Run history database (SQLite) for the trend and new/fixed findings "
        "(default .backlog-health/history.sqlite).",
    )(command)
    return command


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--html, --json, --markdown and the thresholds."""
    for name, help_text in (
        ("markdown", "Write the Markdown report to PATH ('-' for stdout)."),
        ("json", "Write the JSON report to PATH ('-' for stdout)."),
        (
            "html",
            f"Write the HTML report to PATH ('-' for stdout). Default when no output is given: {DEFAULT_HTML}.",
        ),
    ):
        command = click.option(f"--{name}", f"{name}_path", metavar="PATH", help=help_text)(command)
    command = click.option("--exit-zero", is_flag=True, help="Exit 0 even when a threshold fails.")(command)
    command = click.option(
        "--fail-on",
        type=click.Choice(["error", "warning"]),
        help="Exit 1 on a finding of this severity or worse.",
    )(command)
    command = click.option(
        "--fail-under",
        type=float,
        metavar="SCORE",
        help="Exit 1 when the health score is below SCORE (0-100).",
    )(command)
    return command


def _setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _config(config_path: Path | None, fail_under: float | None = None, fail_on: str | None = None) -> Config:
    config = load_config(config_path)
    changes: dict[str, Any] = {}
    if fail_under is not None:
        changes["fail_under"] = validate_fail_under(fail_under)
    if fail_on is not None:
        changes["fail_on"] = validate_fail_on(fail_on)
    return Config(**{**config.__dict__, **changes}) if changes else config


def _progress(quiet: bool, label: str, about: bool = False) -> Progress | None:
    """Progress on stderr: a bar redrawn on a terminal, a line every few seconds in CI logs, nothing when quiet."""
    if quiet:
        return None
    return Progress(label, lambda text: click.echo(text, err=True, nl=False), interactive(), about=about)


def _threshold_failed(result: RunResult, config: Config) -> str | None:
    """Why the run fails its thresholds, or None."""
    if config.fail_under is not None and result.health_score < config.fail_under:
        return f"health score {result.health_score} is below --fail-under {config.fail_under:g}"
    if config.fail_on is not None:
        limit = _SEVERITY_RANK[config.fail_on]
        worst = [f for item in result.items for f in item.findings if _SEVERITY_RANK[f.severity] <= limit]
        if worst:
            return f"{len(worst)} finding(s) of severity {config.fail_on} or worse (--fail-on {config.fail_on})"
    return None


def _destinations(outputs: dict[str, str | None]) -> dict[str, str]:
    """The requested outputs (HTML by default), checked before any work is done."""
    wanted = {fmt: dest for fmt, dest in outputs.items() if dest} or {"html": DEFAULT_HTML}
    if sum(1 for dest in wanted.values() if dest == "-") > 1:
        raise InputError("only one of --html, --json and --markdown can be '-' (stdout)")
    for dest in wanted.values():
        check_destination(dest)
    return wanted


def _write_outputs(result: RunResult, wanted: dict[str, str]) -> list[str]:
    """Render every requested report first, then write each atomically; returns the paths written."""
    rendered = {fmt: render(reporters()[fmt], result) for fmt in wanted}
    for fmt, dest in wanted.items():
        write_text(rendered[fmt], dest)
    return [dest for dest in wanted.values() if dest != "-"]


@dataclass(frozen=True)
class RunOptions:
    """The options `analyze` and `demo` share."""

    html_path: str | None
    json_path: str | None
    markdown_path: str | None
    fail_under: float | None
    fail_on: str | None
    exit_zero: bool
    config_path: Path | None
    quiet: bool
    debug: bool
    history_path: Path | None = None  # --history: the run history database instead of the configured one
    no_history: bool = True  # --no-history (the demo keeps no history)

    @property
    def outputs(self) -> dict[str, str | None]:
        """Requested output paths by format."""
        return {"html": self.html_path, "json": self.json_path, "markdown": self.markdown_path}


# A loader reads the backlog; for a tracker it may also return what keeps the fetch for the next run's
# incremental fetch, to be called once the run has succeeded.
Keeper = Callable[[sqlite3.Connection], None]
Loader = Callable[[Config, sqlite3.Connection | None], tuple[Loaded, Keeper | None]]


def _run(load: Loader, options: RunOptions, snapshot: str | None = None) -> list[str]:
    """Check the outputs, load, analyze, write the reports and the summary; exit 1 on a failed threshold."""
    _setup_logging(options.debug)
    config = _config(options.config_path, options.fail_under, options.fail_on)
    wanted = _destinations(options.outputs)
    if snapshot:
        check_destination(snapshot)
    rules = build_rules(config)  # NOTE: a broken rule fails before any backlog is fetched
    history_path = None if options.no_history else options.history_path or config.history
    # NOTE: an existing history holds the last fetch; a new one is made only once the fetch has succeeded.
    exists = history_path is not None and Path(history_path).exists()
    connection = history.connect(Path(history_path)) if exists else None
    try:
        with fewer_collections():  # NOTE: a large backlog loads faster without repeated full collections
            loaded, keep_fetch = load(config, connection)
        if connection is None and history_path is not None:
            connection = history.connect(Path(history_path))
        return _analyze_and_report(loaded, keep_fetch, options, config, rules, wanted, connection, snapshot)
    finally:
        if connection is not None:
            connection.close()


def _analyze_and_report(
    loaded: Loaded,
    keep_fetch: Keeper | None,
    options: RunOptions,
    config: Config,
    rules: RuleSet,
    wanted: dict[str, str],
    connection: sqlite3.Connection | None,
    snapshot: str | None,
) -> list[str]:
    # NOTE: the analysis cache lives beside the history: unchanged items are not parsed or checked again.
    store = history.CacheStore(connection) if connection is not None else None
    with shown(_progress(options.quiet, "analyzing")) as update:
        result = analyze(loaded, config, rules, progress=update, strict=options.debug, cache=store)
    if connection is not None:
        result = replace(result, history=history.compare(connection, result))
    # NOTE: the run enters the history only once its reports are written: a failed run changes nothing.
    written = _write_outputs(result, wanted)
    if snapshot:  # NOTE: after the reports, so that a run that fails leaves no snapshot either
        from backlog_health.sources.snapshot import snapshot_text

        write_text(snapshot_text(loaded), snapshot)
        if not options.quiet:
            click.echo(f"snapshot written: {snapshot} ({len(loaded.items)} items)", err=True)
    if connection is not None:
        if keep_fetch is not None:
            try:
                keep_fetch(connection)
            except sqlite3.Error as error:  # NOTE: the reports are out; the next run just fetches in full
                click.echo(f"note: the fetched backlog was not kept for the next run ({error})", err=True)
        history.record(connection, result)
    if not options.quiet:
        for line in summary_lines(result):
            click.echo(line, err=True)
        for path in written:
            click.echo(f"report written: {path}", err=True)
    failed = _threshold_failed(result, config)
    if failed and not options.exit_zero:
        if not options.quiet:
            click.echo(f"backlog-health: threshold failed: {failed}", err=True)
        sys.exit(EXIT_THRESHOLD)
    return written


class _Cli(click.Group):
    """The command group; a usage error is one line on stderr naming what to fix, then exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        try:
            super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.UsageError as error:
            hint = f" (see 'backlog-health {error.ctx.info_name} --help')" if error.ctx and error.ctx.parent else ""
            click.echo(f"backlog-health: error: {error.format_message()}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.exceptions.Exit as exit_:
            sys.exit(exit_.exit_code)
        sys.exit(0)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="backlog-health")
def main() -> None:
    """Check a product backlog: user-story quality, acceptance criteria and readiness.

    Start with `backlog-health demo`, then `backlog-health analyze YOUR-EXPORT.csv`.
    """


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Where the backlog comes from, other than a file."""
    options = [
        click.option(
            "--max-wait",
            type=float,
            metavar="SECONDS",
            help="Longest wait for a rate limit before giving up (default 60).",
        ),
        click.option(
            "--include-done", is_flag=True, default=None, help="GitHub project: keep items in the done status."
        ),
        click.option("--github-milestone", metavar="NUMBER", help="GitHub issues of this milestone only."),
        click.option(
            "--github-label",
            "github_labels",
            multiple=True,
            metavar="LABEL",
            help="GitHub issues with this label (repeat for several: all must match).",
        ),
        click.option(
            "--github-state", type=click.Choice(["open", "closed", "all"]), help="GitHub issue state (default open)."
        ),
        click.option(
            "--github-url",
            metavar="URL",
            help="GitHub API base for GitHub Enterprise, e.g. https://github.example.com/api/v3 "
            "(default: GITHUB_API_URL or api.github.com).",
        ),
        click.option(
            "--github-project", metavar="OWNER/NUMBER", help="A GitHub Projects (v2) board, in project order."
        ),
        click.option("--github", "github_repo", metavar="OWNER/REPO", help="A GitHub repository's issues."),
        click.option(
            "--full-refresh",
            is_flag=True,
            help="Fetch the whole backlog again instead of only what changed since the last run.",
        ),
        click.option(
            "--save-snapshot",
            metavar="FILE.json",
            help="Also save the fetched items as JSON, to analyze again offline.",
        ),
        click.option(
            "--jira-deployment", type=click.Choice(["cloud", "datacenter"]), help="Skip detection from serverInfo."
        ),
        click.option("--jira-board", type=int, metavar="ID", help="A Jira board: its backlog in board rank order."),
        click.option("--jira-project", metavar="KEY", help="A Jira project: its items not done, in rank order."),
        click.option("--jql", help="The JQL that selects the backlog (ordered as you want it read)."),
        click.option(
            "--jira",
            "jira_url",
            metavar="URL",
            help="Jira site root, e.g. https://example.atlassian.net (credentials from the environment).",
        ),
    ]
    for option in options:
        command = option(command)
    return command


def _tracker_loader(name: str, source_class: Any, query: Any, quiet: bool, full_refresh: bool) -> Loader:
    """Load from a tracker with progress and retry messages on stderr; --debug logs the request count.

    With a history database, the fetch is incremental where the source allows: the backlog fetched last time is
    the baseline, and this fetch is kept as the next one's once the run succeeds.
    """
    from backlog_health.sources.incremental import SnapshotStore, now_utc

    def load(config: Config, connection: sqlite3.Connection | None) -> tuple[Loaded, Keeper | None]:
        progress = _progress(quiet, f"{name}: fetched", about=True)

        def notify(message: str) -> None:
            if quiet:
                return
            if progress is not None:
                progress.interrupt()
            click.echo(f"{name}: {message}", err=True)

        source = source_class(query(config), progress=progress.update if progress else None, notify=notify)
        incremental = config.incremental and getattr(source, "incremental", True)
        started = now_utc()
        baseline = None
        if incremental and connection is not None and not full_refresh:
            baseline = SnapshotStore(connection, source.fetch_key).baseline(started, config.full_refresh_days)
        with shown(progress):
            loaded = source.load(baseline=baseline)
        if incremental and baseline is None:
            notify(f"fetched in full{' (--full-refresh)' if full_refresh else ''}: {len(loaded.items):,} items")
        logging.getLogger(__name__).debug("%s: %d requests", name, source.n_requests)
        if not incremental:
            return loaded, None

        def keep(connection: sqlite3.Connection) -> None:
            SnapshotStore(connection, source.fetch_key).save(loaded, started, baseline, source.fresh or ())

        return loaded, keep

    return load


@main.command("analyze")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@source_options
@output_options
@history_options
@common_options
@handle_errors
def analyze_command(
    path: Path | None,
    jira_url: str | None,
    jql: str | None,
    jira_project: str | None,
    jira_board: int | None,
    jira_deployment: str | None,
    save_snapshot: str | None,
    full_refresh: bool,
    **options: Any,
) -> None:
    """Analyze a backlog (a file, a Jira query, GitHub issues or a GitHub project) and write reports.

    \b
    PATH    .txt: one story per line · .csv: Jira export or plain headers ·
            .json: a JSON report or snapshot written by backlog-health
    Jira:   --jira URL with --jql, --jira-project or --jira-board; credentials
            from JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center).
    GitHub: --github OWNER/REPO or --github-project OWNER/NUMBER; the token
            from GITHUB_TOKEN (or GH_TOKEN).
    """
    from backlog_health.sources.files import load_file
    from backlog_health.sources.github import GithubQuery, GithubSource
    from backlog_health.sources.jira import JiraQuery, JiraSource

    github_flags = {
        "repo": options.pop("github_repo"),
        "project": options.pop("github_project"),
        "url": options.pop("github_url"),
        "state": options.pop("github_state"),
        "labels": tuple(options.pop("github_labels")),
        "milestone": options.pop("github_milestone"),
        "include_done": options.pop("include_done"),
        "max_wait": options.pop("max_wait"),
    }
    jira_flags = {
        "url": jira_url,
        "jql": jql,
        "project": jira_project,
        "board": jira_board,
        "deployment": jira_deployment,
    }
    run_options = RunOptions(**options)
    jira_wanted = any(jira_flags[key] is not None for key in ("url", "jql", "project", "board"))
    github_wanted = bool(github_flags["repo"] or github_flags["project"])
    chosen = [
        name
        for name, wanted in (("a file", path is not None), ("--jira", jira_wanted), ("--github", github_wanted))
        if wanted
    ]
    if len(chosen) > 1:
        raise InputError(f"give one source, not {' and '.join(chosen)}")
    if path is not None:
        _run(lambda config, connection: (load_file(path), None), run_options, save_snapshot)
        return
    config = _config(run_options.config_path)
    if not jira_wanted and not github_wanted:
        # NOTE: a config that names a tracker makes `backlog-health analyze` enough.
        github_wanted = bool(config.github.get("repo") or config.github.get("project")) and not config.jira.get("url")
        jira_wanted = not github_wanted and bool(config.jira.get("url"))
        if not (jira_wanted or github_wanted):
            raise InputError(
                "give a backlog file to analyze, e.g. `backlog-health analyze backlog.csv`, "
                "or a tracker: `--jira URL --jira-project KEY`, `--github OWNER/REPO` or "
                "`--github-project OWNER/NUMBER`"
            )
    if github_wanted:
        loader = _tracker_loader(
            "github",
            GithubSource,
            lambda config: GithubQuery.from_settings(config.github, github_flags),
            run_options.quiet,
            full_refresh,
        )
    else:
        loader = _tracker_loader(
            "jira",
            JiraSource,
            lambda config: JiraQuery.from_settings(config.jira, jira_flags),
            run_options.quiet,
            full_refresh,
        )
    _run(loader, run_options, save_snapshot)


@main.command("demo")
@output_options
@common_options
@handle_errors
def demo_command(**options: Any) -> None:
    """Analyze the bundled sample backlog, write its HTML report and print the report's path."""
    from backlog_health.sources.sample import load_sample

    run_options = RunOptions(**options)
    written = _run(lambda config, connection: (load_sample(), None), run_options)
    if not run_options.quiet:
        for path in written:
            click.echo(Path(path).resolve())


def _story_items(texts: tuple[str, ...]) -> list[BacklogItem]:
    if texts == ("-",) or not texts:
        if not texts and sys.stdin.isatty():
            raise InputError("give one or more stories, or '-' to read one story per line from stdin")
        texts = tuple(line for line in sys.stdin.read().splitlines())
    items = [BacklogItem(key=str(n), title=text.strip()) for n, text in enumerate(texts, 1) if text.strip()]
    if not items:
        raise BacklogHealthError("no story to check: the input is empty")
    return items


@main.command("check")
@click.argument("texts", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding has this severity or worse.",
)
@common_options
@handle_errors
def check_command(
    texts: tuple[str, ...], as_json: bool, fail_on: str, config_path: Path | None, quiet: bool, debug: bool
) -> None:
    """Lint user stories given as arguments, or one per line from stdin with '-'."""
    _setup_logging(debug)
    config = _config(config_path)
    items = _story_items(texts)
    loaded = Loaded(SourceInfo("text", "command line", None, frozenset({"title"})), tuple(items))
    result = analyze(loaded, config, build_rules(config), strict=debug)
    if as_json:
        from backlog_health.report.json_report import report_dict

        data = report_dict(result)
        click.echo(json.dumps([_check_entry(item) for item in data["items"]], ensure_ascii=False, indent=2))
    elif not quiet:
        for item in result.items:
            click.echo(plain(item.item.title))
            for f in sorted(item.findings, key=lambda f: _SEVERITY_RANK[f.severity]):
                colour = {"error": "red", "warning": "yellow", "info": "blue"}[f.severity]
                click.echo(f"  {click.style(f.severity, fg=colour)} {f.rule} [{f.criterion}] {plain(f.message)}")
                if f.suggestion:
                    click.echo(f"      → {plain(f.suggestion)}")
            if not item.findings:
                click.echo(click.style("  ok", fg="green"))
    if result.nlp.reduced and not quiet:
        reduced = next(note for note in result.notes if note.startswith("reduced mode"))
        click.echo(click.style(f"note: {reduced}", fg="yellow"), err=True)
    limit = None if fail_on == "never" else _SEVERITY_RANK[fail_on]
    if limit is not None and any(_SEVERITY_RANK[f.severity] <= limit for i in result.items for f in i.findings):
        sys.exit(EXIT_THRESHOLD)


def _check_entry(item: dict[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in ("key", "title", "story", "findings")}


@main.group("rules", invoke_without_command=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Config file.")
@click.pass_context
@handle_errors
def rules_command(ctx: click.Context, config_path: Path | None) -> None:
    """List the rules; `rules show ID` explains one."""
    ctx.obj = config_path
    if ctx.invoked_subcommand is not None:
        return
    ruleset = build_rules(_config(config_path))
    for rule in ruleset.rules:
        state = "" if rule.enabled else "  (disabled)"
        click.echo(f"{rule.id}  {rule.severity:<7}  {rule.criterion:<18}  {rule.name}{state}")


@rules_command.command("docs")
@click.pass_obj
@handle_errors
def rules_docs_command(config_path: Path | None) -> None:
    """Print the rules reference page (Markdown), as in docs/rules.md."""
    click.echo(reference(build_rules(_config(config_path)).rules), nl=False)


@rules_command.command("show")
@click.argument("rule_id")
@click.pass_obj
@handle_errors
def rules_show_command(config_path: Path | None, rule_id: str) -> None:
    """Explain one rule: what it checks, why it matters, how to fix it, examples."""
    ruleset = build_rules(_config(config_path))
    rule = ruleset.by_id.get(rule_id.upper())
    if rule is None:
        known = ", ".join(r.id for r in ruleset.rules)
        raise BacklogHealthError(f"unknown rule '{rule_id}'; known rules: {known}")
    click.echo(f"{rule.id} {rule.name}  ({rule.criterion}, {rule.severity}{'' if rule.enabled else ', disabled'})")
    click.echo(f"\nMessage: {rule.message.replace('{match}', '…')}")
    click.echo(f"\nWhy it matters: {rule.rationale}")
    if rule.fix:
        click.echo(f"\nHow to fix: {rule.fix}")
    click.echo(f"\nApplies to: {'items written as user stories' if rule.applies_to == 'stories' else 'all items'}")
    click.echo("\nExamples it flags:")
    for example in rule.examples_fail:
        click.echo(f"  ✗ {example_text(example)}")
    click.echo("Examples it accepts:")
    for example in rule.examples_pass:
        click.echo(f"  ✓ {example_text(example)}")
    click.echo(f"\nDefined in {rule.path}")
