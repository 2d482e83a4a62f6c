"""The uploader: a background thread that empties the outbox into the central service.

Each round fetches the config when needed (``If-None-Match``), sends duty
events, then ratings in batches of up to 500, oldest first (the duty events
made meanwhile before each batch), fetches changed
officer photos, and sends a heartbeat every ``heartbeat_s``. A rating is
deleted only once the server acknowledged it; rejected ones are set aside.

Timing (docs/protocol.md §4): a press wakes the thread at once, so a rating goes
out within a second while the central service answers. After a failure the
thread waits with exponential backoff and jitter, never longer than
``retry_max_s`` (60 s), and presses do not shorten the wait, so a thousand
presses during an outage do not make a thousand attempts. A ``Retry-After``
from a 429 or 503 is honoured (up to ten minutes): the server answered and
asked for the pause.

A request that the service refuses as a whole, in the protocol's JSON
(400, 413, 422), is split in halves until the one item it cannot take is
found; that item is set aside with the service's error, so one bad rating
never blocks the others, but only when the error is one that a single item
can cause (``ITEM_REFUSALS``): a one-rating batch refused as too large, or an
answer that is not the protocol's at all (a proxy's HTML page, central.py),
keeps every rating and is tried again later. While uploads fail so, the
heartbeat says why (``upload_error``) when it gets through.
"""
from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from . import __version__
from .central import Central, CentralError, Refused, Unauthorized, Unavailable, parse_server_time
from .service import KioskService, check_central_config, local_now_iso

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 1.0
RETRY_AFTER_MAX_S = 600.0
DEFAULT_HEARTBEAT_S = 60.0
# The refusals of a whole request (docs/protocol.md §2) that one item's content can cause: an id
# that is no UUID, an item that is no object. Any other (too large, malformed JSON, an empty batch,
# a code this kiosk does not know) is not that item's fault, so it never sets one aside.
ITEM_REFUSALS = ("invalid_id", "bad_shape")
UPLOAD_ERROR_MAX = 300


