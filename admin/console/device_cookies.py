"""Device cookies: a browser where an account signed in before is trusted for that account's sign-ins.

OWASP's "device cookie": after a successful sign-in the browser gets a
signed cookie naming the account and a random nonce. An attempt that shows
one for the name typed counts against that browser alone, so locks that an
attacker can cause from elsewhere (``login_throttle``) never keep the owner
out of their usual browser. The cookie is sent only to the sign-in page,
and holds no secret: a stolen one is worth ``LOGIN_MAX_FAILURES`` guesses per
lock, as a new address would be.
"""
from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from . import login_throttle

COOKIE = "hl_device"
MAX_AGE_S = 365 * 24 * 3600
# A shared office computer may be used by a few accounts; the oldest is forgotten first.
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hailong-device-cookie")


def _entries() -> list[list[str]]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        entries = _serializer().loads(raw, max_age=MAX_AGE_S)
    except BadSignature:
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2 and all(isinstance(v, str) for v in e)]


def nonce_for(username: str) -> str | None:
    """The nonce of this browser's device cookie for ``username``, or None when it has no valid one."""
    name = login_throttle.fold(username)
    return next((nonce for who, nonce in _entries() if who == name), None)


def remember(response: Response, username: str) -> None:
    """Give the browser a new device cookie for ``username`` (after a successful sign-in), keeping its others."""
    name = login_throttle.fold(username)
    entries = [e for e in _entries() if e[0] != name][-(MAX_ACCOUNTS - 1):]
    entries.append([name, secrets.token_urlsafe(16)])
    response.set_cookie(
        COOKIE, _serializer().dumps(entries), max_age=MAX_AGE_S, path="/login",
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
    )
