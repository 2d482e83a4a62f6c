"""Sign-in throttling that slows password guessing without letting an attacker lock a real user out.

OWASP's advice ("Slow down online guessing attacks with device cookies"):
a lock on a whole account is a denial of service anyone can aim, so failures
are counted per thing the attacker cannot move the owner onto:

- ``user:NAME|addr:ADDRESS``, the account from one address, locks at
  ``LOGIN_MAX_FAILURES``: five wrong passwords lock that pair, and the owner
  signs in from their own address;
- ``addr:ADDRESS`` locks one address trying many names
  (``LOGIN_ADDRESS_MAX_FAILURES``);
- ``user:NAME``, the account from every browser it never signed in from,
  locks at ``LOGIN_ACCOUNT_MAX_FAILURES``, which bounds a botnet's guesses
  per window however many addresses it has;
- ``user:NAME|device:NONCE``, a browser holding the account's device cookie
  (``device_cookies``), counts on its own and ignores the three locks above,
  so the owner's usual browser gets in during any attack on the account.

Every lock ends after ``LOGIN_LOCK_S``, is written to the audit log, and an
administrator can lift an account's locks at once (``unlock``).

The counters live in the ``login_failures`` table, not in memory, so every
copy of the service behind the load balancer counts the same failures.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..db import db, utcnow, write_transaction
from ..models import LoginFailure

KEY_MAX = 200
# The audit log's actor for what the service does by itself.
SYSTEM_ACTOR = "system"


def fold(username: str) -> str:
    # Case-folded, so "Admin" and "admin" share one counter.
    return username.strip().casefold()


def account_key(username: str) -> str:
    return f"user:{fold(username)}"[:KEY_MAX]


def pair_key(username: str, address: str | None) -> str:
    return f"{account_key(username)}|addr:{address or 'unknown'}"[:KEY_MAX]


def device_key(username: str, nonce: str) -> str:
    return f"{account_key(username)}|device:{nonce}"[:KEY_MAX]


def address_key(address: str | None) -> str:
    return f"addr:{address or 'unknown'}"[:KEY_MAX]


@dataclass(frozen=True)
class Limit:
    """A counter, the failures that lock it, and what its lock's audit entry says (no secret, no typed name)."""

    key: str
    max_failures: int
    about: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Lock:
    """A counter this attempt locked: written to the audit log if the attempt fails (a success lifts it)."""

    limit: Limit
    failures: int
    until: datetime


def take_attempt(
    limits: Sequence[Limit], window_s: int, lock_s: int, now: datetime | None = None
) -> list[Lock] | None:
    """Count a sign-in attempt against each limit before its password is checked, and commit.

    Returns None when a counter is locked (the password must not be checked),
    else the counters this attempt locked (if it fails, the locked message is
    shown and ``record_locks`` audits them). Counting before checking means
    guesses sent in parallel are all counted: no more passwords are tried
    than a limit allows. Two copies
    of the service may create the same counter at once: the loser of that
    race retries once, and finds the row.
    """
    now = now or utcnow()
    window, lock = timedelta(seconds=window_s), timedelta(seconds=lock_s)
    try:
        outcome = _count(limits, window, lock, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        outcome = _count(limits, window, lock, now)
        db.session.commit()
    return outcome


def _count(limits: Sequence[Limit], window: timedelta, lock: timedelta, now: datetime) -> list[Lock] | None:
    write_transaction()
    keys = [limit.key for limit in limits]
    # Forget counters nobody has failed against lately, so the table stays small.
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.first_at < now - window,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
            LoginFailure.key.not_in(keys),
        )
    )
    rows = []
    for limit in limits:
        row = db.session.get(LoginFailure, limit.key, with_for_update=True)
        if row is None:
            row = LoginFailure(key=limit.key, failures=0, first_at=now)
            db.session.add(row)
        elif row.locked_until is not None and row.locked_until > now:
            return None
        elif row.first_at < now - window or row.locked_until is not None:
            row.failures, row.first_at, row.locked_until = 0, now, None
        rows.append(row)
    locks = []
    for limit, row in zip(limits, rows):
        row.failures += 1
        if row.failures == limit.max_failures:
            row.locked_until = now + lock
            locks.append(Lock(limit, row.failures, row.locked_until))
    db.session.flush()
    return locks


