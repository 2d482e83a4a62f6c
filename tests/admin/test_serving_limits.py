"""``python -m admin`` against clients that send too much or too slowly (admin/serving.py).

Each test runs the real service in a process of its own, on a free port, and
talks to it over raw sockets, as such a client would. Its temporary files go
to a directory of the test (TMPDIR), so what it spools of a body can be seen:
the files it holds open there, read through /proc.

No bound here depends on the machine's speed: the deadlines are a few
seconds, the waits for what must happen are 30 s or more, and what the
broken service did (never answer, never close) fails them all the same.
"""
from __future__ import annotations

import json
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from admin import create_app
from admin.db import db
from admin.errors import STATUS_ERRORS
from admin.serving import CHUNK_FRAMING, max_body_bytes

from ..ports_support import free_port

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
# Generous: the fixed service answers in well under a second, the broken one never.
ANSWER_WITHIN_S = 30
SLOW_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: hailong\r\nX-Slow: "


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    """A SQLite file with the service's tables, shared by the module's servers."""
    url = f"sqlite:///{tmp_path_factory.mktemp('serving') / 'central.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "serving-tests"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


@pytest.fixture(scope="module")
def body_limit(database) -> int:
    """What the service reads of a body at most."""
    return max_body_bytes(create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "serving-tests"}))


class Service:
    """``python -m admin`` with ``settings`` in its environment and its temporary files in ``spool``."""

    def __init__(self, database: str, tmp_path: Path, **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.spool = tmp_path / "spool"
        self.spool.mkdir(parents=True)
        env = {**os.environ, "ADMIN_DATABASE_URL": database, "ADMIN_HOST": "127.0.0.1",
               "ADMIN_PORT": str(self.port), "ADMIN_SECRET_KEY": "serving-tests", "TMPDIR": str(self.spool),
               **settings}
        self.proc = subprocess.Popen([sys.executable, "-m", "admin"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        first_line = self.proc.stdout.readline()
        if not first_line.startswith("Hài Lòng: http"):
            self.stop()
            raise AssertionError(f"the service did not start: {first_line}{self.proc.stdout.read()}")

    def spooled(self) -> list[int]:
        """The sizes of the files the service holds open in its temporary directory."""
        sizes = []
        fd_dir = Path(f"/proc/{self.proc.pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd).startswith(str(self.spool)):
                    sizes.append(os.stat(fd).st_size)
            except OSError:
                continue  # closed meanwhile
        return sizes

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def serve(database, tmp_path):
    """Start the service with settings: ``serve(ADMIN_HEADER_TIMEOUT="2")``; stopped after the test."""
    started: list[Service] = []

    def start(**settings: str) -> Service:
        started.append(Service(database, tmp_path / str(len(started)), **settings))
        return started[-1]

    yield start
    for service in started:
        service.stop()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN_S)
    return sock


def answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of the answer on ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise AssertionError(f"connection closed without an answer: {data!r}")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", 0)):
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return int(status_line.split()[1]), headers, body


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the other side has closed the non-blocking ``sock`` (what it sent before is read and dropped)."""
    # recv rather than select(), which cannot watch a socket numbered past 1023.
    try:
        while sock.recv(65536):
            pass
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def readable(sock: socket.socket) -> bool:
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class SlowClients:
    """``count`` connections that send a request a byte every half second and never finish it."""

    def __init__(self, port: int, count: int, start: bytes = SLOW_REQUEST):
        self.socks = []
        for _ in range(count):
            sock = connect(port)
            sock.sendall(start)
            # Never waiting on one: a socket with a timeout waits for data before each recv.
            sock.setblocking(False)
            self.socks.append(sock)
        self.closed: set[int] = set()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def trickle(self) -> None:
        while not self.stopping.wait(0.5):
            for number, sock in enumerate(self.socks):
                if number in self.closed:
                    continue
                if closed_by_peer(sock):
                    self.closed.add(number)
                    continue
                try:
                    sock.send(b"a")
                except OSError:
                    self.closed.add(number)

    def wait_all_closed(self, within_s: float) -> int:
        """How many are still open after waiting up to ``within_s`` for the service to close them all."""
        deadline = time.monotonic() + within_s
        while len(self.closed) < len(self.socks) and time.monotonic() < deadline:
            time.sleep(0.2)
        return len(self.socks) - len(self.closed)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        for sock in self.socks:
            sock.close()


@pytest.fixture
def slow_clients():
    made: list[SlowClients] = []

    def make(port: int, count: int, start: bytes = SLOW_REQUEST) -> SlowClients:
        made.append(SlowClients(port, count, start))
        return made[-1]

    yield make
    for clients in made:
        clients.close()


# --- bodies -----------------------------------------------------------------------------


def announce(sock: socket.socket, path: str, length_header: str, content_type: str = "application/json") -> None:
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: hailong\r\nAuthorization: Bearer t\r\n"
                 f"Content-Type: {content_type}\r\n{length_header}\r\n\r\n".encode())


def test_api_body_announced_past_the_limit_refused_in_json_before_it_is_sent(serve):
    service = serve()
    with connect(service.port) as sock:
        announce(sock, "/api/v1/ratings", f"Content-Length: {300 * MIB}")
        status, headers, body = answer(sock)
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"error": {"code": "too_large", "message": STATUS_ERRORS[413][1]}}
    assert service.spooled() == [] and list(service.spool.iterdir()) == []


def test_console_body_announced_past_the_limit_refused_in_both_languages(serve):
    service = serve()
    with connect(service.port) as sock:
        announce(sock, "/officers/1/photo", f"Content-Length: {300 * MIB}", "multipart/form-data; boundary=x")
        status, headers, body = answer(sock)
    assert status == 413
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body.decode() == "Yêu cầu quá lớn; hãy gửi tệp nhỏ hơn. / The request is too large; send a smaller file.\n"
    assert service.spooled() == []


def test_chunked_body_refused_once_past_the_limit_spooling_no_more(serve, body_limit):
    service = serve()
    chunk = b"%x\r\n" % MIB + b"[" * MIB + b"\r\n"
    sent, largest_spool = 0, 0
    with connect(service.port) as sock:
        announce(sock, "/api/v1/ratings", "Transfer-Encoding: chunked")
        # Up to 64 MiB, stopping as soon as the service answers or hangs up.
        while sent < 64 * MIB and not readable(sock):
            try:
                sock.sendall(chunk)
            except OSError:
                break
            sent += MIB
            largest_spool = max([largest_spool, *service.spooled()])
        # What the service spooled stopped at its limit (plus one read of the socket).
        assert largest_spool <= body_limit + 64 * 1024
        assert sent < 64 * MIB
        status, headers, body = answer(sock)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "too_large"
    assert service.spooled() == []


def test_body_at_the_apps_own_limit_reaches_the_app(serve, body_limit):
    # Waitress reads it and Flask answers: the API's own 413, with its own sentence.
    service = serve()
    app_limit = body_limit - CHUNK_FRAMING
    response = requests.post(f"{service.url}/api/v1/ratings", data=b"[" * app_limit, timeout=ANSWER_WITHIN_S,
                             headers={"Authorization": "Bearer t", "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == {"code": "too_large",
                                        "message": "The body is over 1 MiB; send fewer items per request."}
    # One byte past what waitress reads is refused by waitress, from the header alone.
    with connect(service.port) as sock:
        announce(sock, "/api/v1/ratings", f"Content-Length: {body_limit + 1}")
        status, _, body = answer(sock)
    assert (status, json.loads(body)["error"]["message"]) == (413, STATUS_ERRORS[413][1])


@pytest.mark.parametrize("header, status, code", [
    ("Content-Length: many", 400, "bad_request"),
    ("Transfer-Encoding: gzip", 501, "not_implemented"),
    # Past 64 KiB of headers waitress reads no further, and forgets the path it was given.
    ("X-Padding: " + "a" * 70_000, 431, "headers_too_large"),
])
def test_what_waitress_refuses_under_api_answered_in_json(serve, header, status, code):
    service = serve()
    with connect(service.port) as sock:
        announce(sock, "/api/v1/ratings", header)
        answered, headers, body = answer(sock)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == code


def test_what_waitress_refuses_elsewhere_answered_in_both_languages(serve):
    service = serve()
    with connect(service.port) as sock:
        sock.sendall(b"GET /officers HTTP/1.1\r\nHost: hailong\r\nX-Padding: " + b"a" * 70_000 + b"\r\n\r\n")
        status, headers, body = answer(sock)
    assert status == 431
    assert body.decode() == "Phần đầu yêu cầu quá lớn. / The request's headers are too large.\n"


# --- slow clients -------------------------------------------------------------------------


def test_request_answered_while_300_slow_connections_are_open(serve, slow_clients):
    service = serve()
    slow_clients(service.port, 300)
    response = requests.get(f"{service.url}/healthz", timeout=ANSWER_WITHIN_S)
    assert response.status_code == 200


def test_request_answered_with_more_slow_connections_than_select_can_watch(serve, slow_clients):
    # Past 1,023 sockets a select() loop fails: the service must poll().
    service = serve(ADMIN_CONNECTION_LIMIT="1500")
    slow_clients(service.port, 1100)
    response = requests.get(f"{service.url}/healthz", timeout=ANSWER_WITHIN_S)
    assert response.status_code == 200


def test_slow_request_headers_cut_at_the_deadline_though_bytes_keep_coming(serve, slow_clients):
    service = serve(ADMIN_HEADER_TIMEOUT="2")
    clients = slow_clients(service.port, 20)
    assert clients.wait_all_closed(within_s=ANSWER_WITHIN_S) == 0


def test_slow_body_cut_at_the_deadline_though_bytes_keep_coming(serve, slow_clients):
    service = serve(ADMIN_BODY_TIMEOUT="2")
    start = b"POST /api/v1/ratings HTTP/1.1\r\nHost: hailong\r\nContent-Length: 100000\r\n\r\n{"
    clients = slow_clients(service.port, 20, start)
    assert clients.wait_all_closed(within_s=ANSWER_WITHIN_S) == 0


def test_silent_connection_cut_at_the_header_deadline(serve, slow_clients):
    service = serve(ADMIN_HEADER_TIMEOUT="2")
    with connect(service.port) as sock:
        assert sock.recv(1) == b""


def test_connection_limit_freed_by_the_deadline(serve, slow_clients):
    # Three times as many slow clients as connections kept: the deadline makes room.
    service = serve(ADMIN_CONNECTION_LIMIT="50", ADMIN_HEADER_TIMEOUT="2")
    slow_clients(service.port, 150)
    response = requests.get(f"{service.url}/healthz", timeout=ANSWER_WITHIN_S)
    assert response.status_code == 200


def test_idle_connection_after_an_answer_kept_past_the_header_deadline(serve):
    # nginx keeps idle connections to an instance for reuse: cutting one would fail its next request.
    service = serve(ADMIN_HEADER_TIMEOUT="1")
    with connect(service.port) as sock:
        for pause_s in (3, 0):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hailong\r\n\r\n")
            status, _, body = answer(sock)
            assert (status, json.loads(body)["status"]) == (200, "ok")
            time.sleep(pause_s)


@pytest.mark.parametrize("name, value, low, high", [
    ("ADMIN_CONNECTION_LIMIT", "nhiều", 10, 100000),
    ("ADMIN_CONNECTION_LIMIT", "5", 10, 100000),
    ("ADMIN_HEADER_TIMEOUT", "0", 1, 600),
    ("ADMIN_BODY_TIMEOUT", "-1", 1, 3600),
])
def test_bad_serving_setting_refused(name, value, low, high):
    result = subprocess.run([sys.executable, "-m", "admin"], cwd=ROOT, env={**os.environ, name: value},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"{name}={value!r} must be a whole number from {low} to {high}." in result.stderr
    assert "Traceback" not in result.stderr


def test_connection_limit_past_the_open_file_limit_lowered_and_said(database, tmp_path):
    # systemd's unit may forbid raising the limit (SystemCallFilter=~@resources), or set it low:
    # the service keeps the connections it has files for, says so, and serves.
    def low_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))

    port = free_port()
    env = {**os.environ, "ADMIN_DATABASE_URL": database, "ADMIN_HOST": "127.0.0.1", "ADMIN_PORT": str(port),
           "ADMIN_SECRET_KEY": "serving-tests", "ADMIN_CONNECTION_LIMIT": "1000"}
    proc = subprocess.Popen([sys.executable, "-m", "admin"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=low_file_limit)
    try:
        assert proc.stdout.readline().startswith("Hài Lòng: http")
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=ANSWER_WITHIN_S).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    stderr = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert ("The process may open only 512 files (LimitNOFILE): keeping at most 128 connections instead of 1000 "
            "(ADMIN_CONNECTION_LIMIT).") in stderr
    assert "Traceback" not in stderr
