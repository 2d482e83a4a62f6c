"""Checking the ratings a kiosk sends, item by item, before anything is written.

``prepare_ratings`` runs in the request's thread and reads, never writes: one
bad item never blocks the others, and what it returns is handed to the
group-commit writer (``writer``), which stores it with ``rating_store``.
Checked here: the shape and range of every field, the reasons against the
scale's list, the officer against the desk, and the kiosk's clock (a time
that cannot be right is flagged and counted on its receive day, never dropped).

A rating counts against the officer it names only if that officer was on
duty at the kiosk's desk when it was made (``not_on_duty``). Otherwise the
kiosk is wrong, by a bug or an attack: the rating is still stored, for the
desk with nobody on duty, so that no rating is lost and none is pinned on
the wrong officer; ``rating_store`` records in the audit log which officer
the kiosk named, and the watch tells the administrators
(``watch_rules``, ``officer_not_on_duty``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import select

from ..db import db
from ..driver import cursor, driver_for
from ..models import SOURCES, DutyPeriod, Reason
from ..duty_slack import DutySpan, duty_slack, explained, rating_instants
from ..scale import KIOSK_SETTINGS, load_scale
from .auth import KioskRef
from .hot_path import fetch_all
from .idempotent import validate_items
from .wire import BatchResult, ItemError, parse_instant

MAX_COMMENT = 500
MAX_TICKET = 40
MAX_REASONS = 50


@dataclass(frozen=True)
class KioskContext:
    """What validating a request's ratings needs to know, loaded once per request."""

    kiosk_id: int
    desk_id: int
    unit_id: int
    received_at: datetime
    clock_suspect: bool
    # A rating made outside these instants has a wrong clock: flagged, counted on its receive day.
    earliest_plausible: datetime
    latest_plausible: datetime
    max_score: int
    reason_codes: frozenset[str]
    integrity_codes: frozenset[str]  # reasons that complain of misconduct: each such rating opens a case
    fresh: bool  # the scale and reasons were just read, not taken from the copy
    tz: tzinfo
    # The kiosk's clock minus ours at its last heartbeat, when it sent one.
    clock_offset: timedelta | None
    duty_slack: timedelta  # see ``duty_slack``


class ValidRating(NamedTuple):
    """One valid rating of a batch, as Python values; the batch holds what its items share."""

    officer_id: int | None
    score: int
    source: str
    seq: int
    ticket: str | None
    comment: str | None
    created_at: datetime
    clock_flag: bool
    day: date  # the local day it is counted on
    reasons: frozenset[str]
    # The officer the kiosk named when it was not on duty at the desk (``officer_id`` is then None).
    named_officer_id: int | None = None


@dataclass(eq=False)  # compared and hashed by identity: a group may hold equal batches
class PreparedRatings:
    """A validated batch: the ratings to store by UUID, the request's order, the items already rejected.

    ``complaints`` holds the UUIDs of the ratings that name an integrity
    reason: each is filed into a misconduct case once stored.
    """

    kiosk_id: int
    desk_id: int
    unit_id: int
    received_at: datetime
    rows: dict[str, ValidRating]  # by canonical UUID
    order: list[tuple[str, str]]  # (id as sent, canonical UUID)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    complaints: frozenset[str] = frozenset()


# How long a process trusts what it read of the scale, the reasons and the
# officers a desk may rate. Only a value missing from the copy makes it read
# again before an item is rejected, so a kiosk that learnt of a new reason or
# officer a moment ago is never turned away by a stale copy.
CACHE_TTL_S = 5.0


def scale_rules(reload: bool) -> tuple[int, frozenset[str], frozenset[str], timedelta, bool]:
    """The highest score, the known reason codes, the integrity ones and the duty slack, from a copy
    unless stale or ``reload``.

    The last value says whether they were just read from the database.
    """
    cache = current_app.extensions.setdefault("hailong.scale_rules", {})
    now = time.monotonic()
    if reload or cache.get("until", 0.0) < now:
        reasons = db.session.execute(select(Reason.code, Reason.integrity)).all()
        cache.update(value=(
            load_scale().max_score,
            frozenset(code for code, _ in reasons),
            frozenset(code for code, integrity in reasons if integrity),
            duty_slack(KIOSK_SETTINGS.load()["heartbeat_s"]),
        ))
        cache["until"] = now + CACHE_TTL_S
        return (*cache["value"], True)
    return (*cache["value"], False)


