"""The GPIO buttons and LEDs beside the screen (gpiozero; pins from the kiosk config).

One button per level, wired to ground with the Pi's pull-up (pressed = low).
Debouncing is ours, not gpiozero's ``bounce_time``: the first edge of a press
counts at once and every edge that follows within ``debounce_ms`` of the
previous one is taken as bounce. Mock pins do not bounce; real ones do.

The acknowledgement LED blinks once, the same way, for every recorded
rating, so the officer cannot tell which button a citizen pressed. The
status LED blinks while ratings wait to be sent to the central service.

Hardware is injected: nothing is opened at import, and tests pass a
``MockFactory`` as ``pin_factory``.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from gpiozero import LED, Button

from .config import GpioConfig
from .service import KioskService

log = logging.getLogger(__name__)

ACK_BLINK_S = 0.15
STATUS_BLINK_S = 0.5


class Buttons:
    """The rating buttons (lowest score first, as in ``GpioConfig.buttons``) and the two LEDs."""

    def __init__(
        self,
        service: KioskService,
        gpio_config: GpioConfig,
        *,
        pin_factory: Any = None,
        status_poll_s: float = 1.0,
    ):
        self.service = service
        self.debounce_s = gpio_config.debounce_ms / 1000
        self.scores = list(range(1, len(gpio_config.buttons) + 1))
        self._lock = threading.Lock()
        self._dev_lock = threading.Lock()
        self._last_edge: dict[int, float] = {}
        self._buttons: dict[int, Button] = {}
        self._ack: LED | None = None
        self._status: LED | None = None
        self._status_blinking = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._status_poll_s = status_poll_s
        self._status_thread: threading.Thread | None = None
        try:
            for score, pin in zip(self.scores, gpio_config.buttons):
                # bounce_time=None: gpiozero's own debounce would swallow the edges ours needs to see.
                button = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
                button.when_pressed = self._edge_callback(score, pressed=True)
                button.when_released = self._edge_callback(score, pressed=False)
                self._buttons[score] = button
            if gpio_config.ack_led is not None:
                self._ack = LED(gpio_config.ack_led, pin_factory=pin_factory)
            if gpio_config.status_led is not None:
                self._status = LED(gpio_config.status_led, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise
        service.add_listener(self._on_event)
        if self._status is not None:
            self._status_thread = threading.Thread(target=self._follow_pending, name="status-led", daemon=True)
            self._status_thread.start()

    def _edge_callback(self, score: int, *, pressed: bool):
        def callback() -> None:
            self._edge(score, pressed)

        return callback

    def _edge(self, score: int, pressed: bool) -> None:
        """One edge of button ``score``, on gpiozero's callback thread."""
        now = time.monotonic()
        with self._lock:
            last = self._last_edge.get(score)
            self._last_edge[score] = now
        if not pressed or (last is not None and now - last < self.debounce_s):
            return
        try:
            self.service.press(score, "button")
        except Exception:
            # gpiozero's callback thread must survive whatever the service does.
            log.exception("press of button %s failed", score)

    def _on_event(self, event: dict[str, Any]) -> None:
        ack = self._ack
        if event.get("type") != "rated" or self._stop.is_set():
            return
        if ack is not None:
            # The same single blink whichever button (or the screen) made the rating.
            ack.blink(on_time=ACK_BLINK_S, off_time=0, n=1, background=True)
        self._wake.set()

    def _follow_pending(self) -> None:
        """Blink the status LED while ratings wait; checked every ``status_poll_s`` and after each rating."""
        while not self._stop.is_set():
            try:
                pending = self.service.pending_count() > 0
            except Exception:
                log.exception("pending_count failed")
                pending = False
            if self._stop.is_set():
                return
            if pending and not self._status_blinking:
                self._status.blink(on_time=STATUS_BLINK_S, off_time=STATUS_BLINK_S, background=True)
            elif not pending and self._status_blinking:
                self._status.off()
            self._status_blinking = pending
            self._wake.wait(self._status_poll_s)
            self._wake.clear()

    def dev_press(self, score: int) -> None:
        """Drive the mock pin of ``score``'s button low, then high: one press and release.

        ``ValueError`` when no button has that score; only mock pins can be driven.
        """
        button = self._buttons.get(score)
        if button is None:
            raise ValueError(f"no button for score {score}")
        pin = button.pin
        if not hasattr(pin, "drive_low"):
            raise RuntimeError("only mock pins can be pressed from software")
        with self._dev_lock:
            pin.drive_low()
            pin.drive_high()

    def close(self) -> None:
        """Stop the status LED, stop listening and release every pin; safe to call twice."""
        self._stop.set()
        self._wake.set()
        if self._status_thread is not None:
            self._status_thread.join()
            self._status_thread = None
        try:
            self.service.remove_listener(self._on_event)
        except Exception:
            log.exception("remove_listener failed")
        for device in [*self._buttons.values(), self._ack, self._status]:
            if device is not None:
                device.close()
        self._buttons.clear()
        self._ack = self._status = None
