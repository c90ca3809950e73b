"""Configuration: packaged defaults, then the project's file, then --config, then CLI flags."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from backlog_health.errors import ConfigError
from backlog_health.model import CRITERIA, SEVERITIES
from backlog_health.nlp.loader import BLANK
from backlog_health.resources import data_file
from backlog_health.scoring import READY_CHECKS, Readiness, Scoring
from backlog_health.suppressions import Suppression, load_overrides

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

FAIL_ON = ("error", "warning")
# Allowed keys: top level and per table. A key missing here is an error naming the file and key.
_TOP_KEYS = {
    "story_types",
    "fail_under",
    "fail_on",
    "nlp",
    "rules",
    "jira",
    "github",
    "planning",
    "history",
    "fetch",
    "readiness",
    "suppressions",
    "scoring",
    "metrics",
}
_METRIC_KEYS = {
    "stale_days": int,
    "stale_exempt_labels": list,
    "top_priorities": list,
    "priority_inflation": (int, float),
}
_FETCH_KEYS = {"incremental": bool, "full_refresh_days": (int, float)}
_PLANNING_KEYS = {"items": int, "sprints": (int, float), "velocity": (int, float)}
_READINESS_KEYS = {
    "checks": list,
    "max_estimate": (int, float),
    "stale_days": int,
    "types": list,
    "labels": list,
    "criteria_for": str,
}
_NLP_KEYS = {"model", "batch_size"}
_JIRA_KEYS = {
    "url": str,
    "jql": str,
    "project": str,
    "board": int,
    "deployment": str,
    "fields": dict,
    "timeout": (int, float),
    "max_retries": int,
    "max_wait": (int, float),
}
_GITHUB_KEYS = {
    "url": str,
    "repo": str,
    "project": str,
    "state": str,
    "labels": list,
    "milestone": str,
    "include_done": bool,
    "fields": dict,
    "estimate_label": str,
    "priority_label": str,
    "timeout": (int, float),
    "max_retries": int,
    "max_wait": (int, float),
}
_SECRET_KEYS = {"token", "api_token", "pat", "password", "email", "secret", "auth"}


@dataclass(frozen=True)
class Config:
    """Settings of one run."""

    story_types: tuple[str, ...] = ()  # lowercase issue types written as user stories
    fail_under: float | None = None  # exit 1 below this health score
    fail_on: str | None = None  # exit 1 on a finding of this severity or worse
    nlp_model: str | None = None  # spaCy pipeline package, or None for the default resolution
    batch_size: int = 256  # texts per nlp.pipe batch
    rule_paths: tuple[Path, ...] = ()  # extra rule folders
    rule_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # rule id → settings
    rule_origins: Mapping[str, str] = field(default_factory=dict)  # rule id → file that set it
    files: tuple[str, ...] = ()  # config files read, in order
    github: Mapping[str, Any] = field(default_factory=dict)  # [github] settings (never secrets)
    jira: Mapping[str, Any] = field(default_factory=dict)  # [jira] settings (never secrets)
    planning_items: int = 10  # items the next sprints draw from, when velocity or estimates are unknown
    planning_sprints: float = 2  # sprints to look ahead
    velocity: float | None = None  # estimate points the team finishes per sprint
    history: Path | None = None  # run history database (SQLite); None: no history
    incremental: bool = True  # fetch only what changed since the last run, where the tracker allows
    full_refresh_days: float = 30  # a stored backlog older than this is fetched again in full
    readiness: Readiness = field(default_factory=Readiness)  # the Definition of Ready
    scoring: Scoring = field(default_factory=Scoring)  # item scores and the backlog health score
    metric_settings: Mapping[str, Any] = field(default_factory=dict)  # [metrics] settings (MetricSettings fields)
    suppressions: tuple[Suppression, ...] = ()  # entries of the overrides file, read when the config is read


def settings_fingerprint(config: Config, rules_digest: str = "") -> str:
    """A short hash of what decides findings, readiness and scores: the rules as they ran (`rules_digest`: their
    definitions, settings, the model and the tool version) and the other settings, not where things are read from
    or written to. Two runs with different fingerprints judged the backlog by different standards."""
    judged = {
        "story_types": config.story_types,
        "rules": rules_digest,
        "planning": [config.planning_items, config.planning_sprints, config.velocity],
        "readiness": dataclasses.asdict(config.readiness),
        "scoring": dataclasses.asdict(config.scoring),
        "metrics": config.metric_settings,
    }
    text = json.dumps(judged, sort_keys=True, default=_plain_json)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _plain_json(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; check the --config path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def _section(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """The backlog-health settings of a file: [tool.backlog-health] in pyproject.toml, else the whole file."""
    if path.name == "pyproject.toml" or "tool" in data:
        return data.get("tool", {}).get("backlog-health")
    return data


def _check_type(origin: str, key: str, value: Any, expected: type | tuple[type, ...], what: str) -> None:
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        raise ConfigError(f"{origin}: '{key}' must be {what}, not {value!r}")
    # NOTE: TOML has nan and inf; no setting means either
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{origin}: '{key}' must be a finite number, not {value}")


def _merge(config: Config, data: Mapping[str, Any], origin: str, base: Path) -> Config:
    """Apply one file's settings on top of `config`, validating every key."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{origin}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(_TOP_KEYS))})")
    changes: dict[str, Any] = {}
    if "story_types" in data:
        types = data["story_types"]
        _check_type(origin, "story_types", types, list, "a list of issue type names")
        changes["story_types"] = tuple(str(name).strip().lower() for name in types)
    if "fail_under" in data:
        _check_type(origin, "fail_under", data["fail_under"], (int, float), "a number from 0 to 100")
        changes["fail_under"] = validate_fail_under(float(data["fail_under"]), origin)
    if "fail_on" in data:
        changes["fail_on"] = validate_fail_on(data["fail_on"], origin)
    nlp = data.get("nlp", {})
    _check_type(origin, "nlp", nlp, dict, "a table")
    unknown = sorted(set(nlp) - _NLP_KEYS)
    if unknown:
        raise ConfigError(f"{origin}: unknown key 'nlp.{unknown[0]}' (allowed: {', '.join(sorted(_NLP_KEYS))})")
    if "model" in nlp:
        _check_type(origin, "nlp.model", nlp["model"], str, "a spaCy pipeline package name")
        changes["nlp_model"] = _installed_model(nlp["model"], origin)
    if "batch_size" in nlp:
        _check_type(origin, "nlp.batch_size", nlp["batch_size"], int, "a positive integer")
        if nlp["batch_size"] < 1:
            raise ConfigError(f"{origin}: 'nlp.batch_size' must be a positive integer")
        changes["batch_size"] = nlp["batch_size"]
    if "planning" in data:
        changes.update(_planning_settings(data["planning"], origin))
    if "suppressions" in data:
        _check_type(origin, "suppressions", data["suppressions"], str, "the path of an overrides file")
        changes["suppressions"] = load_overrides(base / data["suppressions"])
    if "metrics" in data:
        changes["metric_settings"] = MappingProxyType(
            {**config.metric_settings, **_metric_settings(data["metrics"], origin)}
        )
    if "scoring" in data:
        changes["scoring"] = _scoring_settings(config.scoring, data["scoring"], origin)
    if "readiness" in data:
        changes["readiness"] = _readiness_settings(config.readiness, data["readiness"], origin)
    if "history" in data:
        value = data["history"]
        if value is False:
            changes["history"] = None
        else:
            _check_type(origin, "history", value, str, "a file path, or false for no history")
            # NOTE: the packaged default is relative to where the tool runs; a project's, to its config file.
            packaged = base == data_file("defaults.toml").parent
            changes["history"] = Path(value) if packaged or Path(value).is_absolute() else base / value
    if "fetch" in data:
        for key, value in _table(
            origin, "fetch", data["fetch"], _FETCH_KEYS, "of another type (see the README)"
        ).items():
            if key == "full_refresh_days" and value <= 0:
                raise ConfigError(f"{origin}: 'fetch.full_refresh_days' must be a positive number of days")
            changes[key] = value
    if "jira" in data:
        changes["jira"] = MappingProxyType({**config.jira, **_jira_settings(data["jira"], origin)})
    if "github" in data:
        changes["github"] = MappingProxyType({**config.github, **_github_settings(data["github"], origin)})
    rules = data.get("rules", {})
    _check_type(origin, "rules", rules, dict, "a table")
    settings = {key: dict(value) for key, value in config.rule_settings.items()}
    origins = dict(config.rule_origins)
    for key, value in rules.items():
        if key == "paths":
            _check_type(origin, "rules.paths", value, list, "a list of folders")
            changes["rule_paths"] = config.rule_paths + tuple((base / str(p)).resolve() for p in value)
            continue
        _check_type(origin, f"rules.{key}", value, dict, "a table of rule settings")
        settings.setdefault(key, {}).update(value)
        origins[key] = origin
    changes["rule_settings"] = MappingProxyType(settings)
    changes["rule_origins"] = MappingProxyType(origins)
    changes["files"] = (*config.files, origin)
    return replace(config, **changes)