def kiosk_context(kiosk: KioskRef, received_at: datetime, reload: bool = False) -> KioskContext:
    """Load the scale, reasons and clock state that validation checks against."""
    tolerance = timedelta(seconds=current_app.config["CLOCK_TOLERANCE_S"])
    offset = kiosk.clock_offset_s
    max_score, reason_codes, integrity_codes, slack, fresh = scale_rules(reload)
    return KioskContext(
        kiosk_id=kiosk.id,
        desk_id=kiosk.desk_id,
        unit_id=kiosk.unit_id,
        received_at=received_at,
        clock_suspect=offset is not None and abs(offset) > tolerance.total_seconds(),
        # Nothing can have been rated before the kiosk was registered, nor after it was sent.
        earliest_plausible=kiosk.created_at - tolerance,
        latest_plausible=received_at + tolerance,
        max_score=max_score,
        reason_codes=reason_codes,
        integrity_codes=integrity_codes,
        fresh=fresh,
        tz=current_app.config["TZ"],
        clock_offset=None if offset is None else timedelta(seconds=offset),
        duty_slack=slack,
    )


# Integers past these cannot be real and do not fit the database's columns.
MAX_SEQ = 2**62
MAX_ID = 2**31 - 1


def _text(value: Any, limit: int) -> bool:
    """Text of at most ``limit`` characters without NUL, which PostgreSQL cannot store."""
    return type(value) is str and len(value) <= limit and "\x00" not in value


NO_REASONS: frozenset[str] = frozenset()


def _reason_codes(reasons: Any, ctx: KioskContext) -> frozenset[str]:
    """The item's reasons (not empty) as a set of known codes, or ``ItemError``."""
    try:
        codes = frozenset(reasons) if type(reasons) is list and len(reasons) <= MAX_REASONS else None
    except TypeError:  # a list or an object among the codes
        codes = None
    if codes is None or not all(type(code) is str for code in codes):
        raise ItemError("invalid_reasons", "reasons must be a list of reason codes.")
    if not codes <= ctx.reason_codes:
        raise ItemError("unknown_reason", f"Unknown reason code: {sorted(codes - ctx.reason_codes)[0]}.")
    return codes


def validate_rating(ctx: KioskContext, item: dict[str, Any]) -> ValidRating:
    """Check one wire item and return it as a ``ValidRating``, or raise ``ItemError``.

    Runs for every rating a kiosk sends, so the checks are written for speed:
    ``type(x) is int`` is a whole number and never a boolean.
    """
    get = item.get
    seq = get("seq")
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        raise ItemError("invalid_seq", "seq must be a whole number from 1 up.")
    score = get("score")
    if type(score) is not int or not 1 <= score <= ctx.max_score:
        raise ItemError("invalid_score", f"score must be a whole number from 1 to {ctx.max_score}.")
    officer_id = get("officer_id")
    if officer_id is not None and (type(officer_id) is not int or not 1 <= officer_id <= MAX_ID):
        raise ItemError("unknown_officer", "officer_id must be an officer's id or null.")
    source = get("source")
    if type(source) is not str or source not in SOURCES:
        raise ItemError("invalid_source", "source must be 'touch' or 'button'.")
    reasons = get("reasons")
    reasons = NO_REASONS if reasons is None or reasons == [] else _reason_codes(reasons, ctx)
    ticket = get("ticket")
    if ticket is not None and not _text(ticket, MAX_TICKET):
        raise ItemError("invalid_ticket", f"ticket must be text of at most {MAX_TICKET} characters.")
    comment = get("comment")
    if comment is not None and not _text(comment, MAX_COMMENT):
        raise ItemError("invalid_comment", f"comment must be text of at most {MAX_COMMENT} characters.")
    created_at = parse_instant(get("created_at"), "created_at")
    clock_flag = ctx.clock_suspect or not ctx.earliest_plausible <= created_at <= ctx.latest_plausible
    return ValidRating(
        officer_id, score, source, seq, ticket, comment, created_at, clock_flag,
        (ctx.received_at if clock_flag else created_at).astimezone(ctx.tz).date(), reasons,
    )


# A desk's duty periods are read from this long before the batch's ratings (or
# from the oldest of them), so that the next batches of the desk, made later,
# find them in the copy.
DUTY_COPY_SPAN = timedelta(days=1)


# What a desk's ratings are checked against, read in one statement when the
# copies below lack it: the officers of ``{marks}`` that the desk may rate (an
# officer of its unit, or one who has been on duty at the desk: an officer
# moved to another unit keeps the ratings made before), and the desk's duty
# periods that end after an instant or run on. Periods come first, with their
# start (never NULL); officers after, with none.
DESK_SPANS_SQL = (
    "SELECT officer_id, starts_at, ends_at FROM duty_periods WHERE desk_id = ? AND (ends_at IS NULL OR ends_at >= ?)"
)
DESK_OFFICERS_SQL = (
    "SELECT id, NULL, NULL FROM officers WHERE id IN ({marks}) "
    "AND (unit_id = ? OR id IN (SELECT officer_id FROM duty_periods WHERE desk_id = ?))"
)
TIME_TYPES = (DutyPeriod.__table__.c.starts_at.type,)


