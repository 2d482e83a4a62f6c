"""The public board (bảng công khai) at ``/cong-khai``: results per unit and published cases, without signing in.

Its own blueprint, on the internet: it reads no session, sets no cookie, and
takes its language from the address (``?lang=en``), so that one address is
one page for every visitor and can be cached. Settings, all optional:

- ``PUBLIC_CACHE_S`` (60): how long a rendered page is kept and may be cached by browsers;
- ``PUBLIC_BOARD_LIMIT`` ((120, 60)): requests per seconds an address may make to the board;
- ``PUBLIC_LOOKUP_LIMIT`` ((10, 60)): the same for the tracking-code lookup;
- ``PUBLIC_TV_ROWS`` (8) and ``PUBLIC_TV_REFRESH_S`` (20): units per lobby-TV page, seconds per page.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app

from .. import tracking
from .page_cache import PageCache
from .throttle import RateLimit

bp = Blueprint("public", __name__, url_prefix="/cong-khai")

DEFAULTS = {
    "PUBLIC_CACHE_S": 60,
    "PUBLIC_BOARD_LIMIT": (120, 60),
    "PUBLIC_LOOKUP_LIMIT": (10, 60),
    "PUBLIC_TV_ROWS": 8,
    "PUBLIC_TV_REFRESH_S": 20,
}


@dataclass
class PublicState:
    """What one app keeps in memory for the board: the caches and the rate limits."""

    pages: PageCache
    boards: PageCache
    board_limit: RateLimit
    lookup_limit: RateLimit


def state() -> PublicState:
    return current_app.extensions["public_board"]


def forget_pages() -> None:
    """Drop this process's kept pages, after a case was published or withdrawn here.

    The inspector who published sees the board change at once; other
    processes catch up within ``PUBLIC_CACHE_S``.
    """
    state().pages.clear()
    state().boards.clear()


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    ttl = app.config["PUBLIC_CACHE_S"]
    app.extensions["public_board"] = PublicState(
        pages=PageCache(ttl),
        boards=PageCache(ttl),
        board_limit=RateLimit(*app.config["PUBLIC_BOARD_LIMIT"]),
        lookup_limit=RateLimit(*app.config["PUBLIC_LOOKUP_LIMIT"]),
    )
    app.jinja_env.filters["tracking_display"] = tracking.display
    app.register_blueprint(bp)


from . import pages  # noqa: E402,F401  (registers the views on bp)
