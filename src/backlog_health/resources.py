"""Where the packaged data lives: rules, templates, defaults and the sample backlog."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# NOTE: in a wheel, rules/ and templates/ are copied into the package; in a source checkout
# (editable install, tests) they are read from the repository root.
_REPO = _PACKAGE.parent.parent


def _find(name: str) -> Path:
    for base in (_PACKAGE, _REPO):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"packaged folder '{name}' is missing; reinstall backlog-health")


def rules_dir() -> Path:
    """The folder of built-in rule files."""
    return _find("rules")


def templates_dir() -> Path:
    """The folder of report templates."""
    return _find("templates")


def data_file(name: str) -> Path:
    """A file shipped in the package's data folder (sample backlog, default config)."""
    return _PACKAGE / "data" / name
