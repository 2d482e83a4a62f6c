"""The kiosk's domain functions: what a press, a reason or a sign-in does.

Both the touch screen (waitress threads) and the GPIO buttons (gpiozero's
callback thread) call one ``KioskService``; every method is thread-safe.

Making one (tests and ``python -m kiosk`` alike)::

    service = KioskService.open(data_dir)        # outbox + cached config in data_dir
    service.apply_config(central_config_json)    # what GET /api/v1/kiosk/config returns
    ...
    service.close()

Until a config has been applied (or loaded from disk), ``screen_state()``
has ``view == "waiting"`` and every press is ignored with ``"waiting"``.
"""
from __future__ import annotations

import logging
import pathlib
import re
import sqlite3
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from werkzeug.security import check_password_hash

from .ids import new_id
from .outbox import MAX_REASONS_WAIT_S, ConfigCache, Outbox
from .tracking import tracking_code

log = logging.getLogger(__name__)

SOURCES = ("touch", "button")
PIN_MAX_FAILURES = 5
PIN_LOCK_S = 300
# A rating waiting for its reasons waits this much longer than the screen's own timer,
# so that a screen whose send failed can ask the citizen again before the rating goes.
REASONS_GRACE_S = 15.0
# A button answer this soon after the rating or the previous answer is ignored.
ANSWER_SETTLE_S = 1.0
# A queue ticket number as printed on the slips: letters, digits and hyphens.
TICKET = re.compile(r"[0-9A-Za-z-]{1,20}")
COMMENT_MAX = 200
# Seconds the tracking code stays up after the reasons view when the central config does not say
# (its ``tracking_s``): time to copy ten characters by hand, or to take a photo of them.
TRACKING_S = 30
# The public board's address, as the config gives it; anything else is not shown.
BOARD_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]{1,300}")


def valid_comment(comment: Any) -> bool:
    """A short comment typed on the screen: 1 to ``COMMENT_MAX`` characters, no control characters."""
    return (isinstance(comment, str) and 0 < len(comment) <= COMMENT_MAX and comment.strip() == comment
            and all(ch.isprintable() for ch in comment))


@dataclass(frozen=True)
class PressResult:
    """What became of one press of a rating button or a touch."""

    recorded: bool
    rating_id: str | None
    ask_reasons: bool
    # "cooldown" | "closed" | "waiting" | "bad_score" | "not_recorded" (the outbox failed: the
    # citizen is told, not thanked); for a button that answered a reason,
    # "answer", "too_soon" (ignored), or "not_recorded" when the answer could not be stored
    # (it is asked again).
    ignored: str | None
    cooldown_left_s: float
    # The recorded rating's tracking code (kiosk/tracking.py), shown after its reasons.
    tracking_code: str | None = None


@dataclass(frozen=True)
class SignInResult:
    """What became of an officer's sign-in or sign-out at the PIN pad."""

    ok: bool
    error: str | None  # "wrong_pin" | "locked" | "unknown_officer" | "nobody_on_duty"
    locked_for_s: int
    attempts_left: int


Listener = Callable[[dict[str, Any]], None]


@dataclass
class _Report:
    """The reasons being asked after a rating: which one the buttons are at, and those chosen."""

    rating_id: str
    by_buttons: bool  # rated with a button: the buttons answer (a touch rating's are answered on the screen)
    order: list[str]
    deadline: float  # monotonic: the citizen has stopped answering
    last_answer: float  # monotonic: the rating, or the last answer
    step: int = 0
    chosen: list[str] = field(default_factory=list)
    failed: bool = False  # the last answer could not be stored: asked again

    def as_event(self) -> dict[str, Any]:
        return {"type": "report", "rating_id": self.rating_id, "order": self.order, "step": self.step,
                "chosen": list(self.chosen), "failed": self.failed}


def local_now_iso(at: float) -> str:
    """Unix time ``at`` as the kiosk's local time with its offset (docs/protocol.md §2 ``created_at``)."""
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="milliseconds")


def board_url(config: dict[str, Any]) -> str | None:
    """The public board's address from the central config (``public_board_url``), or None.

    None also for a value that is not an http(s) address: the screen shows
    the code with a word to ask at the desk instead of a broken address.
    """
    url = config.get("public_board_url")
    return url.rstrip("/") if isinstance(url, str) and BOARD_URL.fullmatch(url) else None


