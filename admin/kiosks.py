"""Kiosk registration and tokens.

A token is shown once, when it is issued; the database keeps only its
SHA-256. Tokens are 256 random bits, so a fast hash is enough: there is
nothing to brute-force, and the API looks a kiosk up by hash on every request.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .db import db
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


def kiosk_for_token(token: str) -> Kiosk | None:
    """The enabled kiosk holding ``token``, or None."""
    if not token:
        return None
    return db.session.execute(
        select(Kiosk)
        .options(joinedload(Kiosk.desk))
        .where(Kiosk.token_hash == hash_token(token), Kiosk.enabled.is_(True))
    ).scalar_one_or_none()
