"""Storing ratings sent by kiosks: validation, idempotency, clock flags, daily counts.

Two steps, so that the API can run them on different threads:

- ``prepare_ratings`` checks each item on its own (one bad item never blocks
  the others), in the request's thread;
- ``write_ratings`` stores the valid ones on a connection, inside the
  caller's transaction: inserted with ``ON CONFLICT (uuid) DO NOTHING``, so
  the same UUID sent ten times, even from ten threads at once, is stored
  once; a UUID already stored is a duplicate when its content is the same,
  else a conflict; and the daily counts the reports read grow in the same
  transaction.

The API hands ``write_ratings`` to the group-commit writer (``writer``);
``store_ratings`` does both steps in the session's transaction (demo data).
The insert and the counts are plain driver statements (see ``driver``).
"""
from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Uuid, or_, select
from sqlalchemy.engine import Connection

from .db import db, utcnow
from .driver import Driver, cursor, driver_for
from .idempotent import settle, validate_items
from .kiosks import KioskRef
from .models import SOURCES, DutyPeriod, Officer, Rating, RatingReason, Reason
from .scale import load_scale
from .wire import BatchResult, ItemError, parse_instant

MAX_COMMENT = 500
MAX_TICKET = 40
MAX_REASONS = 50
# Fields compared when a UUID arrives again: the same content is a duplicate,
# anything else a conflict. Times compare as instants, reasons as sets.
CONTENT_FIELDS = ("kiosk_id", "seq", "score", "officer_id", "source", "ticket", "comment", "created_at")
# The columns of a new rating, in the order of the insert statement.
INSERT_FIELDS = (
    "uuid", "kiosk_id", "desk_id", "unit_id", "officer_id", "score", "source", "seq",
    "ticket", "comment", "created_at", "received_at", "clock_flag", "day",
)
# The UUID is bound from its canonical text (see ``wire.require_uuid``).
INSERT_TYPES = (Uuid(as_uuid=False), *(Rating.__table__.c[name].type for name in INSERT_FIELDS[1:]))


@dataclass(frozen=True)
class KioskContext:
    """What validating a kiosk's ratings needs to know, loaded once per request."""

    kiosk_id: int
    desk_id: int
    unit_id: int
    clock_suspect: bool
    earliest_plausible: datetime
    max_score: int
    reason_codes: frozenset[str]
    fresh: bool  # the scale and reasons were just read, not taken from the copy
    tz: tzinfo
    tolerance: timedelta


@dataclass
class PreparedRatings:
    """A validated batch: the rows to store by UUID, the request's order, the items already rejected."""

    rows: dict[str, dict[str, Any]]  # by canonical UUID
    order: list[tuple[str, str]]  # (id as sent, canonical UUID)
    rejected: list[dict[str, Any]] = field(default_factory=list)


# How long a process trusts what it read of the scale, the reasons and the
# officers a desk may rate. Only a value missing from the copy makes it read
# again before an item is rejected, so a kiosk that learnt of a new reason or
# officer a moment ago is never turned away by a stale copy.
CACHE_TTL_S = 5.0


def scale_rules(reload: bool) -> tuple[int, frozenset[str], bool]:
    """The highest score and the known reason codes, from a copy unless stale or ``reload``.

    The third value says whether they were just read from the database.
    """
    cache = current_app.extensions.setdefault("hailong.scale_rules", {})
    now = time.monotonic()
    if reload or cache.get("until", 0.0) < now:
        cache.update(value=(load_scale().max_score, frozenset(db.session.scalars(select(Reason.code)))))
        cache["until"] = now + CACHE_TTL_S
        return (*cache["value"], True)
    return (*cache["value"], False)


def kiosk_context(kiosk: KioskRef, reload: bool = False) -> KioskContext:
    """Load the scale, reasons and clock state that validation checks against."""
    tolerance = timedelta(seconds=current_app.config["CLOCK_TOLERANCE_S"])
    offset = kiosk.clock_offset_s
    max_score, reason_codes, fresh = scale_rules(reload)
    return KioskContext(
        kiosk_id=kiosk.id,
        desk_id=kiosk.desk_id,
        unit_id=kiosk.unit_id,
        clock_suspect=offset is not None and abs(offset) > tolerance.total_seconds(),
        # Nothing can have been rated before the kiosk was registered.
        earliest_plausible=kiosk.created_at - tolerance,
        max_score=max_score,
        reason_codes=reason_codes,
        fresh=fresh,
        tz=current_app.config["TZ"],
        tolerance=tolerance,
    )


