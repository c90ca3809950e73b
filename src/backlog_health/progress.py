"""Progress of long steps on stderr: a bar redrawn in place on a terminal, a few plain lines in CI logs."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

BAR_WIDTH = 24
LOG_EVERY = 10.0  # seconds between two progress lines in a log


def interactive(stream=None) -> bool:
    """Whether progress may redraw a line: a terminal, and not a CI job (CI=true), whose log keeps every line."""
    stream = stream or sys.stderr
    ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
    return not ci and hasattr(stream, "isatty") and stream.isatty()


class Progress:
    """One long step's progress: `update(done, total)` as it goes, `finish()` at the end.

    On a terminal: "analyzing [#########-----] 1,234/5,000 items · 850/s · 4 s left", redrawn. In a log: a line at
    most every LOG_EVERY seconds, and a last one with the total and the rate.
    """

    def __init__(
        self,
        label: str,
        write: Callable[[str], None],
        redraw: bool,
        about: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label  # "analyzing", "jira: fetching"
        self.write = write  # writes text to stderr as is (no newline added)
        self.redraw = redraw
        self.about = about  # the total is an estimate ("of about 47,800")
        self.clock = clock
        self.start = clock()
        self.last_line = self.start
        self.done = 0
        self.total: int | None = None
        self.finished = False
        self.on_line = False  # a bar is drawn on the current line of the terminal

    def update(self, done: int, total: int | None = None) -> None:
        """Record progress; draws or logs when it is time to."""
        self.done, self.total = done, total if total else self.total
        now = self.clock()
        if self.total and done >= self.total and not self.about:
            self.finish()
        elif self.redraw:
            self.write("\r" + self._text(now) + "\x1b[K")
            self.on_line = True
        elif now - self.last_line >= LOG_EVERY:
            self.last_line = now
            self.write(self._text(now) + "\n")

    def interrupt(self) -> None:
        """Leave the bar's line before something else is printed (a retry notice, an error); redrawn on update."""
        if self.on_line:
            self.write("\n")
            self.on_line = False

    def finish(self) -> None:
        """End the step: the final figures on their own line."""
        if self.finished:
            return
        self.finished = True
        self.on_line = False
        if self.redraw:
            self.write("\r" + self._text(self.clock(), final=True) + "\x1b[K\n")
        elif self.done and self.clock() - self.start >= LOG_EVERY:
            self.write(self._text(self.clock(), final=True) + "\n")

    def _text(self, now: float, final: bool = False) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        total = self.done if final else self.total
        of = f" of {'about ' if self.about else ''}{total:,}" if total and not final else ""
        parts = [f"{self.label} {self.done:,}{of} items"]
        if self.redraw and total and not final:
            filled = min(BAR_WIDTH, round(BAR_WIDTH * self.done / total))
            parts[0] = f"{self.label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.done:,}/{total:,} items"
        if elapsed >= 0.5 and self.done:
            parts.append(f"{rate:,.0f}/s")
        if final:
            parts.append(f"{elapsed:.1f} s")
        elif total and rate > 0 and self.done < total and elapsed >= 1:
            parts.append(f"{(total - self.done) / rate:.0f} s left")
        return " · ".join(parts)


@contextmanager
def shown(progress: Progress | None) -> Iterator[Callable[[int, int | None], None] | None]:
    """A step with its progress: its update callback (None without progress), finished when the step ends; on an
    error the bar's line is left first, so the error line does not land on a half-drawn bar."""
    if progress is None:
        yield None
        return
    try:
        yield progress.update
    except BaseException:
        progress.interrupt()
        raise
    progress.finish()