def backoff_s(failures: int, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling from 1 s up to ``cap``, half of it random."""
    ceiling = min(cap, BACKOFF_FIRST_S * 2 ** min(failures - 1, 30))
    return ceiling * (0.5 + 0.5 * rng())


def utc_iso(at: float) -> str:
    """Unix time as ``2026-11-27T02:10:00Z`` (what ``status`` prints)."""
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Uploader(threading.Thread):
    """Sends what the outbox holds; ``start()``, ``wake()`` after a press, ``stop()`` at the end."""

    def __init__(self, service: KioskService, central: Central, *, retry_max_s: float = 60.0,
                 batch_size: int = 500, clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random) -> None:
        super().__init__(name="kiosk-uploader", daemon=True)
        self.service = service
        self.outbox = service.outbox
        self.central = central
        self.retry_max_s = retry_max_s
        self.batch_size = batch_size
        self._clock = clock
        self._rng = rng
        self._started_at = time.monotonic()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._failures = 0
        self._next_heartbeat = 0.0
        self._config_stale = True
        self._central_state: str | None = None
        # Photos that could not be fetched, tried again at the next heartbeat, not every round.
        self._photo_failed: set[int] = set()
        # Why the last upload failed while the rest of the round went through (the heartbeat says it).
        self._upload_error: str | None = None
        service.set_waker(self.wake)

    def wake(self) -> None:
        """Something new may be sent: start a round now, unless waiting out a failure."""
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        """End the thread after its current request and wait for it."""
        self._stopping.set()
        self._wake.set()
        self.service.set_waker(None)
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            delay = self.round()
            if self._failures:
                self._stopping.wait(delay)
            else:
                self._wake.wait(delay)

    def round(self) -> float:
        """One round of work; returns how long to wait before the next one."""
        try:
            delay = self._work()
        except Unauthorized as err:
            return self._failed("unauthorized", err)
        except Unavailable as err:
            delay = self._failed("unreachable", err)
            if err.retry_after is not None:
                delay = max(delay, min(err.retry_after, RETRY_AFTER_MAX_S))
            return delay
        except CentralError as err:
            return self._failed("unreachable", err)
        except (sqlite3.Error, OSError) as err:
            # The outbox itself failed (a damaged page, the disk): the thread lives on, the watchdog
            # stops (notify.py) and the restart sets a damaged outbox aside (outbox_rescue.py).
            self.outbox.note_failure(err)
            log.exception("the outbox failed during an upload round")
            return self.retry_max_s
        self._failures = 0
        self._set_central("ok", None)
        return delay

    def _failed(self, state: str, err: Exception) -> float:
        self._failures += 1
        self._set_central(state, str(err))
        if self._failures == 1:
            log.warning("central service: %s", err)
        return backoff_s(self._failures, self.retry_max_s, self._rng)

    def _set_central(self, state: str, error: str | None) -> None:
        # Written on change only: the SD card is not worn by a write per round.
        if state != self._central_state:
            self._central_state = state
            self.outbox.set_meta({"central": state, "central_at": utc_iso(self._clock()), "central_error": error})

    def _work(self) -> float:
        config, _ = self.service.config_snapshot()
        if config is None or self._config_stale:
            self._fetch_config()
        try:
            self._send_ratings()
        except Unavailable as err:
            # The heartbeat still goes when due, to tell the central service why nothing arrives.
            failed: Unavailable | None = err
            self._upload_error = str(err)
        else:
            failed = None
            self._upload_error = None
        self._fetch_photos()
        now = time.monotonic()
        if now >= self._next_heartbeat:
            try:
                self._heartbeat()
                self._next_heartbeat = now + self._heartbeat_s()
            except CentralError:
                # After a failed upload, the upload's failure is the one to report and back off from.
                if failed is None:
                    raise
        if failed is not None:
            raise failed
        waits = [self._next_heartbeat - time.monotonic(), self.retry_max_s]
        next_sendable = self.outbox.next_sendable_at(self._clock())
        if next_sendable is not None:
            waits.append(next_sendable - self._clock() + 0.05)
        return max(0.05, min(waits))

    def _heartbeat_s(self) -> float:
        config, _ = self.service.config_snapshot()
        value = (config or {}).get("settings", {}).get("heartbeat_s", DEFAULT_HEARTBEAT_S)
        return float(value) if isinstance(value, (int, float)) and value > 0 else DEFAULT_HEARTBEAT_S

    def _record_clock(self, server_time: Any) -> None:
        server = parse_server_time(server_time)
        if server is not None:
            self.outbox.set_meta({"clock_offset_s": round(self._clock() - server, 3)})

    def _fetch_config(self) -> None:
        _, etag = self.service.config_snapshot()
        config, new_etag = self.central.get_config(etag)
        if config is not None:
            try:
                self.service.apply_config(check_central_config(config), new_etag)
            except ValueError as err:
                raise Unavailable(f"the central config cannot be used: {err}") from None
            self._record_clock(config.get("server_time"))
            self.service.forget_unlisted_photos()
        self._config_stale = False
        self.outbox.set_meta({"last_config": utc_iso(self._clock())})

    def _send(self, fetch, post, settle) -> None:
        """Send everything ``fetch(limit)`` gives, batch after batch, halving a batch the server refuses."""
        size = self.batch_size
        while not self._stopping.is_set():
            items = fetch(size)
            if not items:
                return
            try:
                result = post(items)
            except Refused as refused:
                if len(items) > 1:
                    size = max(1, len(items) // 2)
                    continue
                if refused.error.get("code") not in ITEM_REFUSALS:
                    raise Unavailable(f"the central service refused a single item as a whole request ({refused});"
                                      " it is kept and sent again later") from None
                result = {"acknowledged": [], "rejected": [{"id": items[0]["id"], "error": refused.error}]}
            settle(result["acknowledged"], result["rejected"])
            self.outbox.set_meta({"last_upload": utc_iso(self._clock())})
            answered = len(set(result["acknowledged"]) | {r["id"] for r in result["rejected"]})
            if answered < len(items):
                # The protocol answers every id; sending the rest again at once could loop forever.
                raise Unavailable(f"the central service left {len(items) - answered} of {len(items)} items unanswered")
            size = self.batch_size

    def _send_duty_events(self) -> None:
        self._send(self.outbox.sendable_duty_events, self.central.post_duty, self.service.settle_duty_events)

    def _send_ratings(self) -> None:
        """Send the pending ratings, each batch after the sign-ins and sign-outs pending before it."""

        def fetch(limit: int) -> list[dict[str, Any]]:
            # An officer may sign in while a backlog goes out: the sign-in goes before the
            # next batch, so the central service knows who was on duty when it checks them.
            self._send_duty_events()
            return self.outbox.sendable_ratings(self._clock(), limit)

        self._send(fetch, self.central.post_ratings, self.outbox.settle_ratings)

    def _fetch_photos(self) -> None:
        for officer_id, url in self.service.photos_wanted():
            if officer_id in self._photo_failed:
                continue
            try:
                data, content_type = self.central.get_photo(url)
            except (Refused, Unavailable) as err:
                # The photo is decoration: a missing one must not hold ratings back.
                log.warning("photo of officer %s: %s", officer_id, err)
                self._photo_failed.add(officer_id)
                continue
            self.service.store_photo(officer_id, url, data, content_type)

    def heartbeat_body(self) -> dict[str, Any]:
        """The heartbeat of docs/protocol.md §2 from the outbox's state now.

        With two fields a service that predates them ignores: ``upload_error``, why the last
        upload failed (null when it went through), and ``outbox_replaced_at``, when this outbox
        was begun in place of a damaged or lost one (null when never; ``outbox_rescue.py``).
        """
        counts = self.outbox.counts()
        replaced = self.outbox.get_meta("outbox_replaced")
        return {
            "version": __version__,
            "outbox_depth": counts["outbox_depth"],
            "rejected": counts["rejected"],
            "last_seq": self.outbox.get_meta("last_seq", 0),
            "uptime_s": int(time.monotonic() - self._started_at),
            "clock": local_now_iso(self._clock()),
            "on_duty_officer_id": self.service.on_duty_officer_id(),
            # A sentence, not a page: an error quoting a long address is cut.
            "upload_error": None if self._upload_error is None else self._upload_error[:UPLOAD_ERROR_MAX],
            "outbox_replaced_at": replaced.get("at") if isinstance(replaced, dict) else None,
        }

    def _heartbeat(self) -> None:
        answer = self.central.heartbeat(self.heartbeat_body())
        self._record_clock(answer.get("server_time"))
        self.outbox.set_meta({"last_heartbeat": utc_iso(self._clock())})
        # A photo that failed is tried again once a heartbeat.
        self._photo_failed.clear()
        config, _ = self.service.config_snapshot()
        if answer.get("config_version") != (config or {}).get("config_version"):
            self._fetch_config()
