"""Storing ratings sent by kiosks: validation, idempotency, clock flags, daily counts.

``store_ratings`` is the whole of ``POST /api/v1/ratings`` apart from HTTP:
each item is checked on its own, so one bad item never blocks the others;
new ratings are inserted with ``ON CONFLICT (uuid) DO NOTHING`` so the same
UUID sent ten times, even from ten threads at once, is stored once; and the
daily counts that reports read are incremented in the same transaction.
"""
from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, or_, select, tuple_

from .db import db, utcnow
from .idempotent import insert_new, settle, validate_items
from .models import SOURCES, DailyCount, DailyReasonCount, DutyPeriod, Kiosk, Officer, Rating, RatingReason, Reason
from .scale import load_scale
from .wire import BatchResult, ItemError, parse_instant

MAX_COMMENT = 500
MAX_TICKET = 40
MAX_REASONS = 50
# Fields compared when a UUID arrives again: the same content is a duplicate,
# anything else a conflict. Times compare as instants, reasons as sets.
CONTENT_FIELDS = ("kiosk_id", "seq", "score", "officer_id", "source", "ticket", "comment", "created_at")


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
    tz: tzinfo
    tolerance: timedelta


# How long a process trusts its copy of the scale size and the reason codes.
RULES_TTL_S = 5.0


def scale_rules() -> tuple[int, frozenset[str]]:
    """The highest score and the known reason codes, read at most every few seconds.

    They change rarely, and a kiosk learns of a change only when it fetches
    its config (every heartbeat, a minute by default), so a few seconds of
    staleness here cannot reject a rating that the kiosk could have made.
    """
    cache = current_app.extensions.setdefault("hailong.scale_rules", {})
    now = time.monotonic()
    if cache.get("until", 0.0) < now:
        codes = frozenset(db.session.scalars(select(Reason.code)))
        cache.update(value=(load_scale().max_score, codes), until=now + RULES_TTL_S)
    return cache["value"]


def kiosk_context(kiosk: Kiosk, now: datetime) -> KioskContext:
    """Load the scale, reasons and clock state that validation checks against."""
    tolerance = timedelta(seconds=current_app.config["CLOCK_TOLERANCE_S"])
    offset = kiosk.clock_offset_s
    max_score, reason_codes = scale_rules()
    return KioskContext(
        kiosk_id=kiosk.id,
        desk_id=kiosk.desk_id,
        unit_id=kiosk.desk.unit_id,
        clock_suspect=offset is not None and abs(offset) > tolerance.total_seconds(),
        # Nothing can have been rated before the kiosk was registered.
        earliest_plausible=kiosk.created_at - tolerance,
        max_score=max_score,
        reason_codes=reason_codes,
        tz=current_app.config["TZ"],
        tolerance=tolerance,
    )


# Integers past these cannot be real and do not fit the database's columns.
MAX_SEQ = 2**62
MAX_ID = 2**31 - 1


def _int(value: Any, top: int = MAX_ID) -> bool:
    """A JSON whole number (not a boolean) no larger than ``top``."""
    return isinstance(value, int) and not isinstance(value, bool) and value <= top


def _text(value: Any, limit: int) -> bool:
    """Text of at most ``limit`` characters without NUL, which PostgreSQL cannot store."""
    return isinstance(value, str) and len(value) <= limit and "\x00" not in value


def validate_rating(item: dict[str, Any], ctx: KioskContext, received_at: datetime) -> dict[str, Any]:
    """Check one wire item and return the row to store, or raise ``ItemError``."""
    seq = item.get("seq")
    if not _int(seq, MAX_SEQ) or seq < 1:
        raise ItemError("invalid_seq", "seq must be a whole number from 1 up.")
    score = item.get("score")
    if not _int(score) or not 1 <= score <= ctx.max_score:
        raise ItemError("invalid_score", f"score must be a whole number from 1 to {ctx.max_score}.")
    officer_id = item.get("officer_id")
    if officer_id is not None and (not _int(officer_id) or officer_id < 1):
        raise ItemError("unknown_officer", "officer_id must be an officer's id or null.")
    source = item.get("source")
    if not isinstance(source, str) or source not in SOURCES:
        raise ItemError("invalid_source", "source must be 'touch' or 'button'.")
    reasons = item.get("reasons", [])
    if reasons is None:
        reasons = []
    if not isinstance(reasons, list) or len(reasons) > MAX_REASONS or not all(isinstance(r, str) for r in reasons):
        raise ItemError("invalid_reasons", "reasons must be a list of reason codes.")
    unknown = set(reasons) - ctx.reason_codes
    if unknown:
        raise ItemError("unknown_reason", f"Unknown reason code: {sorted(unknown)[0]}.")
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
        "reasons": frozenset(reasons),
    }