# Integers past these cannot be real and do not fit the database's columns.
MAX_SEQ = 2**62
MAX_ID = 2**31 - 1


def _text(value: Any, limit: int) -> bool:
    """Text of at most ``limit`` characters without NUL, which PostgreSQL cannot store."""
    return type(value) is str and len(value) <= limit and "\x00" not in value


NO_REASONS: frozenset[str] = frozenset()


def _reason_codes(reasons: Any, ctx: KioskContext) -> frozenset[str]:
    """The item's reasons as a set of known codes, or ``ItemError``."""
    if reasons is None or reasons == []:
        return NO_REASONS
    try:
        codes = frozenset(reasons) if type(reasons) is list and len(reasons) <= MAX_REASONS else None
    except TypeError:  # a list or an object among the codes
        codes = None
    if codes is None or not all(type(code) is str for code in codes):
        raise ItemError("invalid_reasons", "reasons must be a list of reason codes.")
    if not codes <= ctx.reason_codes:
        raise ItemError("unknown_reason", f"Unknown reason code: {sorted(codes - ctx.reason_codes)[0]}.")
    return codes


def validate_rating(item: dict[str, Any], ctx: KioskContext, received_at: datetime) -> dict[str, Any]:
    """Check one wire item and return the row to store, or raise ``ItemError``.

    Runs for every rating a kiosk sends, so the checks are written for speed:
    ``type(x) is int`` is a whole number and never a boolean.
    """
    seq = item.get("seq")
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        raise ItemError("invalid_seq", "seq must be a whole number from 1 up.")
    score = item.get("score")
    if type(score) is not int or not 1 <= score <= ctx.max_score:
        raise ItemError("invalid_score", f"score must be a whole number from 1 to {ctx.max_score}.")
    officer_id = item.get("officer_id")
    if officer_id is not None and (type(officer_id) is not int or not 1 <= officer_id <= MAX_ID):
        raise ItemError("unknown_officer", "officer_id must be an officer's id or null.")
    source = item.get("source")
    if type(source) is not str or source not in SOURCES:
        raise ItemError("invalid_source", "source must be 'touch' or 'button'.")
    reasons = _reason_codes(item.get("reasons"), ctx)
    ticket = item.get("ticket")
    if ticket is not None and not _text(ticket, MAX_TICKET):
        raise ItemError("invalid_ticket", f"ticket must be text of at most {MAX_TICKET} characters.")
    comment = item.get("comment")
    if comment is not None and not _text(comment, MAX_COMMENT):
        raise ItemError("invalid_comment", f"comment must be text of at most {MAX_COMMENT} characters.")
    created_at = parse_instant(item.get("created_at"), "created_at")
    clock_flag = (
        ctx.clock_suspect
        or created_at > received_at + ctx.tolerance
        or created_at < ctx.earliest_plausible
    )
    counted_at = received_at if clock_flag else created_at
    return {
        "kiosk_id": ctx.kiosk_id,
        "desk_id": ctx.desk_id,
        "unit_id": ctx.unit_id,
        "officer_id": officer_id,
        "score": score,
        "source": source,
        "seq": seq,
        "ticket": ticket,
        "comment": comment,
        "created_at": created_at,
        "received_at": received_at,
        "clock_flag": clock_flag,
        "day": counted_at.astimezone(ctx.tz).date(),
        "reasons": reasons,
    }


