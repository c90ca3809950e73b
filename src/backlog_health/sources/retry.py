"""One retry policy for every tracker: bounded, announced, honouring the tracker's own waits; and one guard
against paging that goes round in circles."""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any

from backlog_health.errors import BacklogHealthError

# NOTE: a network that is down should end the run in well under half a minute, not after minutes of backoff.
MAX_NETWORK_RETRIES = 2
# NOTE: a reachable site accepts a connection in well under a second; a site behind a firewall that drops packets
# never does, and each attempt on it costs this long (three attempts and the pauses between them: 18 s).
CONNECT_TIMEOUT = 5.0
ANSWER_TIMEOUTS = 3  # a whole answer may take this many timeouts (a slow but steady page still arrives)
MAX_STALE_PAGES = 2  # pages in a row without a new item that end paging as a loop


def retry_after(value: object, now: float) -> float | None:
    """Seconds a Retry-After header asks to wait, given in seconds or as an HTTP date; None without a usable one."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp() - now
    return max(0.0, seconds) if math.isfinite(seconds) else None


def timeouts(seconds: float) -> tuple[float, float]:
    """The (connect, read) timeouts of requests for a configured timeout per request."""
    return min(CONNECT_TIMEOUT, seconds), seconds


@contextmanager
def answer_deadline(seconds: float | None, expired: list[bool] | None = None) -> Iterator[None]:
    """Ends a request that takes longer than `seconds` in all with a Timeout, retried like any other.

    A site that trickles its answer a byte at a time never trips the read timeout, which bounds each wait for
    data only. Where a timer signal can interrupt the request (POSIX, main thread, no timer of the host program
    running) it is bounded as a whole.
    """
    from requests.exceptions import Timeout

    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    # NOTE: a timer the host program set (a test runner's timeout, its own alarm) is left alone, and so is its signal
    if not seconds or not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        # NOTE: the HTTP library may wrap the Timeout (a read cut short); `expired` says what happened.
        if expired is not None:
            expired.append(True)
        raise Timeout(f"no complete answer within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def answer_time(timeout: float) -> float:
    """The most one whole answer may take for a configured timeout per request."""
    return ANSWER_TIMEOUTS * timeout


@dataclass(frozen=True)
class Retrier:
    """Runs one request with retries; what to retry and how long to wait is the connector's to say."""

    service: str  # "Jira", "GitHub": how messages name the tracker
    max_retries: int  # retries after the first attempt
    notify: Callable[[str], None]  # one-line messages for the user
    sleep: Callable[[float], None]  # time.sleep, or a fake in tests
    unreachable: str  # the end of the message when the tracker cannot be reached
    deadline: float | None = None  # seconds one whole answer may take (the timeout bounds each wait for data)

    def call(
        self,
        what: str,
        request: Callable[[], Any],
        api_errors: tuple[type[Exception], ...],
        wait_for: Callable[[Any, int], float | None],
        explain: Callable[[Any, str], str],
        status_of: Callable[[Any], Any],
    ) -> Any:
        """The request's result; an error that cannot be retried becomes one clear line (BacklogHealthError)."""
        from requests.exceptions import ChunkedEncodingError, InvalidHeader, Timeout
        from requests.exceptions import ConnectionError as RequestsConnectionError

        for attempt in range(self.max_retries + 1):
            last = attempt >= self.max_retries
            expired: list[bool] = []
            try:
                with answer_deadline(self.deadline, expired):
                    return request()
            except api_errors as error:
                wait = wait_for(error, attempt)  # may itself end the run when the wait is too long
                if wait is None or last:
                    raise BacklogHealthError(explain(error, what)) from None
                self.notify(
                    f"{self.service} answered {status_of(error)} to {what}; retrying in {wait:.0f} s "
                    f"({attempt + 1} of {self.max_retries})"
                )
                self.sleep(wait)
            # NOTE: ChunkedEncodingError is a connection dropped in the middle of an answer.
            except (RequestsConnectionError, Timeout, ChunkedEncodingError) as error:
                reason = (
                    "timed out"
                    if isinstance(error, Timeout) or expired
                    else "connection broken mid-answer"
                    if isinstance(error, ChunkedEncodingError)
                    else "connection failed"
                )
                if attempt >= min(MAX_NETWORK_RETRIES, self.max_retries):
                    raise BacklogHealthError(f"cannot reach {self.service} ({reason}); {self.unreachable}") from None
                self.notify(f"cannot reach {self.service} for {what} ({reason}); retrying")
                self.sleep(1.0 + attempt)
            except ValueError as error:  # a truncated or garbled JSON body, or a header that cannot be sent
                if isinstance(error, InvalidHeader) or "header value" in str(error):
                    # NOTE: the HTTP library's message quotes the header, token included: never shown.
                    raise BacklogHealthError(
                        f"the {self.service} token in the environment has a line break or a space at its start or "
                        "end; set it again without them"
                    ) from None
                if last:
                    raise BacklogHealthError(
                        f"{self.service} sent an answer that is not valid JSON to {what}: {str(error)[:120]}"
                    ) from None
                self.notify(f"{self.service} sent a broken answer to {what}; retrying")
                self.sleep(1.0 + attempt)
        raise AssertionError("unreachable")


class PageGuard:
    """Ends paging that goes round in circles: a page served again, a next-page cursor (token, Link URL) that was
    already followed, or pages in a row with no item not read before. Without it a tracker that repeats a page
    would be read forever.

    NOTE: one page of items all read before is no loop by itself: an item added at the top of the backlog while it
    is read shifts the rest down, and a short last page may then hold only an item of the page before it.
    """

    def __init__(self, service: str, what: str, unit: str = "items"):
        self.service = service  # "Jira", "GitHub": how messages name the tracker
        self.what = what  # what is paged, e.g. "the issue search"
        self.unit = unit  # what a page holds, e.g. "issues"
        self.n_pages = 0
        self._keys: set[str] = set()
        self._pages: set[tuple[str, ...]] = set()  # the keys of each page read, in order
        self._cursors: set[str] = set()
        self._n_stale = 0  # pages in a row that brought no item not read before

    def check(self, keys: Iterable[object], next_cursor: str | None = None) -> None:
        """Accept one page (the keys of its items, the cursor of the page after it) or end the run."""
        self.n_pages += 1
        page = tuple(str(key) for key in keys if key is not None)
        self._n_stale = 0 if not self._keys.issuperset(page) else self._n_stale + 1
        if page and page in self._pages:
            problem = f"repeated a page of {self.unit} already read"
        elif next_cursor is not None and next_cursor in self._cursors:
            problem = "repeated a link to a page already read"
        elif self._n_stale >= MAX_STALE_PAGES:
            problem = f"sent {self._n_stale} pages in a row without {self.unit} not read before"
        else:
            self._keys.update(page)
            self._pages.add(page)
            if next_cursor is not None:
                self._cursors.add(next_cursor)
            return
        raise BacklogHealthError(
            f"{self.service} {problem} (page {self.n_pages} of {self.what}); stopped to avoid an endless loop"
        )
