"""Console sessions kept on the server, so that ending one ends every copy of its cookie.

Flask's session is a signed cookie: signing out clears only the browser's
copy, and a copy taken before (a shared computer, a proxy log) would still
work. Here the cookie holds a random token instead of the user's id, and the
``sign_in_sessions`` row it names must still be open on every request: sign
out, a password reset, deactivation, idleness (``SESSION_IDLE_S``) or age
(``SESSION_MAX_S``) end the row, and with it every copy of the cookie.

Why a row per sign-in rather than one "session epoch" per user: a user can
see and end their other sessions, signing out of one browser leaves the
others, and idleness is judged by the server. It costs the same one indexed
query per page as loading the user did (the row is joined to its user), and
a write at most once a minute per session to note it was used.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import bindparam, delete, select, update

from ..db import db, utcnow, write_transaction
from ..models import SignInSession, User

# "Last seen" is written when older than this, not on every page.
SEEN_STEP = timedelta(seconds=60)
# Ended and expired sessions are kept this long for the user's list, then deleted.
KEEP_ENDED = timedelta(days=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(user: User, address: str | None, agent: str | None) -> str:
    """Open a session for ``user`` and commit; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    write_transaction()
    db.session.execute(delete(SignInSession).where(SignInSession.last_seen_at < now - KEEP_ENDED))
    db.session.add(SignInSession(
        token_hash=token_hash(token), user_id=user.id, started_at=now, last_seen_at=now,
        address=(address or "")[:64] or None, agent=(agent or "")[:200] or None,
    ))
    db.session.commit()
    return token


def expired(row: SignInSession, now: datetime) -> bool:
    """Whether an open session has been idle too long, or lived too long however busy."""
    config = current_app.config
    return (now - row.last_seen_at > timedelta(seconds=config["SESSION_IDLE_S"])
            or now - row.started_at > timedelta(seconds=config["SESSION_MAX_S"]))


# Built once: this runs on every console request.
_SESSION_WITH_USER = (
    select(SignInSession, User).join(User, SignInSession.user_id == User.id)
    .where(SignInSession.token_hash == bindparam("token_hash"))
)


def load(token: str) -> User | None:
    """The user of the open session ``token`` names, or None (unknown, ended, expired, or the user deactivated)."""
    found = db.session.execute(_SESSION_WITH_USER, {"token_hash": token_hash(token)}).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or not user.active:
        return None
    now = utcnow()
    if expired(row, now):
        _mark(row.id, ended_at=now)
        return None
    if now - row.last_seen_at > SEEN_STEP:
        _mark(row.id, last_seen_at=now)
    g.sign_in_session_id = row.id
    return user


def _mark(session_id: int, **values: datetime) -> None:
    # Its own short transaction on its own connection: the request's session
    # keeps the user it loaded, and the write lock is held for one UPDATE.
    with db.engine.begin() as conn:
        conn.execute(update(SignInSession).where(SignInSession.id == session_id, SignInSession.ended_at.is_(None))
                     .values(**values))


def end(token: str) -> None:
    """End the session ``token`` names (signing out), and commit."""
    write_transaction()
    db.session.execute(update(SignInSession).where(
        SignInSession.token_hash == token_hash(token), SignInSession.ended_at.is_(None)).values(ended_at=utcnow()))
    db.session.commit()


def end_one(session_id: int) -> None:
    """End the session with this id. The caller commits."""
    db.session.execute(update(SignInSession).where(SignInSession.id == session_id, SignInSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))


def end_all(user_id: int, keep: int | None = None) -> int:
    """End every open session of the user (but ``keep``); returns how many. The caller commits."""
    stmt = update(SignInSession).where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(SignInSession.id != keep)
    return db.session.execute(stmt.values(ended_at=utcnow())).rowcount


def open_sessions(user_id: int) -> list[SignInSession]:
    """The user's sessions that are still open, the most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(SignInSession).where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
    ).all()
    return [row for row in rows if not expired(row, now)]


def current_id() -> int | None:
    """The id of the session this request was signed in with."""
    return g.get("sign_in_session_id")