def _table(origin: str, name: str, section: Any, schema: Mapping[str, Any], what: str) -> dict[str, Any]:
    """A settings table checked against its schema: a table, known keys only, each value of its type."""
    _check_type(origin, name, section, dict, "a table")
    for key, value in section.items():
        if key not in schema:
            raise ConfigError(f"{origin}: unknown key '{name}.{key}' (allowed: {', '.join(sorted(schema))})")
        _check_type(origin, f"{name}.{key}", value, schema[key], what)
    return dict(section)


def _metric_settings(section: Any, origin: str) -> dict[str, Any]:
    """The [metrics] table: the thresholds backlog metrics are judged by."""
    settings: dict[str, Any] = {}
    for key, value in _table(
        origin, "metrics", section, _METRIC_KEYS, "a number, or a list of words (see docs/metrics.md)"
    ).items():
        if isinstance(value, list):
            value = tuple(str(entry).strip().lower() for entry in value)
        elif value <= 0 or (key == "priority_inflation" and value > 1):
            raise ConfigError(f"{origin}: 'metrics.{key}' is out of range: {value}")
        settings[key] = value
    return settings


def _scoring_settings(current: Scoring, section: Any, origin: str) -> Scoring:
    """The [scoring] table: penalties by severity, weights by criterion and of the health score's parts, bands."""
    _check_type(origin, "scoring", section, dict, "a table")
    allowed = {"penalties": SEVERITIES, "criteria": CRITERIA, "weights": ("quality", "readiness", "metrics")}
    changes: dict[str, Any] = {}
    for key, value in section.items():
        if key in ("healthy", "attention"):
            _check_type(origin, f"scoring.{key}", value, (int, float), "a score from 0 to 100")
            if not 0 <= value <= 100:
                raise ConfigError(f"{origin}: 'scoring.{key}' must be a score from 0 to 100, not {value}")
            changes[key] = float(value)
            continue
        if key not in allowed:
            raise ConfigError(
                f"{origin}: unknown key 'scoring.{key}' (allowed: attention, criteria, healthy, penalties, weights)"
            )
        _check_type(origin, f"scoring.{key}", value, dict, "a table of numbers")
        for name, number in value.items():
            if name not in allowed[key]:
                raise ConfigError(f"{origin}: unknown key 'scoring.{key}.{name}' (allowed: {', '.join(allowed[key])})")
            _check_type(origin, f"scoring.{key}.{name}", number, (int, float), "a number of 0 or more")
            if number < 0:
                raise ConfigError(f"{origin}: 'scoring.{key}.{name}' must be 0 or more, not {number}")
        field_name = {"penalties": "penalties", "criteria": "criterion_weights", "weights": "weights"}[key]
        changes[field_name] = {**getattr(current, field_name), **{k: float(v) for k, v in value.items()}}
    result = replace(current, **changes)
    if result.attention > result.healthy:
        raise ConfigError(f"{origin}: 'scoring.attention' must not be above 'scoring.healthy'")
    if not any(result.weights.get(part, 0) for part in ("quality", "readiness")):
        raise ConfigError(f"{origin}: 'scoring.weights' must give item quality or readiness a weight above 0")
    return result


