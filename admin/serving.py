"""What one ``python -m admin`` process lets a client hold: bodies, connections, time.

Production has nginx in front, which buffers every request before passing
it on; but an instance also answers on its own port, so waitress itself
must not be the weak part:

- **Bodies.** Waitress reads a whole body, into a temporary file past
  ``inbuf_overflow``, before the app sees the request; so Flask's
  ``MAX_CONTENT_LENGTH`` would only refuse it once read. Waitress's own
  ``max_request_body_size`` refuses a larger ``Content-Length`` before a byte
  of the body is read, and a chunked body as soon as it passes the limit.
  It is set just past Flask's limit, so Flask still answers whatever fits
  its own (the console's form errors, the API's JSON 413).
- **Slow clients.** Waitress stops accepting at ``connection_limit`` and
  closes a connection only after ``channel_timeout`` without a byte, so a
  client sending a byte now and then held a connection forever: about a
  hundred of them stopped the service. A connection that waits costs a
  socket and a few kilobytes, not a thread, so the limit is high, and a
  request must arrive in time: its headers within ``header_timeout_s`` of its
  first byte (of the connection, for a new one), its body within
  ``body_timeout_s`` of its headers. A connection idle after an answer is
  left to ``channel_timeout``, which is longer than nginx keeps an idle
  connection to an instance, so nginx never reuses one this side has closed.
- **Errors waitress answers itself** (malformed HTTP, too large) are JSON
  under ``/api/``, as docs/protocol.md §2 requires of every path there, and a
  sentence in Vietnamese and English elsewhere.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from flask import Flask
from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from .errors import STATUS_ERRORS, error_body

# Waitress counts a chunked body's framing too: the margin keeps a body Flask
# takes from being refused for the size of its chunk headers.
CHUNK_FRAMING = 64 * 1024
# Request line and headers: nginx passes at most 32 KiB; each waiting
# connection may hold this much in memory.
MAX_HEADER_BYTES = 64 * 1024
# A body up to this size waits in memory, a larger one in a temporary file: a
# kiosk's batch of 500 ratings (about 120 KB) stays in memory.
BODY_IN_MEMORY = 256 * 1024
# Idle after an answer: longer than nginx keeps an idle connection to an
# instance (keepalive_timeout, 60 s), so nginx closes it first.
IDLE_TIMEOUT_S = 120
# What a parser keeps of a request's first bytes, to find its path when waitress cannot.
START_BYTES = 1024
# Files a process opens besides its connections: database, logs, modules.
SPARE_FILES = 256

# The errors waitress may answer before the app sees a request, for /api/:
# those docs/protocol.md §2 lists come from STATUS_ERRORS.
API_ERRORS: dict[int, tuple[str, str]] = {
    **STATUS_ERRORS,
    431: ("headers_too_large", "The request line and headers are over 64 KiB; send fewer or shorter headers."),
    501: ("not_implemented", "Only the chunked transfer encoding is supported; send a Content-Length."),
}
PAGE_ERRORS: dict[int, str] = {
    400: "Yêu cầu HTTP không hợp lệ. / The HTTP request is malformed.",
    413: "Yêu cầu quá lớn; hãy gửi tệp nhỏ hơn. / The request is too large; send a smaller file.",
    431: "Phần đầu yêu cầu quá lớn. / The request's headers are too large.",
    501: "Máy chủ không hỗ trợ kiểu truyền này. / This transfer encoding is not supported.",
}
PAGE_ERROR = "Máy chủ không xử lý được yêu cầu này. / The server could not handle this request."


@dataclass(frozen=True)
class Limits:
    """How many connections a process keeps, and how long a request may take to arrive."""

    threads: int = 8
    connection_limit: int = 1000
    header_timeout_s: int = 20
    body_timeout_s: int = 60


class TimedParser(HTTPRequestParser):
    """Waitress's request parser, noting when the request began and when its headers were complete."""

    def __init__(self, adj):
        super().__init__(adj)
        # The channel makes a parser when the first byte of a request arrives.
        self.began = time.monotonic()
        self.headers_done_at: float | None = None
        self.start = b""

    def received(self, data: bytes) -> int:
        if len(self.start) < START_BYTES:
            self.start = (self.start + data)[:START_BYTES]
        consumed = super().received(data)
        if self.headers_finished and self.headers_done_at is None:
            self.headers_done_at = time.monotonic()
        return consumed

    def requested_path(self) -> str:
        """The path of the request line as it came, also where waitress put its own in place (431)."""
        words = self.start.lstrip().split(b"\r\n", 1)[0].split(b" ")
        return urlsplit(words[1].decode("latin-1")).path if len(words) > 1 else ""