def check_central_config(config: Any) -> dict[str, Any]:
    """``config`` if it has the shape the kiosk relies on (docs/protocol.md §2); else ``ValueError``."""
    if not isinstance(config, dict):
        raise ValueError("the config is not a JSON object")
    scale = config.get("scale")
    if not isinstance(scale, dict) or not isinstance(scale.get("levels"), list) or not scale["levels"]:
        raise ValueError("the config has no scale levels")
    for key in ("satisfied_from", "ask_reasons_at_or_below"):
        if not isinstance(scale.get(key), int):
            raise ValueError(f"the scale has no whole number {key}")
    if not isinstance(config.get("settings"), dict):
        raise ValueError("the config has no settings")
    officers = config.get("officers")
    if not isinstance(officers, list) or not all(isinstance(o, dict) and isinstance(o.get("id"), int) for o in officers):
        raise ValueError("the config's officers are not a list of objects with an id")
    reasons = config.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, dict) and isinstance(r.get("code"), str) for r in reasons):
        raise ValueError("the config's reasons are not a list of objects with a code")
    on_duty = config.get("on_duty")
    if on_duty is not None and not (isinstance(on_duty, dict) and isinstance(on_duty.get("officer_id"), int)):
        raise ValueError("the config's on_duty is neither null nor an object with an officer_id")
    return config