def known_officers(officer_ids: set[int], ctx: KioskContext) -> set[int]:
    """Of ``officer_ids``, those who may be rated at this kiosk's desk.

    An officer of the desk's unit, or one who has been on duty at the desk
    (an officer moved to another unit keeps the ratings made before).
    """
    if not officer_ids:
        return set()
    on_desk = select(DutyPeriod.officer_id).where(DutyPeriod.desk_id == ctx.desk_id)
    stmt = select(Officer.id).where(
        Officer.id.in_(officer_ids), or_(Officer.unit_id == ctx.unit_id, Officer.id.in_(on_desk))
    )
    return set(db.session.scalars(stmt))


def store_ratings(kiosk: Kiosk, items: list[Any], received_at: datetime | None = None) -> BatchResult:
    """Validate and store a batch of wire-format ratings from ``kiosk``; the caller commits.

    Raises ``ApiError`` (400) when an item lacks a string UUID ``id``: that makes
    the whole request malformed (PROTOCOL.md §2). Everything else about an
    item is reported per item.
    """
    received_at = received_at or utcnow()
    ctx = kiosk_context(kiosk, received_at)
    result = BatchResult()
    rows, order = validate_items(items, lambda item: validate_rating(item, ctx, received_at), result)

    allowed = known_officers({r["officer_id"] for r in rows.values() if r["officer_id"]}, ctx)
    for item_id, key in list(order):
        officer_id = rows[key]["officer_id"]
        if officer_id is not None and officer_id not in allowed:
            result.reject(item_id, ItemError("unknown_officer", f"Officer {officer_id} does not serve at this desk."))
            del rows[key]
    order = [(item_id, key) for item_id, key in order if key in rows]

    inserted = insert_new(Rating.__table__, [_rating_columns(r) for r in rows.values()])
    stored = _stored_content([key for _, key in order if key not in inserted])
    settle(result, order, inserted, stored, {key: _content(row) for key, row in rows.items()}, "rating")

    new_rows = [(inserted[key], rows[key]) for key in inserted]
    _store_reasons(new_rows)
    _count(new_rows)
    return result


def _rating_columns(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "reasons"}


def _content(row: dict[str, Any]) -> tuple:
    return tuple(row[f] for f in CONTENT_FIELDS) + (row["reasons"],)


def _stored_content(keys: list[uuid.UUID]) -> dict[uuid.UUID, tuple]:
    """The comparable content of ratings already stored under ``keys``."""
    if not keys:
        return {}
    columns = [getattr(Rating, f) for f in CONTENT_FIELDS]
    found = db.session.execute(select(Rating.uuid, Rating.id, *columns).where(Rating.uuid.in_(keys))).all()
    reasons: dict[int, set[str]] = {}
    ids = [r.id for r in found]
    for rating_id, code in db.session.execute(
        select(RatingReason.rating_id, RatingReason.reason_code).where(RatingReason.rating_id.in_(ids))
    ):
        reasons.setdefault(rating_id, set()).add(code)
    return {
        r.uuid: tuple(getattr(r, f) for f in CONTENT_FIELDS) + (frozenset(reasons.get(r.id, ())),)
        for r in found
    }


def _store_reasons(new_rows: list[tuple[int, dict[str, Any]]]) -> None:
    links = [{"rating_id": rid, "reason_code": code} for rid, row in new_rows for code in row["reasons"]]
    if links:
        db.session.execute(RatingReason.__table__.insert(), links)


def _count(new_rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Add the new ratings to the daily counts the reports read."""
    scores: Counter[tuple[date, int, int, int]] = Counter()
    reasons: Counter[tuple[date, int, int, str]] = Counter()
    for _, row in new_rows:
        officer = row["officer_id"] or 0
        scores[(row["day"], officer, row["desk_id"], row["score"])] += 1
        for code in row["reasons"]:
            reasons[(row["day"], officer, row["desk_id"], code)] += 1
    increment_counts(DailyCount, ("day", "officer_id", "desk_id", "score"), scores)
    increment_counts(DailyReasonCount, ("day", "officer_id", "desk_id", "reason_code"), reasons)


def increment_counts(model: type, key_columns: tuple[str, ...], counts: Counter) -> None:
    """Add ``n`` to the count of each key, creating the rows that are missing.

    Look up, update, insert: cached statements, like ``insert_new``, with the
    same answer to a concurrent insert on PostgreSQL (``IntegrityError``, and
    the caller runs the batch again). Keys are sorted so concurrent
    transactions lock rows in the same order and cannot deadlock.
    """
    if not counts:
        return
    table = model.__table__
    conn = db.session.connection()
    columns = [table.c[name] for name in key_columns]
    keys = sorted(counts)
    existing = set(conn.execute(select(*columns).where(tuple_(*columns).in_(keys))).tuples())
    update = (
        table.update()
        .where(*(column == bindparam(f"k_{column.name}") for column in columns))
        .values(count=table.c.count + bindparam("n"))
    )
    changes = [
        {**{f"k_{name}": value for name, value in zip(key_columns, key)}, "n": counts[key]}
        for key in keys
        if key in existing
    ]
    if changes:
        conn.execute(update, changes)
    new = [dict(zip(key_columns, key), count=counts[key]) for key in keys if key not in existing]
    if new:
        conn.execute(table.insert(), new)