def _desk_rows(ctx: KioskContext, officer_ids: frozenset[int], since: datetime | None) -> list[tuple[Any, ...]]:
    """The desk's allowed officers among ``officer_ids`` and its duty periods since ``since`` (None: no periods).

    Plain statements (``driver``): on the hot path's connection for the kiosk
    API, whose session holds no transaction, else in the session's, which may
    hold rows not yet committed (demo data, tests).
    """
    driver = driver_for(db.engine.dialect)
    parts: list[str] = []
    params: list[Any] = []
    if since is not None:
        bind_time = driver.binders(TIME_TYPES)[0]
        parts.append(DESK_SPANS_SQL)
        params += (ctx.desk_id, bind_time(since) if bind_time else since)
    if officer_ids:
        parts.append(DESK_OFFICERS_SQL.format(marks=", ".join("?" * len(officer_ids))))
        params += (*sorted(officer_ids), ctx.unit_id, ctx.desk_id)
    sql = driver.sql(" UNION ALL ".join(parts))
    if not db.session().in_transaction():
        return fetch_all(sql, tuple(params))
    cur = cursor(db.session.connection())
    cur.execute(sql, params)
    return cur.fetchall()


def _read_desk(
    ctx: KioskContext, officer_ids: frozenset[int], since: datetime | None,
) -> tuple[frozenset[int], tuple[DutySpan, ...]]:
    """``_desk_rows`` split into the allowed officers and the duty periods, times read as the ORM reads them."""
    driver = driver_for(db.engine.dialect)
    read = driver.reader(DutyPeriod.__table__.c.starts_at)
    allowed: set[int] = set()
    spans: list[DutySpan] = []
    for officer_id, starts, ends in _desk_rows(ctx, officer_ids, since):
        if starts is None:
            allowed.add(officer_id)
        else:
            spans.append((officer_id, read(starts), None if ends is None else read(ends)))
    return frozenset(allowed), tuple(spans)


def _officer_copy(ctx: KioskContext) -> tuple[float, frozenset[int]]:
    """Until when the copy of the desk's allowed officers holds, and the officers in it (none when stale)."""
    now = time.monotonic()
    cache = current_app.extensions.setdefault("hailong.desk_officers", {})
    until, allowed = cache.get((ctx.desk_id, ctx.unit_id), (0.0, frozenset()))
    return (until, allowed) if until >= now else (now + CACHE_TTL_S, frozenset())


def _keep_officers(ctx: KioskContext, until: float, allowed: frozenset[int]) -> None:
    current_app.extensions.setdefault("hailong.desk_officers", {})[(ctx.desk_id, ctx.unit_id)] = (until, allowed)


def _period_copy(ctx: KioskContext, since: datetime) -> tuple[DutySpan, ...] | None:
    """The copy of the desk's duty periods, if it is fresh and reaches back to ``since``."""
    until, start, spans = current_app.extensions.setdefault("hailong.desk_duty", {}).get(ctx.desk_id, (0.0, since, ()))
    return spans if until >= time.monotonic() and start <= since else None


def _periods_since(ctx: KioskContext, since: datetime) -> datetime:
    """From when to read the desk's periods for ratings made from ``since`` on (see ``DUTY_COPY_SPAN``)."""
    return min(since, ctx.received_at - DUTY_COPY_SPAN)


def _keep_periods(ctx: KioskContext, start: datetime, spans: tuple[DutySpan, ...]) -> None:
    current_app.extensions.setdefault("hailong.desk_duty", {})[ctx.desk_id] = (
        time.monotonic() + CACHE_TTL_S, start, spans,
    )


def known_officers(officer_ids: set[int], ctx: KioskContext) -> set[int]:
    """Of ``officer_ids``, those who may be rated at this kiosk's desk (see ``DESK_OFFICERS_SQL``).

    The answer is kept a few seconds per desk; an id not in the copy is looked up.
    """
    if not officer_ids:
        return set()
    until, allowed = _officer_copy(ctx)
    missing = frozenset(officer_ids) - allowed
    if missing:
        found, _ = _read_desk(ctx, missing, None)
        allowed = allowed | found
        _keep_officers(ctx, until, allowed)
    return officer_ids & allowed


def _desk_periods(ctx: KioskContext, since: datetime, reload: bool) -> tuple[tuple[DutySpan, ...], bool]:
    """The desk's duty periods that end after ``since`` or run on, and whether they were just read.

    Kept a few seconds per desk, like ``known_officers``: a batch whose
    every rating the copy explains needs no query. The copy never makes a
    rating lose its officer: ``not_on_duty`` reads again before it does.
    """
    spans = None if reload else _period_copy(ctx, since)
    if spans is not None:
        return spans, False
    start = _periods_since(ctx, since)
    _, spans = _read_desk(ctx, frozenset(), start)
    _keep_periods(ctx, start, spans)
    return spans, True


