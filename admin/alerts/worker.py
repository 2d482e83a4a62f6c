"""The alert worker: a thread in every central process that files complaints and sends alerts.

It makes a pass every ``poll_s`` seconds, and at once when this process
stores a complaint (``wake_alert_worker``), so an inspector hears of a case
within seconds; the poll catches complaints that other processes stored
and retries that fell due. A pass files every waiting complaint into its
case (``cases.file_complaints``), runs the watch rules when they are due
(every ``every_s`` of the watch settings, ``watch_rules``), and sends every
delivery that is due.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from functools import partial
from typing import NamedTuple

from flask import Flask, current_app

from ..cases import file_complaints
from ..db import db
from ..watch_rules import WATCH_SETTINGS, run_watch
from . import ALERT_SETTINGS
from .deliveries import BATCH, Send, send_due
from .mail import send_email
from .webhook import post_webhook

log = logging.getLogger(__name__)

EXTENSION = "hailong.alerts"
# Wait this long before the next pass after one failed (the database was down).
FAILED_PASS_WAIT_S = 5.0


class Pass(NamedTuple):
    """What one pass did: complaints filed, deliveries sent, tries that failed, watch alerts opened."""

    filed: int
    sent: int
    failed: int
    watched: int = 0


def senders(app: Flask) -> dict[str, Send]:
    """The channels set up in ``app``'s configuration, each with the function that sends on it."""
    out: dict[str, Send] = {}
    if app.config.get("SMTP_HOST"):
        out["email"] = partial(send_email, app.config)
    if app.config.get("WEBHOOK_URL"):
        out["webhook"] = partial(post_webhook, app.config)
    return out


def run_pass(app: Flask, watch: bool = False) -> Pass:
    """File every waiting complaint, run the watch rules if ``watch``, then send every delivery that is due."""
    with app.app_context():
        try:
            filed = 0
            while batch := file_complaints():
                filed += batch
            watched = run_watch() if watch else 0
            sent = failed = 0
            channels = senders(app)
            while True:
                ok, bad = send_due(channels)
                sent, failed = sent + ok, failed + bad
                if ok + bad < BATCH:
                    return Pass(filed, sent, failed, watched)
        finally:
            db.session.remove()


class AlertWorker:
    """Runs ``run_pass`` on its own thread, every ``poll_s`` seconds or when woken."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watched_at = -math.inf

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hailong-alerts", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Make a pass now (a complaint was just stored)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the pass: a wake during it makes another pass at once.
            self._wake.clear()
            try:
                with self.app.app_context():
                    wait = ALERT_SETTINGS.load()["poll_s"]
                    watch_every = WATCH_SETTINGS.load()["every_s"]
                    db.session.remove()
                watch = time.monotonic() - self._watched_at >= watch_every
                if watch:
                    self._watched_at = time.monotonic()
                run_pass(self.app, watch)
                if watch:
                    wait = min(wait, watch_every)
            except Exception:
                log.exception("An alert pass failed; trying again in %.0f s", FAILED_PASS_WAIT_S)
                wait = FAILED_PASS_WAIT_S
            self._wake.wait(wait)


def start_alert_worker(app: Flask) -> AlertWorker:
    """Start ``app``'s alert worker (``python -m admin`` does, for every process)."""
    worker = AlertWorker(app)
    app.extensions[EXTENSION] = worker
    worker.start()
    return worker


def wake_alert_worker() -> None:
    """Wake the current app's alert worker, if it runs one (the test apps and commands do not)."""
    worker = current_app.extensions.get(EXTENSION)
    if worker is not None:
        worker.wake()
