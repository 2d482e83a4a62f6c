"""Kiosks: registration, tokens, and whether a kiosk is online.

A token is shown once, when it is issued; the database keeps only its
SHA-256. Tokens are 256 random bits, so a fast hash is enough: there is
nothing to brute-force, and the API looks a kiosk up by hash on every
request (``api.auth``).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app

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


def is_online(kiosk: Kiosk, now: datetime) -> bool:
    """A kiosk is online while enabled and heard from within ``KIOSK_OFFLINE_AFTER_S``."""
    window = timedelta(seconds=current_app.config["KIOSK_OFFLINE_AFTER_S"])
    return kiosk.enabled and kiosk.last_seen_at is not None and now - kiosk.last_seen_at <= window
