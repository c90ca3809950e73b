"""Reporters: each turns a RunResult into one output format; one helper owns writing the file."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, TextIO

from backlog_health.errors import BacklogHealthError
from backlog_health.model import RunResult


class Reporter(Protocol):
    """One output format."""

    format: str  # the name used by the CLI option (--json, --html, --markdown)

    def report(self, result: RunResult, outfile: TextIO) -> None:
        """Write the report of `result` to `outfile`."""


def reporters() -> Mapping[str, Reporter]:
    """Every reporter by format name."""
    from backlog_health.report.html import HtmlReporter
    from backlog_health.report.json_report import JsonReporter
    from backlog_health.report.markdown import MarkdownReporter

    return {reporter.format: reporter for reporter in (JsonReporter(), HtmlReporter(), MarkdownReporter())}


def render(reporter: Reporter, result: RunResult) -> str:
    """The whole report as a string (rendered before anything is written)."""
    from io import StringIO

    buffer = StringIO()
    reporter.report(result, buffer)
    return buffer.getvalue()


def _umask() -> int:
    """The process's umask (read by setting it, then setting it back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def check_destination(destination: str) -> Path | None:
    """The path a report will be written to (None for stdout); fails early when it cannot be written."""
    if destination == "-":
        return None
    path = Path(destination)
    if path.is_dir():
        raise BacklogHealthError(f"{destination}: is a folder; give a file name for the report")
    if path.exists() and not path.is_file():  # /dev/null, a named pipe: written into, whatever its folder
        if not os.access(path, os.W_OK):
            raise BacklogHealthError(f"{destination}: is not writable; choose another path")
        return path
    if not path.parent.is_dir():
        raise BacklogHealthError(
            f"{destination}: folder '{path.parent}' does not exist; create it or choose another path"
        )
    if not os.access(path.parent, os.W_OK):
        raise BacklogHealthError(f"{destination}: folder '{path.parent}' is not writable; choose another path")
    return path


def write_text(text: str, destination: str) -> None:
    """Write text to a path atomically (temp file, then rename), or to stdout for '-'.

    A symbolic link is followed (its target is replaced, the link stays); something that is not a regular file
    (/dev/null, a named pipe) is written into, never replaced; a file that exists keeps its permissions, a new one
    gets the umask's.
    """
    path = check_destination(destination)
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = path.resolve() if path.is_symlink() else path
    if path.exists() and not path.is_file():
        try:
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            raise BacklogHealthError(f"{destination}: cannot write the report: {error.strerror}") from None
        return
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    folder = path.parent
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed
            "w",
            encoding="utf-8",
            newline="\n",
            dir=folder,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise BacklogHealthError(f"{destination}: cannot write the report: {error.strerror}") from None
    try:
        with handle:
            handle.write(text)
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise
