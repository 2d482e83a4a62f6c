"""Shared helpers of the kiosk tests: a central config, a kiosk service, a real central service process.

``central_config()`` is what GET /api/v1/kiosk/config answers, for tests
that need a kiosk without a central service (the screen, the buttons);
``CentralProcess`` runs the real central service (``python -m admin``) in
its own process on a temporary SQLite database, for end-to-end tests.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import requests
from waitress import create_server
from werkzeug.security import generate_password_hash

from kiosk.service import KioskService
from ..ports_support import free_port

ROOT = Path(__file__).resolve().parents[2]

# PINs of the two officers of central_config(); hashed once, as the central service does.
PIN_AN = "1234"
PIN_BINH = "9876"
_PIN_HASHES = {
    PIN_AN: generate_password_hash(PIN_AN),
    PIN_BINH: generate_password_hash(PIN_BINH),
}

CONFIG: dict[str, Any] = {
    "config_version": "test-1",
    "server_time": "2026-11-27T02:10:00Z",
    "kiosk": {"id": 7, "name": "Xã Mai Trung — quầy 2"},
    "desk": {"id": 3, "name": "Quầy 2 — Đất đai", "unit": {"id": 1, "name": "UBND xã Mai Trung"}},
    "scale": {
        "levels": [
            {"score": 1, "label": {"vi": "Không hài lòng", "en": "Not satisfied"}},
            {"score": 2, "label": {"vi": "Hài lòng", "en": "Satisfied"}},
            {"score": 3, "label": {"vi": "Rất hài lòng", "en": "Very satisfied"}},
        ],
        "satisfied_from": 2,
        "ask_reasons_at_or_below": 1,
    },
    "reasons": [
        {"code": "slow", "label": {"vi": "Chậm trễ, kéo dài", "en": "Slow, kept waiting"}, "integrity": False},
        {"code": "attitude", "label": {"vi": "Thái độ chưa đúng mực", "en": "Impolite or careless"}, "integrity": False},
        {"code": "bribe", "label": {"vi": "Vòi vĩnh, đòi tiền ngoài quy định", "en": "Asked for an unofficial payment"},
         "integrity": True},
        {"code": "other", "label": {"vi": "Lý do khác", "en": "Other"}, "integrity": False},
    ],
    "officers": [
        {"id": 12, "code": "MT-012", "name": "Nguyễn Văn An", "title": "Công chức địa chính",
         "photo_url": None, "pin_hash": _PIN_HASHES[PIN_AN]},
        {"id": 13, "code": "MT-013", "name": "Trần Thị Bình", "title": "Công chức tư pháp",
         "photo_url": None, "pin_hash": _PIN_HASHES[PIN_BINH]},
    ],
    "on_duty": {"officer_id": 12, "since": "2026-11-27T01:00:00Z"},
    "settings": {"cooldown_s": 5, "thanks_s": 4, "reasons_timeout_s": 20, "heartbeat_s": 60,
                 "languages": ["vi", "en"], "accept_without_officer": False},
    "public_board_url": "https://danhgia.example.gov.vn/cong-khai",
}


def central_config(*, on_duty: int | None = 12, **settings: Any) -> dict[str, Any]:
    """A central config like the central service sends: officers 12 (PIN 1234, on duty) and 13 (PIN 9876).

    ``settings`` override the kiosk settings (``cooldown_s=0``, ``accept_without_officer=True``, ...);
    ``on_duty=None`` leaves the desk without a scheduled officer.
    """
    config = copy.deepcopy(CONFIG)
    config["settings"].update(settings)
    config["on_duty"] = None if on_duty is None else {"officer_id": on_duty, "since": "2026-11-27T01:00:00Z"}
    return config


def open_service(data_dir: Path, config: dict[str, Any] | None = None) -> KioskService:
    """A kiosk service in ``data_dir``, running ``config`` (central_config() by default)."""
    service = KioskService.open(data_dir)
    service.apply_config(central_config() if config is None else config)
    return service


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def send_answer(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    """Write one whole HTTP response on ``handler`` (the test servers below)."""
    handler.send_response(status)
    for k, v in headers.items():
        if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
            handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class CentralProcess:
    """The real central service (``python -m admin``) on a SQLite file in ``workdir``.

    ``setup()`` creates the schema, the demo province and one kiosk at desk 1
    (``token``); ``start()``/``stop()`` run and end the server process, on the
    same port and database every time, so a test can take it down and up.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = workdir / "central.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.kiosk_id = 0
        self.proc: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "ADMIN_DATABASE_URL": f"sqlite:///{self.db_path}",
            "ADMIN_HOST": "127.0.0.1",
            "ADMIN_PORT": str(self.port),
            "ADMIN_SECRET_KEY": "kiosk-tests",
            "ADMIN_INSECURE_COOKIES": "1",
        }

    def flask(self, *args: str) -> str:
        """Run ``flask --app admin ARGS`` on this database; its standard output."""
        return self.flask_input("", *args)

    def flask_input(self, stdin: str, *args: str) -> str:
        """Run ``flask --app admin ARGS`` with ``stdin`` on this database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "admin", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120, input=stdin,
        )
        if done.returncode != 0:
            raise AssertionError(f"flask {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def setup(self, **settings: Any) -> None:
        """Schema, demo province, a kiosk at desk 1 and the kiosk ``settings`` (e.g. ``cooldown_s=0``)."""
        self.flask("init-db")
        self.flask("seed-demo")
        self.token = self.register_kiosk("Kiosk kiểm thử")
        if settings:
            self.flask("kiosk-settings", *(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                                           for k, v in settings.items()))
        self.kiosk_id = self.query("SELECT id FROM kiosks ORDER BY id DESC LIMIT 1")[0][0]

    def register_kiosk(self, name: str) -> str:
        """Register another kiosk at desk 1; its token."""
        return self.flask("register-kiosk", "--desk", "1", "--name", name).strip().splitlines()[-1]

    def add_kiosk(self, name: str) -> tuple[str, int]:
        """Register another kiosk at desk 1 (through the admin app, faster than the command); token and id."""
        from admin import create_app
        from admin.db import db, write_transaction
        from admin.kiosks import register_kiosk
        from admin.models import Desk

        app = create_app({"SQLALCHEMY_DATABASE_URI": self.env["ADMIN_DATABASE_URL"], "SECRET_KEY": "kiosk-tests"})
        with app.app_context():
            # The write lock before reading: the running service may write in between.
            write_transaction()
            kiosk, token = register_kiosk(db.session.get(Desk, 1), name)
            db.session.commit()
            kiosk_id = kiosk.id
            db.engine.dispose()
        return token, kiosk_id

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "admin"], env=self.env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

        def answers() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the central service exited: {self.proc.stderr.read().decode()}")
            try:
                return requests.get(f"{self.url}/healthz", timeout=1).ok
            except requests.RequestException:
                return False

        wait_for(answers, 30, "the central service to answer")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """End the server (SIGTERM) and wait for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` on the central database (read directly, as a report would)."""
        import sqlite3

        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def rating_counts(self, kiosk_id: int | None = None) -> tuple[int, int, int]:
        """(rows, distinct UUIDs, distinct seq) of a kiosk's ratings (the first kiosk's by default)."""
        return self.query(
            "SELECT count(*), count(DISTINCT uuid), count(DISTINCT seq) FROM ratings WHERE kiosk_id = ?",
            (kiosk_id or self.kiosk_id,),
        )[0]


class Canned:
    """A tiny HTTP server answering every request with one canned response (what the real one never sends)."""

    def __init__(self) -> None:
        self.status, self.headers, self.body = 200, {}, b""
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                send_answer(self, canned.status, canned.headers, canned.body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def answer(self, status: int, body: bytes | dict = b"", **headers: str) -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body
        self.headers = {"Content-Type": "application/json", **headers}


class KioskProcess:
    """``python -m kiosk`` in its own process, with mock pins, data and config in ``workdir``."""

    def __init__(self, workdir: Path, central_url: str, token: str, *, retry_max_s: float = 1.0) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = workdir / "kiosk.toml"
        self.data_dir = workdir / "data"
        self.write_config(central_url, token, retry_max_s=retry_max_s)
        self.env = {**os.environ, "KIOSK_CONFIG": str(self.config_path), "GPIOZERO_PIN_FACTORY": "mock",
                    "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen | None = None
        self.http = requests.Session()

    def write_config(self, central_url: str, token: str, *, retry_max_s: float = 1.0) -> None:
        """(Re)write the kiosk's TOML file."""
        self.config_path.write_text(
            f'central_url = "{central_url}"\ntoken = "{token}"\ndata_dir = "{self.data_dir}"\n'
            f"port = {self.port}\nretry_max_s = {retry_max_s}\n\n[gpio]\nbuttons = [17, 27, 22]\nack_led = 23\n",
            encoding="utf-8",
        )

    def start(self, view: str | None = "idle") -> None:
        """Start the kiosk; wait until its screen answers (with ``view`` when given)."""
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk"], env=self.env, cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the kiosk exited: {self.proc.stderr.read()}")
            try:
                state = self.http.get(f"{self.url}/state", timeout=2).json()
            except requests.RequestException:
                return False
            return view is None or state["view"] == view

        wait_for(ready, 30, f"the kiosk's screen ({view})")

    def press(self, score: int) -> dict[str, Any]:
        """A touch on the screen's button ``score``; the PressResult as JSON."""
        return self.http.post(f"{self.url}/press", json={"score": score}, timeout=10).json()

    def give_reasons(self, rating_id: str, codes: list[str]) -> bool:
        return self.http.post(f"{self.url}/reasons", json={"rating_id": rating_id, "reasons": codes},
                              timeout=10).json()["ok"]

    def command(self, *args: str, drop_root_powers: bool = False) -> subprocess.CompletedProcess:
        """``python -m kiosk ARGS`` (an operator command), finished; never a traceback."""
        command = [sys.executable, "-m", "kiosk", *args]
        done = subprocess.run(unprivileged(command) if drop_root_powers else command, env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def status(self, *args: str) -> dict[str, str]:
        """``python -m kiosk status ARGS`` as a dict of its lines."""
        return dict(line.split(": ", 1) for line in self.command("status", *args).stdout.splitlines())

    def kill(self) -> None:
        """SIGKILL: no goodbye, as a power cut."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def terminate(self) -> int:
        """SIGTERM, as systemd stops it; the exit code."""
        assert self.proc is not None
        self.proc.terminate()
        try:
            code = self.proc.wait(30)
        finally:
            self.proc.kill()
        self.proc = None
        return code


class Proxy:
    """An HTTP proxy to ``target`` on a port of its own (``url``); subclasses change what passes."""

    def __init__(self, target: str) -> None:
        self.target = target
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                own = proxy.answer_itself(self.path, body)
                if own is not None:
                    send_answer(self, own[0], {"Content-Type": own[2]}, own[1])
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(self.command, f"{proxy.target}{self.path}", data=body or None,
                                          headers=headers, timeout=30)
                if proxy.drop_answer(self.path, answer):
                    self.close_connection = True
                    return
                send_answer(self, answer.status_code, dict(answer.headers), answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def answer_itself(self, path: str, body: bytes) -> tuple[int, bytes, str] | None:
        """(status, body, Content-Type) to answer without asking ``target``; None forwards the request."""
        return None

    def drop_answer(self, path: str, answer: requests.Response) -> bool:
        """Whether to close the connection instead of passing ``target``'s answer on."""
        return False

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DroppingProxy(Proxy):
    """A proxy to ``target`` that loses the answer to the first ``drop`` rating uploads.

    The central service stores those ratings, but the kiosk never hears so:
    the connection closes without a response, as when the network fails on the way back.
    """

    def __init__(self, target: str, drop: int) -> None:
        self.dropped = 0
        self.drop = drop
        super().__init__(target)

    def drop_answer(self, path: str, answer: requests.Response) -> bool:
        if path == "/api/v1/ratings" and answer.ok and self.dropped < self.drop:
            self.dropped += 1
            return True
        return False


class RefusingProxy(Proxy):
    """A proxy to ``target`` that answers uploads to ``paths`` itself while ``refusal`` is set
    (status, body, Content-Type), as nginx, a captive portal or another proxy in between may;
    everything else is forwarded. ``heartbeats`` are the heartbeat bodies it forwarded."""

    def __init__(self, target: str, paths: tuple[str, ...] = ("/api/v1/ratings",)) -> None:
        self.paths = paths
        self.refusal: tuple[int, bytes, str] | None = None
        self.refused = 0
        self.heartbeats: list[dict[str, Any]] = []
        super().__init__(target)

    def answer_itself(self, path: str, body: bytes) -> tuple[int, bytes, str] | None:
        refusal = self.refusal
        if path in self.paths and refusal is not None:
            self.refused += 1
            return refusal
        if path == "/api/v1/kiosk/heartbeat":
            self.heartbeats.append(json.loads(body))
        return None


@contextlib.contextmanager
def serving(app, port: int = 0) -> Iterator[str]:
    """``app`` under waitress on 127.0.0.1 (a free port by default), as ``python -m kiosk`` serves it; yields its URL."""
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    stop = threading.Event()

    def run() -> None:
        # server.run() with a way out: the loop checks ``stop`` every 50 ms.
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        app.extensions["kiosk_streams"].close()
        stop.set()
        thread.join(10)
        server.asyncore.close_all(server._map)
        server.task_dispatcher.shutdown()


def stored_ratings(data_dir: Path) -> list[sqlite3.Row]:
    """The ratings on disk in the outbox of the kiosk in ``data_dir``, oldest first."""
    conn = sqlite3.connect(data_dir / "outbox.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT uuid, score, source, reasons FROM ratings ORDER BY seq").fetchall()
    finally:
        conn.close()


# systemd's notifications, as tests/kiosk/conftest.py's notify_socket fixture receives them.
WATCHDOG_USEC = 400_000  # a ping every 0.2 s


def received(sock: socket.socket, seconds: float) -> list[str]:
    """Every message that arrives on ``sock`` within ``seconds``."""
    messages, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            messages.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
    return messages


def first_message(sock: socket.socket, prefix: str, timeout: float = 30) -> str:
    """Wait for a message starting with ``prefix``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = sock.recv(4096).decode()
        except socket.timeout:
            continue
        if message.startswith(prefix):
            return message
    raise AssertionError(f"no {prefix} within {timeout} s")


def unprivileged(command: list[str]) -> list[str]:
    """``command`` without root's power to write read-only files (the kiosk user on a Pi has none)."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--inh-caps", "-all", "--",
            *command]


def start_kiosk(tmp_path: Path, notify_path: Path, *, drop_root_powers: bool = False) -> KioskProcess:
    """``python -m kiosk`` under a pretend systemd: NOTIFY_SOCKET and WATCHDOG_USEC set, no central service."""
    kiosk = KioskProcess(tmp_path / "kiosk", "http://127.0.0.1:9", "no-central-here")
    kiosk.env.update(NOTIFY_SOCKET=str(notify_path), WATCHDOG_USEC=str(WATCHDOG_USEC))
    command = [sys.executable, "-m", "kiosk"]
    if drop_root_powers:
        command = unprivileged(command)
    kiosk.proc = subprocess.Popen(command, env=kiosk.env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return kiosk


# A failing SD card, by hand.
def ratings_root_page(db: Path) -> tuple[int, int]:
    """(offset in the file, page size) of the page at the root of the ``ratings`` table."""
    conn = sqlite3.connect(db)
    try:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ratings'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return (root - 1) * size, size


def damage_page_under_a_running_kiosk(db: Path) -> None:
    """Garble the header of the ``ratings`` table's page in the file, as a failing SD card does.

    Everything in the journal is first written into the file (so the page is read from the file),
    and another connection then writes, so the kiosk's own connection reads its pages again.
    """
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        offset, _ = ratings_root_page(db)
        with open(db, "r+b") as f:
            f.seek(offset + 1)  # the page type stays; its free-block pointer and cell count go
            f.write(b"\xff" * 7)
        conn.execute("UPDATE meta SET value = value WHERE key = 'last_seq'")
    finally:
        conn.close()