def record_locks(locks: Sequence[Lock]) -> None:
    """Audit the locks a failed attempt made, and commit (a success lifts them, so they are not written)."""
    if not locks:
        return
    write_transaction()
    for lock in locks:
        audit.record("lock_sign_in", "sign_in", None, None,
                     {**lock.limit.about, "failures": lock.failures, "until": lock.until.isoformat()},
                     actor=SYSTEM_ACTOR)
    db.session.commit()


def succeeded(forget: Sequence[str], uncount: Sequence[Limit]) -> None:
    """After a successful sign-in: forget the counters in ``forget``, and take the attempt back from ``uncount``.

    The account's counter for new browsers and the address's are shared with
    others (an office's one address; an attacker guessing meanwhile), so a
    success only takes its own attempt back rather than wiping what others
    did. The caller commits.
    """
    write_transaction()
    db.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(forget)))
    for limit in uncount:
        row = db.session.get(LoginFailure, limit.key, with_for_update=True)
        if row is None:
            continue
        row.failures -= 1
        if row.failures <= 0:
            db.session.delete(row)
        elif row.failures < limit.max_failures:
            row.locked_until = None


@dataclass(frozen=True)
class Counter:
    """One of an account's counters, as an administrator sees it."""

    kind: str  # "account" (new browsers), "address" (from one address) or "device" (one trusted browser)
    address: str | None
    failures: int
    locked_until: datetime | None


def _of_account(username: str):
    """The condition that picks the account's counters: its own, and its pairs with an address or a browser."""
    key = account_key(username)
    return or_(LoginFailure.key == key, LoginFailure.key.startswith(f"{key}|", autoescape=True))


def _counter(row: LoginFailure) -> Counter:
    rest = row.key.partition("|")[2]
    if not rest:
        return Counter("account", None, row.failures, row.locked_until)
    if rest.startswith("addr:"):
        return Counter("address", rest.removeprefix("addr:"), row.failures, row.locked_until)
    return Counter("device", None, row.failures, row.locked_until)


def account_counters(username: str, now: datetime | None = None) -> list[Counter]:
    """The account's failure counters still in force (counting within the window, or locked), locks first."""
    now = now or utcnow()
    rows = db.session.scalars(select(LoginFailure).where(_of_account(username)))
    counters = [_counter(row) for row in rows if row.locked_until is None or row.locked_until > now]
    return sorted(counters, key=lambda c: (c.locked_until is None, c.kind, c.address or ""))


def locked_accounts(now: datetime | None = None) -> set[str]:
    """The (case-folded) names of the accounts with a sign-in lock in force, for the list of accounts."""
    now = now or utcnow()
    keys = db.session.scalars(
        select(LoginFailure.key).where(LoginFailure.key.startswith("user:"), LoginFailure.locked_until > now)
    )
    return {key.removeprefix("user:").partition("|")[0] for key in keys}


def unlock(user_id: int, username: str, actor: str | None = None) -> int:
    """Lift every lock and forget every failure counted against the account; audited when there was any.

    Returns how many counters were cleared. The caller commits.
    """
    write_transaction()
    now = utcnow()
    rows = db.session.scalars(select(LoginFailure).where(_of_account(username))).all()
    if not rows:
        return 0
    # What was cleared, without the device cookies' nonces.
    before = {"locks": [
        {"kind": c.kind, "address": c.address, "failures": c.failures,
         "until": c.locked_until.isoformat() if c.locked_until and c.locked_until > now else None}
        for c in map(_counter, rows)
    ]}
    for row in rows:
        db.session.delete(row)
    audit.record("unlock_sign_in", "user", user_id, before, None, actor=actor)
    return len(rows)


def clear(username: str) -> None:
    """Forget every failure counted against the account (an administrator set a new password). The caller commits."""
    db.session.execute(delete(LoginFailure).where(_of_account(username)))
