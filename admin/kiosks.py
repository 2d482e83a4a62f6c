"""Kiosk registration and tokens.

A token is shown once, when it is issued; the database keeps only its
SHA-256. Tokens are 256 random bits, so a fast hash is enough: there is
nothing to brute-force, and the API looks a kiosk up by hash on every request.
"""
from __future__ import annotations

import hashlib
import secrets
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from .db import db
from .driver import driver_for
from .models import Desk, Kiosk


def hash_token(token: str) -> str:
    """The stored form of a kiosk token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def register_kiosk(desk: Desk, name: str) -> tuple[Kiosk, str]:
    """Create a kiosk at ``desk`` and return it with its token (shown once, never stored)."""
    token = new_token()
    kiosk = Kiosk(desk=desk, name=name, token_hash=hash_token(token), enabled=True)
    db.session.add(kiosk)
    db.session.flush()
    return kiosk, token


def rotate_token(kiosk: Kiosk) -> str:
    """Give ``kiosk`` a new token; the old one stops working at once."""
    token = new_token()
    kiosk.token_hash = hash_token(token)
    kiosk.enabled = True
    return token


def revoke(kiosk: Kiosk) -> None:
    """Stop accepting the kiosk's token. Its ratings stay."""
    kiosk.enabled = False


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
