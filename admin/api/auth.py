"""Who is calling the kiosk API: bearer tokens, the kiosk behind them, no cookies.

Every request carries ``Authorization: Bearer <kiosk token>``; a missing,
unknown or revoked token gets 401 (docs/protocol.md §2).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Request, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface

from ..db import db, utcnow, writing
from ..driver import Driver, driver_for
from ..errors import ApiError
from ..kiosks import hash_token
from ..models import Kiosk
from .hot_path import fetch_one
from .kiosk_config import VERSION_COLUMNS, VERSION_JOINS, config_version, version_params

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


# The enabled kiosk holding a token: the look-up of every kiosk request.
TOKEN_COLUMNS = "kiosks.id, kiosks.desk_id, desks.unit_id, kiosks.created_at, kiosks.clock_offset_s"
TOKEN_FROM = "kiosks JOIN desks ON desks.id = kiosks.desk_id"
TOKEN_WHERE = "kiosks.token_hash = ? AND kiosks.enabled"
TOKEN_SQL = f"SELECT {TOKEN_COLUMNS} FROM {TOKEN_FROM} WHERE {TOKEN_WHERE}"
# The same, with the kiosk's config version (``kiosk_config``): one statement for a heartbeat or a config poll.
VERSIONED_TOKEN_SQL = f"SELECT {TOKEN_COLUMNS}, {VERSION_COLUMNS} FROM {TOKEN_FROM} {VERSION_JOINS} WHERE {TOKEN_WHERE}"


def _ref(driver: Driver, row: tuple[Any, ...]) -> KioskRef:
    kiosk_id, desk_id, unit_id, created_at, offset = row[:5]
    return KioskRef(kiosk_id, desk_id, unit_id, driver.reader(Kiosk.__table__.c.created_at)(created_at), offset)


def versioned_ref(driver: Driver, row: tuple[Any, ...]) -> tuple[KioskRef, str]:
    """The kiosk and its config version from a row of ``TOKEN_COLUMNS`` then ``VERSION_COLUMNS``."""
    kiosk = _ref(driver, row)
    return kiosk, config_version(driver, (kiosk.id, kiosk.desk_id, kiosk.unit_id), row[5:])


def authenticate(token: str) -> KioskRef | None:
    """The enabled kiosk holding ``token``, or None.

    Runs on every kiosk request, so it is one plain statement on a
    connection of its own (see ``driver`` and ``hot_path``), outside the session.
    """
    if not token:
        return None
    driver = driver_for(db.engine.dialect)
    row = fetch_one(driver.sql(TOKEN_SQL), (hash_token(token),))
    return None if row is None else _ref(driver, row)


def authenticate_versioned(token: str, at: datetime) -> tuple[KioskRef, str] | None:
    """The enabled kiosk holding ``token`` and its config version at ``at``, in one statement; or None."""
    if not token:
        return None
    driver = driver_for(db.engine.dialect)
    row = fetch_one(driver.sql(VERSIONED_TOKEN_SQL), (*version_params(driver, at), hash_token(token)))
    return None if row is None else versioned_ref(driver, row)


def bearer_token() -> str:
    """The token of the request's ``Authorization: Bearer`` header, or an empty string."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def unauthorized() -> ApiError:
    """The 401 of a missing, unknown or revoked token."""
    return ApiError(
        401,
        "unauthorized",
        "The kiosk token is missing, unknown or revoked; ask an administrator for a new one.",
        {"WWW-Authenticate": 'Bearer realm="hailong"'},
    )


class KioskSessionInterface(SecureCookieSessionInterface):
    """Browser sessions for the console; none for the kiosk API.

    Kiosks carry a bearer token, never a cookie: reading and signing a session
    cookie on every kiosk request is work for nothing.
    """

    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(API_PREFIX):
            return NullSession()
        return super().open_session(app, request)


def kiosk_auth(writes: bool = False, versioned: bool = False):
    """Require a kiosk's bearer token; the kiosk is in ``g.kiosk_ref`` (see ``current_kiosk``).

    ``writes`` opens the transaction as a writer before anything is read
    (see ``db.writing``). ``versioned`` reads the kiosk's config version
    with the token, into ``g.config_version``, as it is at ``g.now``: the
    time of the request, for the view to use.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if writes:
                with writing():
                    return authenticated(*args, **kwargs)
            return authenticated(*args, **kwargs)

        def authenticated(*args, **kwargs):
            token = bearer_token()
            if versioned:
                g.now = utcnow()
                kiosk, g.config_version = authenticate_versioned(token, g.now) or (None, None)
            else:
                kiosk = authenticate(token)
            if kiosk is None:
                raise unauthorized()
            g.kiosk_ref = kiosk
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_kiosk() -> Kiosk:
    """The authenticated kiosk as a model, for the endpoints that need more than ``g.kiosk_ref``."""
    return db.session.get(Kiosk, g.kiosk_ref.id)
