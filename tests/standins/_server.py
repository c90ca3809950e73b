"""The plumbing the stand-ins share: a threaded HTTP server on 127.0.0.1, injected faults, and a base handler.

A stand-in subclasses StandInServer (which records requests and queues faults) and StandInHandler (which reads a
request, applies the next fault under its path, and writes the reply with the headers the site always sends).
Nothing is logged; request headers are never recorded.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self


@dataclass(frozen=True)
class Fault:
    """One failure to inject, consumed by the next request under its path prefix."""

    status: int | None = None  # answer this status instead (with `body`, or the site's error body for it)
    headers: dict[str, str] = field(default_factory=dict)  # extra headers, on the normal answer too (e.g. Link)
    body: str | None = None
    delay: float = 0.0  # seconds to wait before answering (to exceed a client timeout)
    truncate: bool = False  # send the first half of the normal body, with a matching Content-Length
    reset: bool = False  # drop the connection with a TCP reset, without any response
    cut: bool = False  # send the headers and half the body, then drop the connection with a TCP reset
    trickle: float = 0.0  # send the body one byte at a time, this many seconds apart (never trips a read timeout)
    replay: bool = False  # answer with the last normal answer under the same path prefix (a page served again)


class Request(NamedTuple):
    """One request the stand-in received (never its headers)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # parsed JSON, else text, else None


class StandInServer:
    """A site on 127.0.0.1 served from a daemon thread; a context manager. Subclasses set `handler`."""

    handler: type[StandInHandler]

    def __init__(self, scenario: Any, port: int, host: str):
        self.scenario = scenario
        self.requests: list[Request] = []
        self._address = (host, port)
        self._faults: dict[str, list[Fault]] = {prefix: list(faults) for prefix, faults in scenario.faults.items()}
        self._answers: dict[str, Any] = {}  # path → its last normal reply, latest last, for Fault(replay=True)
        self._lock = threading.Lock()
        self._server: _Server | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen and serve in a daemon thread."""
        self._server = _Server(self._address, self.handler)
        self._server.standin = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        """Stop serving and drop open connections."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_connections()
            self._server = None

    @property
    def url(self) -> str:
        """The host root, e.g. http://127.0.0.1:43121."""
        if not self._server:
            raise RuntimeError("the stand-in is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, path_prefix: str = "", method: str | None = None) -> int:
        """How many requests had a path starting with path_prefix (and used method)."""
        return sum(1 for r in self.requests if r.path.startswith(path_prefix) and method in (None, r.method))

    def add_faults(self, path_prefix: str, *faults: Fault) -> None:
        """Queue more faults for requests under path_prefix."""
        with self._lock:
            self._faults.setdefault(path_prefix, []).extend(faults)

    def _take_fault(self, path: str) -> tuple[str, Fault]:
        """The next fault queued under the longest prefix of path, with that prefix ("" and no fault: none)."""
        with self._lock:
            prefixes = sorted((p for p, queue in self._faults.items() if queue and path.startswith(p)), key=len)
            return (prefixes[-1], self._faults[prefixes[-1]].pop(0)) if prefixes else ("", Fault())

    def _remember(self, path: str, reply: Any) -> None:
        with self._lock:
            self._answers.pop(path, None)
            self._answers[path] = reply

    def _last_answer(self, prefix: str) -> Any | None:
        """The last normal answer to a request under prefix."""
        with self._lock:
            return next((reply for path, reply in reversed(self._answers.items()) if path.startswith(prefix)), None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    standin: StandInServer

    def __init__(self, *args: Any):
        self.connections: set[socket.socket] = set()
        super().__init__(*args)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: clients that time out or go away are part of the tests."""


class StandInHandler(BaseHTTPRequestHandler):
    """Reads a request, records it, applies the next fault, writes the reply. Subclasses set `server_version`,
    alias the do_* methods they serve to do_GET, and supply _answer, _fault_reply and _headers.

    A reply is a NamedTuple with status, body (bytes), content_type and headers (dict or None).
    """

    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing."""

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve()

    def _answer(self, path: str, raw_query: str, query: dict[str, list[str]], body: Any) -> Any:
        """The site's reply to the request."""
        raise NotImplementedError

    def _fault_reply(self, fault: Fault, path: str) -> Any:
        """The reply to an injected failure with a status."""
        raise NotImplementedError

    def _headers(self, reply: Any) -> dict[str, str]:
        """Every header to send with the reply, in order."""
        raise NotImplementedError

    def _serve(self) -> None:
        standin = self.server.standin
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        body = parse_body(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        standin.requests.append(Request(self.command, parts.path, query, body))
        prefix, fault = standin._take_fault(parts.path)
        time.sleep(fault.delay)
        if fault.reset:
            self._reset()
            return
        if fault.status:
            reply = self._fault_reply(fault, parts.path)
        else:
            replayed = standin._last_answer(prefix) if fault.replay else None
            reply = replayed or self._answer(parts.path, parts.query, query, body)
            if not replayed:
                standin._remember(parts.path, reply)
            if fault.headers:  # replacing the site's own header of the same name, whatever its case
                wanted = {name.lower() for name in fault.headers}
                kept = {name: value for name, value in (reply.headers or {}).items() if name.lower() not in wanted}
                reply = reply._replace(headers={**kept, **fault.headers})
        if fault.truncate:
            reply = reply._replace(body=reply.body[: max(1, len(reply.body) // 2)])
        self._write(reply, cut=fault.cut, trickle=fault.trickle)

    def _reset(self) -> None:
        """Drop the connection: SO_LINGER 0 makes closing send RST instead of FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _write(self, reply: Any, cut: bool = False, trickle: float = 0.0) -> None:
        try:
            self.send_response(reply.status)
            for name, value in self._headers(reply).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and trickle:
                for n in range(len(reply.body)):
                    self.wfile.write(reply.body[n : n + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            elif self.command != "HEAD":
                self.wfile.write(reply.body[: len(reply.body) // 2] if cut else reply.body)
            if cut:
                self.wfile.flush()
                self._reset()
        except OSError:  # the client gave up (timeout) or reset
            self.close_connection = True


def parse_body(raw: bytes) -> Any:
    """A request body: parsed JSON, else text, else None."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
