"""Sign-in throttling: too many failures for a user name or an address locks it for a while.

The counters live in the ``login_failures`` table, not in memory, so every
copy of the service behind the load balancer counts the same failures.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError

from ..db import db, utcnow, write_transaction
from ..models import LoginFailure


def user_key(username: str) -> str:
    # Case-folded, so "Admin" and "admin" share one counter.
    return f"user:{username.strip().casefold()}"[:200]


def address_key(address: str | None) -> str:
    return f"addr:{address or 'unknown'}"[:200]


def take_attempt(
    keys: Iterable[str], max_failures: int, window_s: int, lock_s: int, now: datetime | None = None
) -> int | None:
    """Count a sign-in attempt against each key before its password is checked, and commit.

    Returns None when a key is locked (the password must not be checked), else
    the attempt's number within the window; the ``max_failures``-th attempt
    locks the keys until it succeeds. Counting before checking means guesses
    sent in parallel are all counted: no more than ``max_failures`` passwords
    are ever tried per window. Two copies of the service may create the same
    counter at once: the loser of that race retries once, and finds the row.
    """
    keys = list(keys)
    now = now or utcnow()
    window, lock = timedelta(seconds=window_s), timedelta(seconds=lock_s)
    try:
        number = _count(keys, max_failures, window, lock, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        number = _count(keys, max_failures, window, lock, now)
        db.session.commit()
    return number


def _count(keys: list[str], max_failures: int, window: timedelta, lock: timedelta, now: datetime) -> int | None:
    write_transaction()
    # Forget counters nobody has failed against lately, so the table stays small.
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.first_at < now - window,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
            LoginFailure.key.not_in(keys),
        )
    )
    rows = []
    for key in keys:
        row = db.session.get(LoginFailure, key, with_for_update=True)
        if row is None:
            row = LoginFailure(key=key, failures=0, first_at=now)
            db.session.add(row)
        elif row.locked_until is not None and row.locked_until > now:
            return None
        elif row.first_at < now - window or row.locked_until is not None:
            row.failures, row.first_at, row.locked_until = 0, now, None
        rows.append(row)
    for row in rows:
        row.failures += 1
        if row.failures >= max_failures:
            row.locked_until = now + lock
    db.session.flush()
    return max(row.failures for row in rows)


def succeeded(user: str, address: str, max_failures: int) -> None:
    """After a successful sign-in: forget the user's failures, and do not count the attempt against the address.

    The address is often an office's shared one, so its successes must not
    lock out colleagues. The caller commits.
    """
    write_transaction()
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == user))
    row = db.session.get(LoginFailure, address, with_for_update=True)
    if row is not None:
        row.failures = max(row.failures - 1, 0)
        if row.failures < max_failures:
            row.locked_until = None


def clear(key: str) -> None:
    """Forget the failures counted against ``key`` (an administrator reset the password)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
