"""Who is calling the kiosk API: bearer tokens, the kiosk behind them, no cookies.

Every request carries ``Authorization: Bearer <kiosk token>``; a missing,
unknown or revoked token gets 401 (docs/protocol.md §2).
"""
from __future__ import annotations

import functools
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Request, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface

from ..db import db, writing
from ..driver import driver_for
from ..errors import ApiError
from ..kiosks import hash_token
from ..models import Kiosk

API_PREFIX = "/api/"


@dataclass(frozen=True)
class KioskRef:
    """What the kiosk API needs of the kiosk behind a token, read without the ORM."""

    id: int
    desk_id: int
    unit_id: int
    created_at: datetime
    clock_offset_s: float | None

    @classmethod
    def of(cls, kiosk: Kiosk) -> KioskRef:
        return cls(kiosk.id, kiosk.desk_id, kiosk.desk.unit_id, kiosk.created_at, kiosk.clock_offset_s)


TOKEN_SQL = (
    "SELECT kiosks.id, kiosks.desk_id, desks.unit_id, kiosks.created_at, kiosks.clock_offset_s "
    "FROM kiosks JOIN desks ON desks.id = kiosks.desk_id WHERE kiosks.token_hash = ? AND kiosks.enabled"
)


def authenticate(token: str) -> KioskRef | None:
    """The enabled kiosk holding ``token``, or None.

    Runs on every kiosk request, so it is one plain statement on a pooled
    connection of its own (see ``driver``), outside the session.
    """
    if not token:
        return None
    driver = driver_for(db.engine.dialect)
    with closing(db.engine.raw_connection()) as conn:
        cur = conn.cursor()
        cur.execute(driver.sql(TOKEN_SQL), (hash_token(token),))
        row = cur.fetchone()
    if row is None:
        return None
    kiosk_id, desk_id, unit_id, created_at, offset = row
    return KioskRef(kiosk_id, desk_id, unit_id, driver.reader(Kiosk.__table__.c.created_at)(created_at), offset)


class KioskSessionInterface(SecureCookieSessionInterface):
    """Browser sessions for the console; none for the kiosk API.

    Kiosks carry a bearer token, never a cookie: reading and signing a session
    cookie on every kiosk request is work for nothing.
    """

    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(API_PREFIX):
            return NullSession()
        return super().open_session(app, request)


def kiosk_auth(writes: bool = False):
    """Require a kiosk's bearer token; the kiosk is in ``g.kiosk_ref`` (see ``current_kiosk``).

    ``writes`` opens the transaction as a writer before anything is read
    (see ``db.writing``).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if writes:
                with writing():
                    return authenticated(*args, **kwargs)
            return authenticated(*args, **kwargs)

        def authenticated(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            kiosk = authenticate(token.strip()) if scheme.lower() == "bearer" else None
            if kiosk is None:
                raise ApiError(
                    401,
                    "unauthorized",
                    "The kiosk token is missing, unknown or revoked; ask an administrator for a new one.",
                    {"WWW-Authenticate": 'Bearer realm="hailong"'},
                )
            g.kiosk_ref = kiosk
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_kiosk() -> Kiosk:
    """The authenticated kiosk as a model, for the endpoints that need more than ``g.kiosk_ref``."""
    return db.session.get(Kiosk, g.kiosk_ref.id)
