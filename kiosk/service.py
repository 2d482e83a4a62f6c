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

import pathlib
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class PressResult:
    """What became of one press of a rating button or a touch."""

    recorded: bool
    rating_id: str | None
    ask_reasons: bool
    ignored: str | None  # "cooldown" | "closed" | "waiting" | "bad_score"
    cooldown_left_s: float


@dataclass(frozen=True)
class SignInResult:
    """What became of an officer's sign-in or sign-out at the PIN pad."""

    ok: bool
    error: str | None  # "wrong_pin" | "locked" | "unknown_officer" | "nobody_on_duty"
    locked_for_s: int
    attempts_left: int


Listener = Callable[[dict[str, Any]], None]


class KioskService:
    """The kiosk's state and the actions on it; see the module docstring."""

    @classmethod
    def open(cls, data_dir: pathlib.Path) -> KioskService:
        """The service on the outbox and cached config in ``data_dir`` (created if missing)."""
        raise NotImplementedError

    def apply_config(self, config: dict[str, Any]) -> None:
        """Take a central config (GET /api/v1/kiosk/config's JSON) as the one in force."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the outbox; the service is unusable afterwards."""
        raise NotImplementedError

    def screen_state(self) -> dict[str, Any]:
        """Everything the touch screen shows, JSON-serialisable (see the shared brief)."""
        raise NotImplementedError

    def press(self, score: int, source: str) -> PressResult:
        """A citizen's rating (``source`` "touch" or "button"), committed before this returns."""
        raise NotImplementedError

    def give_reasons(self, rating_id: str, codes: list[str]) -> bool:
        """Attach the reasons chosen after a low score; False if refused (nothing stored)."""
        raise NotImplementedError

    def sign_in(self, officer_id: int, pin: str) -> SignInResult:
        """Put ``officer_id`` on duty at this desk when ``pin`` is theirs."""
        raise NotImplementedError

    def sign_out(self, pin: str) -> SignInResult:
        """End the on-duty officer's period; the PIN of the on-duty officer or any listed officer."""
        raise NotImplementedError

    def photo_path(self, officer_id: int) -> pathlib.Path | None:
        """The cached photo of ``officer_id`` on disk, or None."""
        raise NotImplementedError

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(event)`` on every rating and state change; ``fn`` must not block."""
        raise NotImplementedError

    def remove_listener(self, fn: Listener) -> None:
        """Stop calling ``fn``; unknown listeners are ignored."""
        raise NotImplementedError

    def pending_count(self) -> int:
        """Ratings waiting to be sent to the central service (the status LED blinks while > 0)."""
        raise NotImplementedError
