"""Tell systemd how the kiosk is doing: ``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``.

The kiosk unit is ``Type=notify`` with ``WatchdogSec=``: systemd counts the
kiosk as started only once it says ``READY=1`` (after waitress is listening),
and kills and restarts it when ``WATCHDOG=1`` stops coming. The watchdog
thread pings only while the outbox is usable (``outbox_usable``): no write of
the kiosk's own has failed since it started (a press included), the
database takes a write lock, and SQLite's ``PRAGMA quick_check`` finds every
page sound. So a kiosk that can no longer commit a press (SD card remounted
read-only, file gone, database stuck, a damaged page) is restarted instead of
thanking citizens for ratings it cannot keep, and the restart sets a damaged
outbox aside (``outbox_rescue.py``).

The protocol is a datagram to the AF_UNIX socket named in ``$NOTIFY_SOCKET``
(``@name`` for an abstract one), as in sd_notify(3); plain standard library,
so nothing new to install on the Pi. Outside systemd every call does nothing.
"""
from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable

from .outbox import Outbox

log = logging.getLogger(__name__)

# The share of the watchdog's time that reading the whole outbox may take (see ``Watchdog``).
CHECK_SHARE = 0.01


def notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``message`` (``"READY=1"``, ...) to systemd; False when there is no one to tell."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        # An abstract socket: its name starts with a NUL byte instead of "@".
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode(), address)
    except OSError as err:
        log.warning("systemd notification %r not sent: %s", message, err)
        return False
    return True


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between two ``WATCHDOG=1`` (half of ``WatchdogSec=``), or None without a watchdog for us."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    # WATCHDOG_PID names the process systemd watches; a child that inherited it must keep quiet.
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2_000_000


def outbox_usable(outbox: Outbox, timeout_s: float, *, read_pages: bool = True) -> bool:
    """Whether ``outbox`` may be trusted with the next press: none of its writes failed,
    ``outbox_writable`` holds for its file now, and (``read_pages``) ``outbox_pages_sound``."""
    if outbox.failing is not None:
        log.error("outbox %s failed since the kiosk started (%s): no watchdog ping", outbox.path, outbox.failing)
        return False
    if not outbox_writable(outbox.path, timeout_s):
        return False
    return not read_pages or outbox_pages_sound(outbox.path, timeout_s)


def outbox_writable(path: Path, timeout_s: float) -> bool:
    """Whether the outbox database at ``path`` takes a write now.

    A connection of its own, opened read-write without creating the file.
    ``BEGIN IMMEDIATE`` takes SQLite's write lock (it times out while another
    writer is stuck); a table made and rolled back inside it fails on a
    read-only file or file system, where SQLite quietly opened the file for
    reading only. The rollback leaves the disk untouched: the SD card wears
    no faster for it.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout_s,
                               isolation_level=None)
    except sqlite3.Error as err:
        log.error("outbox %s cannot be opened for writing: %s", path, err)
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE watchdog_probe (x)")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.Error as err:
        log.error("outbox %s is not writable: %s", path, err)
        return False
    finally:
        conn.close()


def outbox_pages_sound(path: Path, timeout_s: float) -> bool:
    """Whether SQLite's ``PRAGMA quick_check`` finds every page of the outbox at ``path`` sound.

    It reads the whole file (a damaged page that no press has reached yet
    included) on a connection of its own, without blocking the kiosk's writes
    (WAL). Milliseconds for a few thousand ratings, half a second for 100,000
    waiting after weeks offline (bench/kiosk_outbox_check.py): ``Watchdog``
    spaces the checks so that they take at most ``CHECK_SHARE`` of its time.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout_s)
    except sqlite3.Error as err:
        log.error("outbox %s cannot be opened: %s", path, err)
        return False
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.Error as err:
        found = [f"{type(err).__name__}: {err}"]
    finally:
        conn.close()
    if found != ["ok"]:
        log.error("outbox %s is damaged: %s", path, "; ".join(found[:3]))
        return False
    return True


class Watchdog:
    """A daemon thread that sends ``WATCHDOG=1`` every ``interval`` seconds while ``outbox_usable``.

    The write probe runs before every ping; the page check (``outbox_pages_sound``)
    too, unless the last one took so long that running it again now would spend
    more than ``CHECK_SHARE`` of the time on it: a large outbox is read whole
    less often (every 50 s for 100,000 ratings), a small one before every ping.
    """

    def __init__(self, outbox: Outbox, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.outbox = outbox
        self.interval = interval
        self._clock = clock
        self._next_page_check = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="systemd-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """End the thread; waits at most one interval."""
        self._stop.set()
        self._thread.join(self.interval + 1)

    def check(self) -> bool:
        """One check before a ping: whether to send it."""
        started = self._clock()
        read_pages = started >= self._next_page_check
        # The check may wait for a busy writer, but never past the next ping.
        usable = outbox_usable(self.outbox, timeout_s=self.interval / 2, read_pages=read_pages)
        if read_pages:
            self._next_page_check = started + (self._clock() - started) / CHECK_SHARE
        return usable

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.check():
                notify("WATCHDOG=1")
            self._stop.wait(self.interval)