def known_officers(officer_ids: set[int], ctx: KioskContext) -> set[int]:
    """Of ``officer_ids``, those who may be rated at this kiosk's desk.

    An officer of the desk's unit, or one who has been on duty at the desk
    (an officer moved to another unit keeps the ratings made before). The
    answer is kept a few seconds per desk; an id not in the copy is looked up.
    """
    if not officer_ids:
        return set()
    cache = current_app.extensions.setdefault("hailong.desk_officers", {})
    now = time.monotonic()
    key = (ctx.desk_id, ctx.unit_id)
    until, allowed = cache.get(key, (0.0, frozenset()))
    if until < now:
        until, allowed = now + CACHE_TTL_S, frozenset()
    missing = officer_ids - allowed
    if missing:
        on_desk = select(DutyPeriod.officer_id).where(DutyPeriod.desk_id == ctx.desk_id)
        stmt = select(Officer.id).where(
            Officer.id.in_(missing), or_(Officer.unit_id == ctx.unit_id, Officer.id.in_(on_desk))
        )
        allowed = allowed | frozenset(db.session.scalars(stmt))
        cache[key] = (until, allowed)
    return officer_ids & allowed


# Item errors that a stale copy of the scale or the reasons could cause.
RULE_ERRORS = frozenset({"invalid_score", "unknown_reason"})


def prepare_ratings(kiosk: KioskRef, items: list[Any], received_at: datetime) -> PreparedRatings:
    """Validate a batch of wire-format ratings from ``kiosk``; reads, never writes.

    Raises ``ApiError`` (400) when an item lacks a string UUID ``id``: that makes
    the whole request malformed (PROTOCOL.md §2). Everything else about an
    item is reported per item.
    """
    ctx = kiosk_context(kiosk)
    batch = _validate(items, ctx, received_at)
    if not ctx.fresh and any(r["error"]["code"] in RULE_ERRORS for r in batch.rejected):
        # The kiosk may know a level or reason that our copy does not yet: look again before refusing.
        batch = _validate(items, kiosk_context(kiosk, reload=True), received_at)
    return batch


def _validate(items: list[Any], ctx: KioskContext, received_at: datetime) -> PreparedRatings:
    result = BatchResult()
    rows, order = validate_items(items, lambda item: validate_rating(item, ctx, received_at), result)
    allowed = known_officers({r["officer_id"] for r in rows.values() if r["officer_id"]}, ctx)
    for item_id, key in order:
        officer_id = rows[key]["officer_id"]
        if officer_id is not None and officer_id not in allowed:
            result.reject(item_id, ItemError("unknown_officer", f"Officer {officer_id} does not serve at this desk."))
            del rows[key]
    order = [(item_id, key) for item_id, key in order if key in rows]
    return PreparedRatings(rows, order, result.rejected)


def write_ratings(conn: Connection, batch: PreparedRatings) -> BatchResult:
    """Store a prepared batch on ``conn``, inside its transaction; the caller commits.

    May run more than once for the same batch (the writer retries a failed
    group one request at a time), so it changes nothing in ``batch``.
    """
    result = BatchResult(rejected=list(batch.rejected))
    driver = driver_for(conn.dialect)
    cur = cursor(conn)
    inserted = _insert(cur, driver, batch.rows)
    pending = [key for _, key in batch.order if key not in inserted]
    stored = _stored_content(conn, pending)
    settle(result, batch.order, inserted, stored, {key: _content(batch.rows[key]) for key in pending}, "rating")

    new_rows = [(inserted[key], batch.rows[key]) for key in inserted]
    _store_reasons(cur, driver, new_rows)
    _count(cur, driver, new_rows)
    return result


def store_ratings(kiosk: KioskRef, items: list[Any], received_at: datetime | None = None) -> BatchResult:
    """Validate and store ratings in the session's transaction; the caller commits."""
    batch = prepare_ratings(kiosk, items, received_at or utcnow())
    return write_ratings(db.session.connection(), batch)


@lru_cache(maxsize=512)
def _insert_sql(n_rows: int) -> str:
    row = "(" + ", ".join("?" * len(INSERT_FIELDS)) + ")"
    return (
        f"INSERT INTO ratings ({', '.join(INSERT_FIELDS)}) VALUES {', '.join([row] * n_rows)} "
        # As text, the UUID comes back as it was bound, on SQLite and PostgreSQL alike.
        "ON CONFLICT (uuid) DO NOTHING RETURNING id, CAST(uuid AS VARCHAR)"
    )


# Values that repeat within a batch (all items share ``received_at``, most a
# day): bound once per batch.
REPEATED_FIELDS = frozenset({"received_at", "day", "kiosk_id", "desk_id", "unit_id", "source", "clock_flag"})