class KioskService:
    """The kiosk's state and the actions on it; see the module docstring."""

    def __init__(self, outbox: Outbox, cache: ConfigCache, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.outbox = outbox
        self.cache = cache
        self._clock = clock
        self._monotonic = monotonic
        # Presses and config changes; the PIN pad has its own lock so a slow hash never delays a press.
        self._lock = threading.RLock()
        self._pin_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._waker: Callable[[], None] | None = None
        self._boot = uuid.uuid4().hex[:8]
        self._changes = 0
        self._last_rating_at: float | None = None
        self._report: _Report | None = None
        self._config: dict[str, Any] | None = None
        self._etag: str | None = None
        cached = cache.load()
        if cached is not None:
            try:
                self._config, self._etag = check_central_config(cached[0]), cached[1]
            except ValueError as err:
                log.warning("cached central config ignored: %s", err)

    @classmethod
    def open(cls, data_dir: pathlib.Path) -> KioskService:
        """The service on the outbox and cached config in ``data_dir`` (created if missing)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(Outbox(data_dir / "outbox.db"), ConfigCache(data_dir))

    def close(self) -> None:
        """Close the outbox; the service is unusable afterwards."""
        self.outbox.close()

    # -- configuration (the uploader feeds it) --------------------------------

    def apply_config(self, config: dict[str, Any], etag: str | None = None) -> None:
        """Take a central config (GET /api/v1/kiosk/config's JSON) as the one in force, and keep it on disk.

        ``ValueError`` for a config without the parts the kiosk relies on; the
        one in force stays. A local sign-in or sign-out stops overriding the
        config once the config reports another ``on_duty`` than when it happened.
        """
        check_central_config(config)
        self.cache.save(config, etag)
        with self._lock:
            self._config, self._etag = config, etag
            duty = self.outbox.get_meta("duty")
            if duty is not None and config.get("on_duty") != duty["config_on_duty"]:
                self.outbox.set_meta({"duty": None})
        self._state_changed()

    def settle_duty_events(self, acknowledged: list[str], rejected: list[dict[str, Any]]) -> None:
        """Settle sent duty events; a refused one that made the local duty state stops overriding the config.

        The central service refuses, say, the sign-in of an officer on duty
        at another desk (``on_duty_elsewhere``): the kiosk then shows who the
        central schedule says is on duty, not the officer it could not sign
        in, whose ratings would be kept for nobody.
        """
        self.outbox.settle_duty_events(acknowledged, rejected)
        refused = {str(item.get("id")) for item in rejected}
        with self._lock:
            duty = self.outbox.get_meta("duty")
            if duty is None or duty.get("event") not in refused:
                return
            self.outbox.set_meta({"duty": None})
        self._state_changed()

    def config_snapshot(self) -> tuple[dict[str, Any] | None, str | None]:
        """The config in force and its ETag (None, None before the first one)."""
        with self._lock:
            return self._config, self._etag

    def public_board_url(self) -> str | None:
        """The public board's address in the config in force (``public_board_url``), or None."""
        with self._lock:
            return board_url(self._config or {})

    def photos_wanted(self) -> list[tuple[int, str]]:
        """(officer_id, photo_url) of listed officers whose cached photo is missing or outdated."""
        config, _ = self.config_snapshot()
        if config is None:
            return []
        have = self.outbox.get_meta("photos", {})
        return [
            (o["id"], o["photo_url"]) for o in config["officers"]
            if isinstance(o.get("photo_url"), str)
            and (have.get(str(o["id"])) != o["photo_url"] or self.cache.photo_path(o["id"]) is None)
        ]

    def store_photo(self, officer_id: int, url: str, data: bytes, content_type: str) -> None:
        """Keep an officer's photo fetched from ``url``; the screen is told to show it."""
        self.cache.save_photo(officer_id, data, content_type)
        with self._lock:
            photos = self.outbox.get_meta("photos", {})
            photos[str(officer_id)] = url
            self.outbox.set_meta({"photos": photos})
        self._state_changed()

    def forget_unlisted_photos(self) -> None:
        """Delete the photos of officers no longer listed (or listed without a photo)."""
        config, _ = self.config_snapshot()
        if config is None:
            return
        keep = {o["id"] for o in config["officers"] if o.get("photo_url")}
        with self._lock:
            photos = self.outbox.get_meta("photos", {})
            for key in [k for k in photos if int(k) not in keep]:
                self.cache.remove_photo(int(key))
                del photos[key]
            self.outbox.set_meta({"photos": photos})

    def set_waker(self, fn: Callable[[], None] | None) -> None:
        """``fn()`` is called when something new may be sent (the uploader's wake-up)."""
        self._waker = fn

    # -- what the screen shows ------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        settings = (self._config or {}).get("settings", {})
        return {
            "cooldown_s": float(settings.get("cooldown_s", 5)),
            "thanks_s": float(settings.get("thanks_s", 4)),
            "reasons_timeout_s": float(settings.get("reasons_timeout_s", 20)),
            "tracking_s": float(settings.get("tracking_s", TRACKING_S)),
            "languages": list(settings.get("languages", ["vi", "en"])),
            "accept_without_officer": settings.get("accept_without_officer") is True,
            # Off unless the central service says so (one that predates it does not).
            "reasons_after_every_score": settings.get("reasons_after_every_score") is True,
        }

    def _officers(self) -> dict[int, dict[str, Any]]:
        return {o["id"]: o for o in (self._config or {}).get("officers", [])}

    def on_duty_officer_id(self) -> int | None:
        """The officer on duty: a local sign-in or sign-out, else the central schedule."""
        with self._lock:
            duty = self.outbox.get_meta("duty")
            if duty is not None:
                return duty["officer_id"]
            on_duty = (self._config or {}).get("on_duty")
            return on_duty["officer_id"] if on_duty else None

    def _view(self) -> str:
        if self._config is None:
            return "waiting"
        if self.on_duty_officer_id() is None and not self._settings()["accept_without_officer"]:
            return "closed"
        return "idle"

    def _cooldown_left(self, cooldown_s: float) -> float:
        if self._last_rating_at is None:
            return 0.0
        return max(0.0, self._last_rating_at + cooldown_s - self._monotonic())

    def _pin_lock_left(self) -> int:
        locked_until = self.outbox.get_meta("pin", {}).get("locked_until", 0)
        # Never more than the lock time, should the clock jump back.
        return int(min(PIN_LOCK_S, max(0.0, locked_until - self._clock())) + 0.999)

    def screen_state(self) -> dict[str, Any]:
        """Everything the touch screen shows, JSON-serialisable (see the shared brief)."""
        with self._lock:
            config = self._config or {}
            settings = self._settings()
            officers = self._officers()
            on_duty = officers.get(self.on_duty_officer_id())
            return {
                "view": self._view(),
                "state_version": f"{self._boot}-{self._changes}",
                "desk": config.get("desk"),
                "officer": None if on_duty is None else {**self._public_officer(on_duty), "photo_url": self._photo_url(on_duty)},
                "officers": [self._public_officer(o) for o in officers.values()],
                "scale": config.get("scale"),
                "reasons": [{"code": r["code"], "label": r.get("label")} for r in config.get("reasons", [])],
                "settings": {k: settings[k] for k in ("cooldown_s", "thanks_s", "reasons_timeout_s", "tracking_s",
                                                      "languages")},
                "public_board_url": board_url(config),
                "cooldown_left_s": round(self._cooldown_left(settings["cooldown_s"]), 3),
                "pin_locked_for_s": self._pin_lock_left(),
            }

    @staticmethod
    def _public_officer(officer: dict[str, Any]) -> dict[str, Any]:
        # Never the PIN hash: the page needs only what it shows.
        return {k: officer.get(k) for k in ("id", "code", "name", "title")}

    def _photo_url(self, officer: dict[str, Any]) -> str | None:
        url = self.outbox.get_meta("photos", {}).get(str(officer["id"]))
        if url is None or self.cache.photo_path(officer["id"]) is None:
            return None
        return f"/photos/{officer['id']}?v={zlib.crc32(url.encode()):x}"

    def photo_path(self, officer_id: int) -> pathlib.Path | None:
        """The cached photo of ``officer_id`` on disk, or None."""
        if isinstance(officer_id, bool) or not isinstance(officer_id, int):
            return None
        return self.cache.photo_path(officer_id)

    def pending_count(self) -> int:
        """Ratings waiting to be sent to the central service (the status LED blinks while > 0)."""
        return self.outbox.pending_count()

    # -- ratings --------------------------------------------------------------

    def press(self, score: int, source: str) -> PressResult:
        """A citizen's rating (``source`` "touch" or "button"), committed before this returns.

        Ignored (nothing stored) before the first config, while the desk is
        closed, for a score off the scale, and inside the cool-down after a
        recorded rating (those are counted in the outbox meta ``ignored_presses``).
        ``not_recorded`` when the outbox failed (its disk or a damaged page):
        the screen says so instead of thanking, every open page hears it (a
        ``not_recorded`` event), and the outbox is marked failing, which stops
        the systemd watchdog so that the kiosk is restarted.
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        try:
            return self._press(score, source)
        except (sqlite3.Error, OSError) as err:
            log.exception("a %s rating could not be stored", source)
            self.outbox.note_failure(err)
            self._emit({"type": "not_recorded", "source": source})
            return PressResult(False, None, False, "not_recorded", 0.0)

    def _press(self, score: int, source: str) -> PressResult:
        with self._lock:
            if self._config is None:
                return PressResult(False, None, False, "waiting", 0.0)
            scale = self._config["scale"]
            if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= len(scale["levels"]):
                return PressResult(False, None, False, "bad_score", 0.0)
            if source == "button" and self._report_open() and self._report.by_buttons:
                # While the reasons of a button rating are asked, the buttons answer them.
                return self._answer_by_button(score, len(scale["levels"]))
            if self._view() == "closed":
                return PressResult(False, None, False, "closed", 0.0)
            settings = self._settings()
            left = self._cooldown_left(settings["cooldown_s"])
            if left > 0:
                self.outbox.increment_meta("ignored_presses")
                return PressResult(False, None, False, "cooldown", round(left, 3))
            # Asked after every score when the central service says so: then what the screen
            # shows next tells nobody at the desk which level was chosen.
            ask = settings["reasons_after_every_score"] or score <= scale["ask_reasons_at_or_below"]
            now = self._clock()
            rating_id, _ = self.outbox.add_rating(
                score=score,
                officer_id=self.on_duty_officer_id(),
                source=source,
                created_at=local_now_iso(now),
                sendable_at=now + self._reasons_wait(settings) if ask else now,
                awaiting_reasons=ask,
            )
            self._last_rating_at = self._monotonic()
            cooldown = settings["cooldown_s"]
            if ask:
                self._report = _Report(rating_id, source == "button", self._button_order(),
                                       self._monotonic() + settings["reasons_timeout_s"], self._monotonic())
        # The event does not carry the score: every open page learns only that a rating was made.
        # The tracking code goes with every rating, whatever its score: the screen shows it after
        # the reasons view, whatever was chosen there (docs/protocol.md §4).
        code = tracking_code(rating_id)
        self._emit({"type": "rated", "rating_id": rating_id, "source": source,
                    "ask_reasons": ask, "cooldown_left_s": cooldown, "tracking_code": code})
        if ask:
            self._emit_report()
        else:
            self._wake()
        return PressResult(True, rating_id, ask, None, cooldown, code)

    def give_reasons(
        self, rating_id: str, codes: list[str], ticket: str | None = None, comment: str | None = None,
    ) -> bool:
        """Attach the reasons chosen on the screen (and the queue ticket number and a short comment,
        if the citizen gave them) and make the rating sendable; False if refused.

        Those chosen with the buttons for the same rating are kept too.
        Refused (nothing stored): a code the config does not list, a ticket
        that is not 1 to 20 letters, digits and ``-``, a comment that is not
        1 to 200 characters of text, a rating that is not waiting for
        reasons (unknown, or past its wait). A failed write raises: the
        screen then says the reasons were not recorded.
        """
        if not isinstance(rating_id, str) or not isinstance(codes, list):
            return False
        if ticket is not None and not (isinstance(ticket, str) and TICKET.fullmatch(ticket)):
            return False
        if comment is not None and not valid_comment(comment):
            return False
        with self._lock:
            known = {r["code"] for r in (self._config or {}).get("reasons", [])}
            if not all(isinstance(c, str) and c in known for c in codes):
                return False
            # Duplicates count once: the central service compares reasons as a set. The
            # outbox adds them to those the buttons stored.
            if not self.outbox.set_reasons(rating_id, list(dict.fromkeys(codes)), self._clock(), ticket, comment):
                return False
            if self._report is not None and self._report.rating_id == rating_id:
                self._report = None
        self._emit({"type": "reported", "rating_id": rating_id, "ok": True})
        self._wake()
        return True

    # -- the reasons, with the buttons ------------------------------------------

    @staticmethod
    def _reasons_wait(settings: dict[str, Any]) -> float:
        """How long a rating waits for its reasons: the screen's time and a grace, within the outbox's bound."""
        return min(settings["reasons_timeout_s"] + REASONS_GRACE_S, MAX_REASONS_WAIT_S)

    def _button_order(self) -> list[str]:
        """The reasons as the buttons go through them: misconduct first, then the config's order."""
        reasons = (self._config or {}).get("reasons", [])
        return [r["code"] for r in sorted(reasons, key=lambda r: not r.get("integrity"))]

    def _report_open(self) -> bool:
        """Whether the buttons answer reasons now. The last report is kept after its time:
        the screen may still send its own choices for it, which join the buttons' ones."""
        return self._report is not None and self._monotonic() <= self._report.deadline

    def report_state(self) -> dict[str, Any] | None:
        """The reasons being asked now (for a page that opens meanwhile), or None."""
        with self._lock:
            if not self._report_open():
                return None
            return self._report.as_event()

    def _answer_by_button(self, score: int, levels: int) -> PressResult:
        """A button pressed while the reasons of a button rating are asked: the lowest (red,
        "not satisfied") says yes, this happened, to the reason shown; the highest (green)
        no; any between that the citizen is done. Each answer is stored at once (the
        rating waits a while longer), so what the screen shows as chosen is on disk;
        after the last reason the rating is sendable. A press too soon after the rating
        or the last answer is ignored: nobody read the question that fast, and a
        bouncing or doubled press must not say yes to a complaint. Called with the lock held.
        """
        report = self._report
        settings = self._settings()
        if self._monotonic() - report.last_answer < ANSWER_SETTLE_S:
            self.outbox.increment_meta("ignored_presses")
            return PressResult(False, report.rating_id, True, "too_soon", 0.0)
        report.last_answer = self._monotonic()
        if score == levels or score == 1:
            if score == 1 and report.step < len(report.order):
                report.chosen.append(report.order[report.step])
            report.step += 1
        done = score not in (1, levels) or report.step >= len(report.order)
        now = self._clock()
        sendable = now if done else now + self._reasons_wait(settings)
        try:
            stored = self.outbox.save_reasons(report.rating_id, list(report.chosen), now,
                                              sendable_at=sendable, final=done)
        except Exception:
            log.exception("the reasons chosen with the buttons could not be stored")
            stored = False
        if not stored:
            # Not recorded: the citizen is asked again, from the first reason.
            if score == 1 and report.chosen and report.step > 0:
                report.chosen.pop()
            report.step = 0
            report.failed = True
            report.deadline = self._monotonic() + settings["reasons_timeout_s"]
            self._emit_report()
            return PressResult(False, report.rating_id, True, "not_recorded", 0.0)
        report.failed = False
        if done:
            self._report = None
            self._emit({"type": "reported", "rating_id": report.rating_id, "ok": True})
            self._wake()
        else:
            report.deadline = self._monotonic() + settings["reasons_timeout_s"]
            self._emit_report()
        return PressResult(False, report.rating_id, True, "answer", 0.0)

    def _emit_report(self) -> None:
        report = self._report
        if report is not None:
            self._emit(report.as_event())

    # -- officer duty ---------------------------------------------------------

    def _pin_refused(self) -> SignInResult | None:
        left = self._pin_lock_left()
        if left > 0:
            return SignInResult(False, "locked", left, 0)
        return None

    def _pin_failed(self) -> SignInResult:
        pin_state = self.outbox.get_meta("pin", {})
        failures = pin_state.get("failures", 0) + 1
        if failures >= PIN_MAX_FAILURES:
            self.outbox.set_meta({"pin": {"failures": 0, "locked_until": self._clock() + PIN_LOCK_S}})
            self._state_changed()
            return SignInResult(False, "locked", PIN_LOCK_S, 0)
        self.outbox.set_meta({"pin": {"failures": failures, "locked_until": 0}})
        return SignInResult(False, "wrong_pin", 0, PIN_MAX_FAILURES - failures)

    def _record_duty(self, officer_id: int, action: str) -> SignInResult:
        with self._lock:
            config = self._config or {}
            event_id = new_id()
            self.outbox.add_duty_event(
                officer_id, action, local_now_iso(self._clock()),
                {
                    "duty": {"officer_id": officer_id if action == "sign_in" else None,
                             "config_on_duty": config.get("on_duty"), "event": event_id},
                    "pin": {"failures": 0, "locked_until": 0},
                },
                event_id,
            )
        self._state_changed()
        self._wake()
        return SignInResult(True, None, 0, PIN_MAX_FAILURES)

    @staticmethod
    def _pin_matches(officer: dict[str, Any] | None, pin: str) -> bool:
        pin_hash = officer.get("pin_hash") if officer else None
        return isinstance(pin_hash, str) and check_password_hash(pin_hash, pin)

    def sign_in(self, officer_id: int, pin: str) -> SignInResult:
        """Put ``officer_id`` on duty at this desk when ``pin`` is theirs (checked offline against the config's hash)."""
        with self._pin_lock:
            refused = self._pin_refused()
            if refused:
                return refused
            with self._lock:
                officer = None if isinstance(officer_id, bool) else self._officers().get(officer_id)
            if officer is None:
                return SignInResult(False, "unknown_officer", 0, PIN_MAX_FAILURES - self._pin_failures())
            if not isinstance(pin, str) or not self._pin_matches(officer, pin):
                return self._pin_failed()
            return self._record_duty(officer_id, "sign_in")

    def sign_out(self, pin: str) -> SignInResult:
        """End the on-duty officer's period; the PIN of the on-duty officer or of any listed officer."""
        with self._pin_lock:
            refused = self._pin_refused()
            if refused:
                return refused
            with self._lock:
                officer_id = self.on_duty_officer_id()
                officers = self._officers()
            if officer_id is None:
                return SignInResult(False, "nobody_on_duty", 0, PIN_MAX_FAILURES - self._pin_failures())
            # The on-duty officer's hash first: the usual case costs one slow hash.
            ordered = [officers.get(officer_id)] + [o for i, o in officers.items() if i != officer_id]
            if not isinstance(pin, str) or not any(self._pin_matches(o, pin) for o in ordered):
                return self._pin_failed()
            return self._record_duty(officer_id, "sign_out")

    def _pin_failures(self) -> int:
        return self.outbox.get_meta("pin", {}).get("failures", 0)

    # -- listeners ------------------------------------------------------------

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(event)`` on every rating and state change; ``fn`` must not block."""
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        """Stop calling ``fn``; unknown listeners are ignored."""
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def _emit(self, event: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(event)
            except Exception:
                # One broken screen connection must not stop a press or the others.
                log.exception("kiosk listener failed")

    def _state_changed(self) -> None:
        with self._lock:
            self._changes += 1
            version = f"{self._boot}-{self._changes}"
        self._emit({"type": "state", "state_version": version})

    def _wake(self) -> None:
        if self._waker is not None:
            self._waker()
