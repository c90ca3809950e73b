"""Progress on stderr: redrawn on a terminal, a few lines in CI logs."""

from __future__ import annotations

import io

import pytest

from backlog_health.progress import LOG_EVERY, Progress, interactive


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(redraw: bool, total: int = 10_000, step: int = 100, seconds_per_step: float = 0.5, about: bool = False):
    out, clock = [], Clock()
    progress = Progress("analyzing", out.append, redraw, about=about, clock=clock)
    for done in range(step, total + 1, step):
        clock.now += seconds_per_step
        progress.update(done, total)
    progress.finish()
    return "".join(out)


def test_a_log_gets_a_line_every_few_seconds_and_a_last_one():
    text = _run(redraw=False)  # 100 updates over 50 s
    lines = text.splitlines()
    assert "\r" not in text and "\x1b" not in text, "no redraws in a log"
    assert len(lines) == 50 // LOG_EVERY, lines  # at 10, 20, 30 and 40 s, then the last one at 50 s
    assert lines[0].startswith("analyzing 2,000 of 10,000 items · 200/s")
    assert lines[-1] == "analyzing 10,000 items · 200/s · 50.0 s"


def test_a_short_step_leaves_no_line_in_a_log():
    assert _run(redraw=False, total=100, step=10, seconds_per_step=0.1) == ""


def test_a_terminal_gets_a_bar_redrawn_in_place_then_one_line():
    text = _run(redraw=True, total=1_000, step=250, seconds_per_step=1.0)
    frames = text.split("\r")[1:]
    assert frames[0].startswith("analyzing [######------------------] 250/1,000 items · 250/s · 3 s left")
    assert text.endswith("analyzing 1,000 items · 250/s · 4.0 s\x1b[K\n") and text.count("\n") == 1


def test_an_estimated_total_ends_when_the_step_does():
    text = _run(redraw=True, total=1_000, step=500, seconds_per_step=1.0, about=True)
    assert "500/1,000 items" in text.split("\r")[1]
    # NOTE: reaching an estimated total does not end the step: finish() does, once
    assert text.count("\n") == 1 and text.endswith("analyzing 1,000 items · 500/s · 2.0 s\x1b[K\n")


@pytest.mark.parametrize(("ci", "tty", "expected"), [("", True, True), ("true", True, False), ("", False, False)])
def test_interactive_only_on_a_terminal_outside_ci(monkeypatch, ci, tty, expected):
    monkeypatch.setenv("CI", ci)
    stream = io.StringIO()
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    assert interactive(stream) is expected


def test_a_message_during_a_step_gets_a_line_of_its_own():
    out, clock = [], Clock()
    progress = Progress("jira: fetched", out.append, True, about=True, clock=clock)
    clock.now = 1.0
    progress.update(100, 1000)
    progress.interrupt()
    out.append("jira: retrying in 5 s\n")
    progress.interrupt()  # nothing drawn since: no empty line
    clock.now = 2.0
    progress.update(200, 1000)
    progress.finish()
    lines = "".join(out).split("\n")
    assert lines[0].endswith("\x1b[K") and lines[1] == "jira: retrying in 5 s"
    assert lines[2].startswith("\rjira: fetched [") and lines[2].endswith(
        "jira: fetched 200 items · 100/s · 2.0 s\x1b[K"
    )


def test_a_step_shown_finishes_or_leaves_the_line_on_error():
    from backlog_health.progress import shown

    out, clock = [], Clock()
    progress = Progress("analyzing", out.append, True, clock=clock)
    with pytest.raises(KeyboardInterrupt), shown(progress) as update:
        clock.now = 1.0
        update(5, 10)
        raise KeyboardInterrupt
    assert "".join(out).endswith("\x1b[K\n") and not progress.finished, "the bar's line left, no final line"
    with shown(None) as update:
        assert update is None