def _insert(cur: Any, driver: Driver, rows: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose UUID is new, in one statement; ``{uuid: id}`` of those inserted."""
    if not rows:
        return {}
    convert = [
        (i, bind, {} if INSERT_FIELDS[i] in REPEATED_FIELDS else None)
        for i, bind in enumerate(driver.binders(INSERT_TYPES))
        if bind is not None
    ]
    params: list[Any] = []
    by_bound_uuid: dict[str, str] = {}
    for key, row in rows.items():
        values = [key, *map(row.__getitem__, INSERT_FIELDS[1:])]
        for i, bind, memo in convert:
            value = values[i]
            if value is None:
                continue
            if memo is None:
                values[i] = bind(value)
            else:
                bound = memo.get(value)
                values[i] = bound if bound is not None else memo.setdefault(value, bind(value))
        by_bound_uuid[values[0]] = key
        params += values
    cur.execute(driver.sql(_insert_sql(len(rows))), params)
    return {by_bound_uuid[stored_uuid]: rating_id for rating_id, stored_uuid in cur.fetchall()}


def _content(row: dict[str, Any]) -> tuple:
    return tuple(row[f] for f in CONTENT_FIELDS) + (row["reasons"],)


def _stored_content(conn: Connection, keys: list[str]) -> dict[str, tuple]:
    """The comparable content of ratings already stored under ``keys`` (rare: re-sent batches)."""
    if not keys:
        return {}
    columns = [getattr(Rating, f) for f in CONTENT_FIELDS]
    found = conn.execute(
        select(Rating.uuid, Rating.id, *columns).where(Rating.uuid.in_([uuid.UUID(key) for key in keys]))
    ).all()
    reasons: dict[int, set[str]] = {}
    ids = [r.id for r in found]
    for rating_id, code in conn.execute(
        select(RatingReason.rating_id, RatingReason.reason_code).where(RatingReason.rating_id.in_(ids))
    ):
        reasons.setdefault(rating_id, set()).add(code)
    return {
        str(r.uuid): tuple(getattr(r, f) for f in CONTENT_FIELDS) + (frozenset(reasons.get(r.id, ())),)
        for r in found
    }


REASONS_SQL = "INSERT INTO rating_reasons (rating_id, reason_code) VALUES (?, ?)"


def _store_reasons(cur: Any, driver: Driver, new_rows: list[tuple[int, dict[str, Any]]]) -> None:
    links = [(rating_id, code) for rating_id, row in new_rows for code in sorted(row["reasons"])]
    if links:
        cur.executemany(driver.sql(REASONS_SQL), links)


def _count(cur: Any, driver: Driver, new_rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Add the new ratings to the daily counts the reports read."""
    scores: Counter[tuple[date, int, int, int]] = Counter()
    reasons: Counter[tuple[date, int, int, str]] = Counter()
    for _, row in new_rows:
        officer = row["officer_id"] or 0
        scores[(row["day"], officer, row["desk_id"], row["score"])] += 1
        for code in row["reasons"]:
            reasons[(row["day"], officer, row["desk_id"], code)] += 1
    increment_counts(cur, driver, "daily_counts", "score", scores)
    increment_counts(cur, driver, "daily_reason_counts", "reason_code", reasons)


@lru_cache(maxsize=4)
def _upsert_sql(table: str, last_key: str) -> str:
    keys = f"day, officer_id, desk_id, {last_key}"
    return (
        f"INSERT INTO {table} ({keys}, count) VALUES (?, ?, ?, ?, ?) "
        f"ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + excluded.count"
    )


def increment_counts(cur: Any, driver: Driver, table: str, last_key: str, counts: Counter) -> None:
    """Add ``n`` to the count of each ``(day, officer_id, desk_id, last_key)``, creating missing rows.

    An upsert, so a concurrent insert of the same key (PostgreSQL, several
    processes) adds to it instead of failing. Keys are sorted so that
    concurrent transactions lock rows in the same order and cannot deadlock.
    """
    if not counts:
        return
    bind_day = driver.binders((Rating.__table__.c.day.type,))[0] or (lambda day: day)
    cur.executemany(
        driver.sql(_upsert_sql(table, last_key)),
        [(bind_day(day), officer, desk, last, counts[(day, officer, desk, last)])
         for day, officer, desk, last in sorted(counts)],
    )
