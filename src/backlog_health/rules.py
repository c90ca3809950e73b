"""Rules are data: YAML files under rules/, validated against their check kind when they load."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from backlog_health.checks import REQUIRED, Kind, Param, kinds
from backlog_health.errors import RuleError
from backlog_health.model import CRITERIA, SEVERITIES, Finding, RuleInfo, Severity
from backlog_health.resources import rules_dir

RULE_ID = re.compile(r"^[A-Z]{2}\d{2}$")
APPLIES_TO = ("stories", "all")
_REQUIRED_KEYS = ("id", "name", "criterion", "severity", "kind", "message", "rationale", "examples")
_OPTIONAL_KEYS = ("parameters", "applies_to", "requires_fields", "aliases", "fix")

# NOTE: libyaml's loader reads the rule files about ten times faster than the pure-Python one; same results.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> Any:
    """A YAML document, loaded safely (plain data only)."""
    return yaml.load(text, Loader=_SAFE_LOADER)


@dataclass(frozen=True)
class Rule:
    """One rule: a check kind with parameters, a criterion, a severity and its documentation."""

    id: str  # stable id, two letters + two digits ("AM01")
    name: str  # kebab-case name ("vague-terms")
    criterion: str  # one of model.CRITERIA
    severity: Severity  # default severity
    kind: str  # check kind name
    message: str  # short imperative message; may use {match}
    rationale: str  # why a PO should care
    fix: str  # how to fix it, for the docs and reports
    params: Mapping[str, Any]  # kind parameters, defaults filled in
    applies_to: str  # "stories" (items written as user stories) or "all"
    requires_fields: tuple[str, ...]  # item fields the source must carry for the rule to make sense
    examples_fail: tuple[Any, ...]  # inputs the rule must flag
    examples_pass: tuple[Any, ...]  # inputs the rule must not flag
    path: Path  # the rule file
    aliases: tuple[str, ...] = ()  # former ids
    enabled: bool = True  # False when the config disables it

    def finding(
        self,
        *,
        match: str | None = None,
        excerpt: str | None = None,
        suggestion: str | None = None,
        field: str = "title",
        message: str | None = None,
    ) -> Finding:
        """A finding of this rule; `{match}` in the message is replaced by `match`."""
        text = message or self.message
        return Finding(
            rule=self.id,
            criterion=self.criterion,
            severity=self.severity,
            message=text.format(match=match if match is not None else excerpt or ""),
            # NOTE: an empty excerpt ("") says there is no text to quote; None falls back to the match.
            excerpt=(excerpt if excerpt is not None else match) or None,
            suggestion=suggestion,
            field=field,
        )

    def info(self) -> RuleInfo:
        """The rule as reports list it."""
        return RuleInfo(self.id, self.name, self.criterion, self.severity, self.rationale, self.fix)


@dataclass(frozen=True)
class RuleSet:
    """The loaded rules, in id order."""

    rules: tuple[Rule, ...]
    by_id: Mapping[str, Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index = {rule.id: rule for rule in self.rules}
        for rule in self.rules:
            index.update({alias: rule for alias in rule.aliases})
        object.__setattr__(self, "by_id", MappingProxyType(index))

    @property
    def enabled(self) -> tuple[Rule, ...]:
        """Rules that run."""
        return tuple(rule for rule in self.rules if rule.enabled)


def _fail(path: Path, rule_id: str | None, message: str) -> RuleError:
    where = f"{path}" + (f" (rule {rule_id})" if rule_id else "")
    return RuleError(f"{where}: {message}")


def _load_lexicon(path: Path, rule_id: str, value: Any, base: Path) -> dict[str, str]:
    """A lexicon parameter: a file name under rules/lexicons, a list of terms, or term → question."""
    if isinstance(value, str):
        file = (base / value) if not Path(value).is_absolute() else Path(value)
        try:
            value = _load_yaml(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise _fail(path, rule_id, f"cannot read lexicon '{value}': {error}") from None
        if isinstance(value, Mapping) and "terms" in value:
            value = value["terms"]
    return normalize_terms(value, lambda message: _fail(path, rule_id, message))


def normalize_terms(value: Any, error: Any) -> dict[str, str]:
    """Terms as a dict term → question; accepts a list of terms or a mapping."""
    if isinstance(value, list):
        value = {term: "" for term in value}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise error("a lexicon must be a list of terms or a mapping of term to question")
    return {str(term).strip().lower(): str(question or "") for term, question in value.items() if str(term).strip()}


def _validate_params(path: Path, rule_id: str, kind: Kind, given: Any, base: Path) -> dict[str, Any]:
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise _fail(path, rule_id, "'parameters' must be a mapping")
    unknown = sorted(set(given) - set(kind.params))
    if unknown:
        allowed = ", ".join(sorted(kind.params)) or "none"
        raise _fail(path, rule_id, f"unknown parameter '{unknown[0]}' for kind '{kind.name}' (allowed: {allowed})")
    params: dict[str, Any] = {}
    for name, spec in kind.params.items():
        if name not in given:
            if spec.default is REQUIRED:
                raise _fail(path, rule_id, f"missing parameter '{name}' ({spec.description})")
            params[name] = spec.default
            continue
        value = given[name]
        if spec.type is dict and name == kind.extends:
            value = _load_lexicon(path, rule_id, value, base)
        else:
            problem = param_problem(spec, value)
            if problem:
                raise _fail(path, rule_id, f"parameter '{name}' {problem}")
        params[name] = value
    return params


def param_problem(spec: Param, value: Any) -> str | None:
    """What is wrong with a parameter's value ("must be …, not …"), or None when it is right."""
    numeric = spec.type in (int, float, (int, float))
    if not isinstance(value, spec.type) or (numeric and isinstance(value, bool)):
        return f"must be {_type_name(spec.type)}, not {value!r}"
    if spec.choices and value not in spec.choices:
        return f"must be one of {', '.join(map(str, spec.choices))}, not {value!r}"
    if not numeric:
        return None
    low, high = spec.minimum, spec.maximum
    if math.isfinite(value) and (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        wanted = f"from {low:g} to {high:g}"
    elif low is not None:
        wanted = f"at least {low:g}"
    elif high is not None:
        wanted = f"at most {high:g}"
    else:
        wanted = "a finite number"
    return f"must be {wanted}, not {value!r}"


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
    }
    types = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _as_examples(path: Path, rule_id: str, examples: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    if not isinstance(examples, Mapping) or set(examples) - {"fail", "pass"}:
        raise _fail(path, rule_id, "'examples' must be a mapping with 'fail' and 'pass' lists")
    fail, passing = examples.get("fail") or [], examples.get("pass") or []
    if not isinstance(fail, list) or not isinstance(passing, list) or not fail or not passing:
        raise _fail(path, rule_id, "'examples' needs at least one 'fail' and one 'pass' example")
    return tuple(fail), tuple(passing)


def load_rule(path: Path, base: Path) -> Rule:
    """Load and validate one rule file; errors name the file, the rule and the key."""
    try:
        data = _load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise _fail(path, None, f"invalid YAML{where}: {getattr(error, 'problem', error)}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(path, None, f"cannot read the rule file: {error}") from None
    if not isinstance(data, Mapping):
        raise _fail(path, None, "a rule file must be a YAML mapping")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise _fail(path, None, f"'id' must be two capital letters and two digits, like AM01 (got {rule_id!r})")
    if path.stem != rule_id:
        raise _fail(path, rule_id, f"the file must be named {rule_id}.yaml")
    unknown = sorted(set(data) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS))
    if unknown:
        raise _fail(path, rule_id, f"unknown key '{unknown[0]}'")
    for key in _REQUIRED_KEYS:
        if data.get(key) in (None, ""):
            raise _fail(path, rule_id, f"missing key '{key}'")
    for key in ("name", "message", "rationale", "kind"):
        if not isinstance(data[key], str):
            raise _fail(path, rule_id, f"'{key}' must be a string")
    if data["criterion"] not in CRITERIA:
        raise _fail(path, rule_id, f"unknown criterion '{data['criterion']}' (one of: {', '.join(CRITERIA)})")
    if data["severity"] not in SEVERITIES:
        raise _fail(path, rule_id, f"'severity' must be one of {', '.join(SEVERITIES)}")
    kind = kinds().get(data["kind"])
    if kind is None:
        raise _fail(path, rule_id, f"unknown kind '{data['kind']}' (one of: {', '.join(sorted(kinds()))})")
    applies_to = data.get("applies_to", "stories")
    if applies_to not in APPLIES_TO:
        raise _fail(path, rule_id, f"'applies_to' must be one of {', '.join(APPLIES_TO)}")
    try:
        data["message"].format(match="x")
    except (KeyError, IndexError, ValueError):
        raise _fail(path, rule_id, "'message' may only use the placeholder {match}") from None
    fail, passing = _as_examples(path, rule_id, data["examples"])
    return Rule(
        id=rule_id,
        name=data["name"],
        criterion=data["criterion"],
        severity=data["severity"],
        kind=kind.name,
        message=data["message"].strip(),
        rationale=" ".join(data["rationale"].split()),
        fix=" ".join(str(data.get("fix") or "").split()),
        params=MappingProxyType(_validate_params(path, rule_id, kind, data.get("parameters"), base)),
        applies_to=applies_to,
        requires_fields=tuple(data.get("requires_fields") or ()),
        examples_fail=fail,
        examples_pass=passing,
        path=path,
        aliases=tuple(data.get("aliases") or ()),
    )


def load_rules(extra_dirs: Iterable[Path] = ()) -> RuleSet:
    """Discover every rule file in the built-in rules folder and any extra folders."""
    rules: dict[str, Rule] = {}
    for base in (rules_dir(), *extra_dirs):
        if not base.is_dir():
            raise RuleError(f"{base}: rules folder not found; fix 'rules.paths' in the config")
        for path in sorted(base.rglob("*.yaml")):
            if "lexicons" in path.relative_to(base).parts:
                continue
            rule = load_rule(path, base)
            for rule_id in (rule.id, *rule.aliases):
                if rule_id in rules:
                    raise _fail(path, rule.id, f"duplicate rule id {rule_id}, also in {rules[rule_id].path}")
            rules[rule.id] = rule
    return RuleSet(tuple(sorted(rules.values(), key=lambda rule: rule.id)))


def configure(rule: Rule, settings: Mapping[str, Any], origin: str) -> Rule:
    """The rule with a config's settings applied: enabled, severity, extend and kind parameters."""
    kind = kinds()[rule.kind]
    changes: dict[str, Any] = {}
    params = dict(rule.params)
    for key, value in settings.items():
        where = f"{origin}: rules.{rule.id}.{key}"
        if key == "enabled":
            if not isinstance(value, bool):
                raise RuleError(f"{where} must be true or false")
            changes["enabled"] = value
        elif key == "severity":
            if value not in SEVERITIES:
                raise RuleError(f"{where} must be one of {', '.join(SEVERITIES)}")
            changes["severity"] = value
        elif key == "extend":
            if not kind.extends:
                raise RuleError(f"{where}: rule {rule.id} has no lexicon to extend")
            extra = normalize_terms(value, lambda message, where=where: RuleError(f"{where}: {message}"))
            params[kind.extends] = {**params[kind.extends], **extra}
        elif key in kind.params:
            problem = param_problem(kind.params[key], value)
            if problem:
                raise RuleError(f"{where} {problem}")
            params[key] = value
        else:
            allowed = ", ".join(["enabled", "severity", *(["extend"] if kind.extends else []), *kind.params])
            raise RuleError(f"{where}: unknown setting '{key}' (allowed: {allowed})")
    return replace(rule, params=MappingProxyType(params), **changes)
