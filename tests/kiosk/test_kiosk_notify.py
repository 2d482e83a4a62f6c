"""systemd notifications of the kiosk: READY=1, WATCHDOG=1 while the outbox is writable, STOPPING=1.

The real ``python -m kiosk`` runs with ``NOTIFY_SOCKET`` naming a real
AF_UNIX datagram socket that the test reads, as systemd does.
"""
from __future__ import annotations

import os
import socket
import sqlite3

import requests

from kiosk import notify

from .kiosk_support import (
    WATCHDOG_USEC, damage_page_under_a_running_kiosk, first_message, open_service, received, start_kiosk,
)


def test_kiosk_notify_ready_once_serving_then_watchdog_then_stopping(tmp_path, notify_socket):
    sock, path = notify_socket
    kiosk = start_kiosk(tmp_path, path)
    try:
        ready = first_message(sock, "READY=1")
        # READY=1 means the screen answers now, without waiting.
        assert requests.get(f"{kiosk.url}/state", timeout=2).ok
        assert f"STATUS=http://127.0.0.1:{kiosk.port}/" in ready.splitlines()
        pings = [m for m in received(sock, 1.5) if m == "WATCHDOG=1"]
        assert len(pings) >= 4, pings
        print(f"\nREADY=1 then {len(pings)} WATCHDOG=1 in 1.5 s (WATCHDOG_USEC={WATCHDOG_USEC})")
        assert kiosk.terminate() == 0
        assert "STOPPING=1" in received(sock, 0.3)
    finally:
        kiosk.kill()


def test_kiosk_watchdog_stops_while_outbox_not_writable(tmp_path, notify_socket):
    sock, path = notify_socket
    kiosk = start_kiosk(tmp_path, path, drop_root_powers=True)
    proc = kiosk.proc

    def outbox_mode(mode: int) -> None:
        # The database, its WAL and its shared memory, as a file system remounted read-only leaves them.
        for file in kiosk.data_dir.glob("outbox.db*"):
            file.chmod(mode)

    try:
        first_message(sock, "READY=1")
        first_message(sock, "WATCHDOG=1")
        outbox_mode(0o444)
        received(sock, 0.5)  # a check already under way may still ping
        assert "WATCHDOG=1" not in received(sock, 1.5)
        assert kiosk.proc.poll() is None  # systemd, not the kiosk, decides to restart it
        outbox_mode(0o644)
        first_message(sock, "WATCHDOG=1", timeout=5)
    finally:
        outbox_mode(0o644)
        kiosk.kill()
    assert "is not writable" in proc.stderr.read()


def test_kiosk_watchdog_stops_while_another_writer_holds_the_outbox(tmp_path):
    db = tmp_path / "outbox.db"
    sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").connection.close()
    assert notify.outbox_writable(db, timeout_s=0.1)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert not notify.outbox_writable(db, timeout_s=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not notify.outbox_writable(tmp_path / "gone.db", timeout_s=0.1)
    assert not (tmp_path / "gone.db").exists()


def test_kiosk_notify_abstract_socket_and_watchdog_owner():
    name = f"hailong-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert notify.notify("READY=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(100) == b"READY=1"
    assert not notify.notify("READY=1", {})
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    # A child that inherited its parent's watchdog variables must not ping for it.
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert notify.watchdog_interval({}) is None


def test_kiosk_watchdog_reads_a_large_outbox_less_often(tmp_path):
    service = open_service(tmp_path)
    for _ in range(400):
        service.outbox.add_rating(score=3, officer_id=None, source="touch", created_at="x", sendable_at=0,
                                  awaiting_reasons=False)
    # A page check that takes 1 s (a large outbox on a slow card) is spaced 1 / CHECK_SHARE s apart.
    times = iter([0.0, 1.0, 15.0, 30.0, 100.0, 100.5])
    watchdog = notify.Watchdog(service.outbox, 15.0, clock=lambda: next(times))
    assert watchdog.check()
    damage_page_under_a_running_kiosk(tmp_path / "outbox.db")
    assert watchdog.check() and watchdog.check(), "the write probe alone between two page checks"
    assert not watchdog.check(), "the page check, 1 / CHECK_SHARE s after the last: the damaged page"
    assert notify.CHECK_SHARE == 0.01
    service.close()