class ProtocolErrorTask(ErrorTask):
    """Waitress's own error answer, in the API's JSON under /api/ and in both languages elsewhere."""

    def execute(self) -> None:
        error = self.request.error
        # A request whose first line could not be read has no path: it gets the sentence.
        path = self.request.requested_path()
        if path == "/api" or path.startswith("/api/"):
            code, message = API_ERRORS.get(error.code, ("error", "The request failed."))
            body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
            content_type = "application/json"
        else:
            body = (PAGE_ERRORS.get(error.code, PAGE_ERROR) + "\n").encode()
            content_type = "text/plain; charset=utf-8"
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", content_type))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class DeadlineChannel(HTTPChannel):
    """A connection that must deliver its request in time (``Limits``), else is closed.

    Checked on every turn of waitress's loop, which turns at least once a second.
    """

    parser_class = TimedParser
    error_task_class = ProtocolErrorTask
    header_timeout_s: float = Limits.header_timeout_s
    body_timeout_s: float = Limits.body_timeout_s
    # Whether a request was answered on this connection: an idle one is then nginx's.
    served = False

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        self.opened = time.monotonic()

    def service(self) -> None:
        # Set before the request is taken off the queue: never a moment where an
        # answered connection looks like one that has yet to send its first request.
        self.served = True
        super().service()

    def readable(self) -> bool:
        if self.overdue(time.monotonic()):
            # writable() now says yes, and handle_write() closes the connection.
            self.will_close = True
            return False
        return super().readable()

    def overdue(self, now: float) -> bool:
        """Whether the request this connection is sending is late at ``now``."""
        if self.requests or self.will_close or self.close_when_flushed:
            return False
        request = self.request
        if request is None:
            return not self.served and now - self.opened > self.header_timeout_s
        if request.headers_done_at is None:
            return now - request.began > self.header_timeout_s
        return now - request.headers_done_at > self.body_timeout_s


def max_body_bytes(app: Flask) -> int:
    """What waitress reads of a body at most: just past the app's own limit."""
    return app.config["MAX_CONTENT_LENGTH"] + CHUNK_FRAMING


def open_files_needed(limits: Limits) -> int:
    # A connection whose body waits in a temporary file holds two files.
    return 2 * limits.connection_limit + SPARE_FILES


def fit_open_files(limits: Limits) -> Limits:
    """``limits`` once the process may open the files they need: its own limit raised, else fewer connections.

    systemd starts a service with a soft limit of 1024 files; the process
    raises it up to the hard limit, unless a seccomp filter denies the call
    (``SystemCallFilter=~@resources``), where only the unit's ``LimitNOFILE=``
    can. Short of files, the process keeps the connections it can serve
    rather than failing on its 1025th socket, and says so.
    """
    needed = open_files_needed(limits)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return limits
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    except (OSError, ValueError):
        pass
    if soft >= needed:
        return limits
    fitting = max(1, (soft - SPARE_FILES) // 2)
    print(
        f"Tiến trình chỉ được mở {soft} tệp (LimitNOFILE): giữ tối đa {fitting} kết nối thay vì "
        f"{limits.connection_limit} (ADMIN_CONNECTION_LIMIT). / The process may open only {soft} files "
        f"(LimitNOFILE): keeping at most {fitting} connections instead of {limits.connection_limit} "
        "(ADMIN_CONNECTION_LIMIT).",
        file=sys.stderr, flush=True,
    )
    return replace(limits, connection_limit=fitting)


def make_server(app: Flask, host: str, port: int, limits: Limits):
    """A waitress server for ``app`` on ``host``:``port``, bound and ready to ``run()``."""
    limits = fit_open_files(limits)
    channel = type("Channel", (DeadlineChannel,), {
        "header_timeout_s": limits.header_timeout_s,
        "body_timeout_s": limits.body_timeout_s,
    })
    socket_map: dict = {}
    server = create_server(
        app,
        map=socket_map,
        host=host,
        port=port,
        threads=limits.threads,
        connection_limit=limits.connection_limit,
        channel_timeout=IDLE_TIMEOUT_S,
        # Waitress refuses a body of this size and more.
        max_request_body_size=max_body_bytes(app) + 1,
        max_request_header_size=MAX_HEADER_BYTES,
        inbuf_overflow=BODY_IN_MEMORY,
        # select() cannot watch a socket numbered past 1023; poll() can.
        asyncore_use_poll=True,
    )
    # One listener per address the host name gives; each makes its connections of this class.
    for listener in socket_map.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server