def _named(rows: dict[str, ValidRating], ctx: KioskContext) -> dict[str, tuple[int, tuple[datetime, ...]]]:
    """The officer each rating of ``rows`` names, and the instants it may have been made (``rating_instants``)."""
    return {
        key: (row.officer_id, rating_instants(row.created_at, row.clock_flag, ctx.received_at, ctx.clock_offset))
        for key, row in rows.items() if row.officer_id is not None
    }


def _earliest(named: dict[str, tuple[int, tuple[datetime, ...]]], ctx: KioskContext) -> datetime:
    """The earliest instant a duty period of the desk can explain one of the ``named`` ratings from."""
    return min(at for _, instants in named.values() for at in instants) - ctx.duty_slack


def read_desk_ahead(rows: dict[str, ValidRating], ctx: KioskContext, check_duty: bool) -> None:
    """Fill both per-desk copies that ``rows`` need in one statement, when both lack something.

    In a fleet each desk sends a rating a minute or so, and its copies
    have gone stale in between: without this, its officers and its duty
    periods are two statements. ``known_officers`` and ``not_on_duty`` then
    find what they need in the copies, and check as before.
    """
    if not check_duty:
        return
    until, allowed = _officer_copy(ctx)
    missing = frozenset(row.officer_id for row in rows.values() if row.officer_id is not None) - allowed
    if not missing:
        return
    since = _earliest(_named(rows, ctx), ctx)
    if _period_copy(ctx, since) is not None:
        return
    start = _periods_since(ctx, since)
    found, spans = _read_desk(ctx, missing, start)
    _keep_officers(ctx, until, allowed | found)
    _keep_periods(ctx, start, spans)


def not_on_duty(rows: dict[str, ValidRating], ctx: KioskContext) -> set[str]:
    """The keys of ``rows`` whose named officer was not on duty at the kiosk's desk when the rating was made.

    Within ``ctx.duty_slack`` of a duty period of the officer at the desk
    counts as on duty (see ``duty_slack``).
    """
    named = _named(rows, ctx)
    if not named:
        return set()
    since = _earliest(named, ctx)
    missing: set[str] = set()
    for reload in (False, True):
        spans, fresh = _desk_periods(ctx, since, reload)
        missing = {
            key for key, (officer_id, instants) in named.items()
            if not explained(spans, officer_id, instants, ctx.duty_slack)
        }
        if not missing or fresh:
            break
        named = {key: named[key] for key in missing}
    return missing


# Item errors that a stale copy of the scale or the reasons could cause.
RULE_ERRORS = frozenset({"invalid_score", "unknown_reason"})


def prepare_ratings(
    kiosk: KioskRef, items: list[Any], received_at: datetime, check_duty: bool = True,
) -> PreparedRatings:
    """Validate a batch of wire-format ratings from ``kiosk``; reads, never writes.

    With ``check_duty`` (the kiosk API), a rating whose officer was not on
    duty at the desk is kept for nobody (``not_on_duty``).

    Raises ``ApiError`` (400) when an item lacks a string UUID ``id``: that makes
    the whole request malformed (docs/protocol.md §2). Everything else about an
    item is reported per item.
    """
    ctx = kiosk_context(kiosk, received_at)
    batch = _validate(items, ctx, check_duty)
    if not ctx.fresh and any(r["error"]["code"] in RULE_ERRORS for r in batch.rejected):
        # The kiosk may know a level or reason that our copy does not yet: look again before refusing.
        batch = _validate(items, kiosk_context(kiosk, received_at, reload=True), check_duty)
    return batch


def _validate(items: list[Any], ctx: KioskContext, check_duty: bool) -> PreparedRatings:
    result = BatchResult()
    rows, order = validate_items(items, partial(validate_rating, ctx), result)
    read_desk_ahead(rows, ctx, check_duty)
    officers = {row.officer_id for row in rows.values()} - {None}
    allowed = known_officers(officers, ctx)
    if officers - allowed:
        for item_id, key in order:
            officer_id = rows[key].officer_id
            if officer_id is not None and officer_id not in allowed:
                result.reject(item_id, ItemError("unknown_officer", f"Officer {officer_id} does not serve at this desk."))
                del rows[key]
        order = [(item_id, key) for item_id, key in order if key in rows]
    for key in not_on_duty(rows, ctx) if check_duty else ():
        row = rows[key]
        rows[key] = row._replace(officer_id=None, named_officer_id=row.officer_id)
    complaints = frozenset(key for key, row in rows.items() if row.reasons and row.reasons & ctx.integrity_codes)
    return PreparedRatings(
        ctx.kiosk_id, ctx.desk_id, ctx.unit_id, ctx.received_at, rows, order, result.rejected, complaints
    )