def _readiness_settings(current: Readiness, section: Any, origin: str) -> Readiness:
    """The [readiness] table: the team's Definition of Ready."""
    _check_type(origin, "readiness", section, dict, "a table")
    # NOTE: "max_estimate = false" turns the limit off; every other value is checked against the schema.
    checked = {key: value for key, value in section.items() if not (key == "max_estimate" and value is False)}
    _table(origin, "readiness", checked, _READINESS_KEYS, "of another type (see the README)")
    changes: dict[str, Any] = {}
    if "checks" in section:
        unknown = sorted(set(map(str, section["checks"])) - set(READY_CHECKS))
        if unknown:
            raise ConfigError(f"{origin}: unknown readiness check '{unknown[0]}' (known: {', '.join(READY_CHECKS)})")
        changes["checks"] = frozenset(map(str, section["checks"]))
    if "max_estimate" in section:
        value = section["max_estimate"]
        if value is not False and value <= 0:
            raise ConfigError(f"{origin}: 'readiness.max_estimate' must be a positive number, or false for none")
        changes["max_estimate"] = None if value is False else float(value)
    if "stale_days" in section:
        if section["stale_days"] < 1:
            raise ConfigError(f"{origin}: 'readiness.stale_days' must be a positive number of days")
        changes["stale_days"] = section["stale_days"]
    if "criteria_for" in section:
        if section["criteria_for"] not in ("stories", "all"):
            raise ConfigError(f'{origin}: \'readiness.criteria_for\' must be "stories" or "all"')
        changes["criteria_for"] = section["criteria_for"]
    for key in ("types", "labels"):
        if key in section:
            changes[key] = tuple(str(value).strip().lower() for value in section[key])
    return replace(current, **changes)


