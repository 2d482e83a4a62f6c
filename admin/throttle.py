"""Sign-in throttling: too many failures for a user name or an address locks it for a while.

The counters live in the ``login_failures`` table, not in memory, so every
copy of the service behind the load balancer counts the same failures.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from .db import db, utcnow, write_transaction
from .models import LoginFailure


def user_key(username: str) -> str:
    # Case-folded, so "Admin" and "admin" share one counter.
    return f"user:{username.strip().casefold()}"[:200]


def address_key(address: str | None) -> str:
    return f"addr:{address or 'unknown'}"[:200]


def is_locked(keys: Iterable[str], now: datetime | None = None) -> bool:
    """Whether any of ``keys`` is locked now."""
    now = now or utcnow()
    return (
        db.session.execute(
            select(LoginFailure.key).where(
                LoginFailure.key.in_(list(keys)), LoginFailure.locked_until > now
            )
        ).first()
        is not None
    )


def record_failure(
    keys: Iterable[str], max_failures: int, window_s: int, lock_s: int, now: datetime | None = None
) -> bool:
    """Count one failed sign-in against each key and commit; True if one of them is now locked.

    A counter starts again when its window has passed or its last lock has
    ended. Two copies of the service may create the same counter at once: the
    loser of that race retries once, and then finds the row.
    """
    keys = list(keys)
    now = now or utcnow()
    window, lock = timedelta(seconds=window_s), timedelta(seconds=lock_s)
    try:
        locked = _count(keys, max_failures, window, lock, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        locked = _count(keys, max_failures, window, lock, now)
        db.session.commit()
    return locked


def _count(keys: list[str], max_failures: int, window: timedelta, lock: timedelta, now: datetime) -> bool:
    write_transaction()
    # Forget counters nobody has failed against lately, so the table stays small.
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.first_at < now - window,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
            LoginFailure.key.not_in(keys),
        )
    )
    locked = False
    for key in keys:
        row = db.session.get(LoginFailure, key, with_for_update=True)
        if row is None:
            row = LoginFailure(key=key, failures=0, first_at=now)
            db.session.add(row)
        elif row.first_at < now - window or (row.locked_until is not None and row.locked_until <= now):
            row.failures, row.first_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= max_failures:
            row.locked_until = now + lock
            locked = True
    db.session.flush()
    return locked


def clear(key: str) -> None:
    """Forget the failures counted against ``key`` (after a successful sign-in)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