def _planning_settings(section: Any, origin: str) -> dict[str, Any]:
    """The [planning] table: how much of the top of the backlog the next sprints draw from."""
    changes: dict[str, Any] = {}
    for key, value in _table(origin, "planning", section, _PLANNING_KEYS, "a positive number").items():
        if value <= 0:
            raise ConfigError(f"{origin}: 'planning.{key}' must be a positive number, not {value}")
        changes[{"items": "planning_items", "sprints": "planning_sprints"}.get(key, key)] = value
    return changes


def _jira_settings(section: Any, origin: str) -> dict[str, Any]:
    """The [jira] table, validated; credentials are refused here because they belong in the environment."""
    _check_type(origin, "jira", section, dict, "a table")
    for key, value in section.items():
        if key.lower() in _SECRET_KEYS:
            raise ConfigError(
                f"{origin}: 'jira.{key}' looks like a credential; set JIRA_EMAIL and JIRA_API_TOKEN or JIRA_PAT "
                "in the environment instead"
            )
        if key not in _JIRA_KEYS:
            raise ConfigError(f"{origin}: unknown key 'jira.{key}' (allowed: {', '.join(sorted(_JIRA_KEYS))})")
        _check_type(origin, f"jira.{key}", value, _JIRA_KEYS[key], "of another type (see the README)")
    if section.get("deployment") not in (None, "cloud", "datacenter"):
        raise ConfigError(f"{origin}: 'jira.deployment' must be 'cloud' or 'datacenter'")
    for role, name in section.get("fields", {}).items():
        if role not in {"estimate", "sprint", "rank", "epic", "acceptance_criteria"}:
            raise ConfigError(
                f"{origin}: unknown key 'jira.fields.{role}' (allowed: acceptance_criteria, epic, estimate, rank, "
                "sprint)"
            )
        _check_type(origin, f"jira.fields.{role}", name, str, "a field name or id")
    return dict(section)


def _github_settings(section: Any, origin: str) -> dict[str, Any]:
    """The [github] table, validated; tokens are refused here because they belong in the environment."""
    _check_type(origin, "github", section, dict, "a table")
    for key, value in section.items():
        if key.lower() in _SECRET_KEYS:
            raise ConfigError(f"{origin}: 'github.{key}' looks like a credential; set GITHUB_TOKEN in the environment")
        if key not in _GITHUB_KEYS:
            raise ConfigError(f"{origin}: unknown key 'github.{key}' (allowed: {', '.join(sorted(_GITHUB_KEYS))})")
        _check_type(origin, f"github.{key}", value, _GITHUB_KEYS[key], "of another type (see the README)")
    if section.get("state") not in (None, "open", "closed", "all"):
        raise ConfigError(f"{origin}: 'github.state' must be open, closed or all")
    for role in section.get("fields", {}):
        if role not in {"status", "priority", "estimate", "iteration"}:
            raise ConfigError(
                f"{origin}: unknown key 'github.fields.{role}' (allowed: estimate, iteration, priority, status)"
            )
    for key in ("estimate_label", "priority_label"):
        if key in section:
            try:
                re.compile(section[key])
            except re.error as error:
                raise ConfigError(f"{origin}: 'github.{key}' is not a valid regular expression: {error}") from None
    return dict(section)


def _installed_model(name: str, origin: str) -> str | None:
    """The configured pipeline name when it is installed (or "blank:en"); empty means the default."""
    if not name or name == BLANK:
        return name or None
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ConfigError(f"{origin}: nlp.model '{name}' is not installed; install it with pip or remove the setting")
    return name


def validate_fail_under(value: float, origin: str = "--fail-under") -> float:
    """A health threshold between 0 and 100."""
    if not 0 <= value <= 100:
        raise ConfigError(f"{origin}: fail_under must be between 0 and 100, not {value:g}")
    return value


def validate_fail_on(value: Any, origin: str = "--fail-on") -> str:
    """A severity threshold: error or warning."""
    if value not in FAIL_ON:
        raise ConfigError(f"{origin}: fail_on must be 'error' or 'warning', not {value!r}")
    return value


def project_config_file(directory: Path) -> Path | None:
    """The project's own config file in `directory`: backlog-health.toml, else a pyproject.toml that has one."""
    own = directory / "backlog-health.toml"
    if own.is_file():
        return own
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file() and _section(pyproject, _read_toml(pyproject)) is not None:
        return pyproject
    return None


def load_config(explicit: Path | None = None, directory: Path | None = None) -> Config:
    """Settings from the cascade: packaged defaults, the project's file, then `explicit`."""
    defaults = data_file("defaults.toml")
    config = _merge(Config(), _read_toml(defaults), str(defaults), defaults.parent)
    project = project_config_file(directory or Path.cwd())
    for path in (project, explicit):
        if path is None:
            continue
        section = _section(path, _read_toml(path))
        if section is None:
            raise ConfigError(f"{path}: no [tool.backlog-health] table; add one or pass a backlog-health.toml")
        config = _merge(config, section, str(path), path.parent)
    return config
