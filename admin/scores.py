"""Reports on ratings: the per-officer table, scorecards, rankings, the dashboard,
sequence gaps and the inspectors' list of misconduct complaints.

Totals come from the daily pre-aggregates (``DailyCount``, ``DailyReasonCount``)
so that a report over tens of millions of ratings is one grouped query over a
few rows per officer and day. Only the sequence gaps and the complaints, which
need single ratings, read ``ratings``.

Days are local dates (``ADMIN_TIMEZONE``) and ranges include both ends. Rates
are rounded to two decimals half away from zero with integer arithmetic, so
66.665 never turns into 66.66 through a binary float.
"""
from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import delete, func, insert, literal_column, select, text
from sqlalchemy.orm import joinedload, selectinload

from .db import db, utcnow, write_transaction
from .models import (
    NO_OFFICER,
    DailyCount,
    DailyReasonCount,
    Desk,
    Kiosk,
    Officer,
    Rating,
    RatingReason,
    Reason,
    Unit,
)
from .scale import Scale, load_reasons, load_scale
from .units import subtree_unit_ids_select

SORT_KEYS = ("satisfaction", "mean", "ratings", "name")


def round_ratio(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` of non-negative integers, to 2 decimals, half away from zero.

    None when ``denominator`` is 0. Exact: 17/8 = 2.125 gives 2.13.
    """
    if denominator == 0:
        return None
    hundredths = (200 * numerator + denominator) // (2 * denominator)
    return Decimal(hundredths).scaleb(-2)


def tally(counts: dict[int, int], scale: Scale) -> dict[str, Any]:
    """Totals of a group of ratings given its count per score.

    ``counts`` in the result has every score of the scale, zeros included
    (and any score a former, longer scale left in the data).
    """
    full = {score: 0 for score in scale.scores} | counts
    ratings = sum(full.values())
    satisfied = sum(n for score, n in full.items() if score >= scale.satisfied_from)
    return {
        "ratings": ratings,
        "satisfied": satisfied,
        "satisfaction_pct": round_ratio(100 * satisfied, ratings),
        "mean_score": round_ratio(sum(score * n for score, n in full.items()), ratings),
        "counts": full,
    }


def _score_counts(*where) -> dict[int, int]:
    """Ratings per score in the daily counts matching ``where``."""
    stmt = select(DailyCount.score, func.sum(DailyCount.count)).where(*where).group_by(DailyCount.score)
    return {score: int(n) for score, n in db.session.execute(stmt)}


def _officers_in_subtree(unit_id: int):
    return select(Officer.id).where(Officer.unit_id.in_(subtree_unit_ids_select(unit_id)))


def _desks_in_subtree(unit_id: int):
    return select(Desk.id).where(Desk.unit_id.in_(subtree_unit_ids_select(unit_id)))


# --- the per-officer table (PROTOCOL.md §3) -------------------------------------


@dataclass
class OfficerRow:
    """One officer's line in the report; ``rank`` is set by ``ranking`` only."""

    officer_id: int
    officer_code: str
    officer_name: str
    unit_name: str
    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]
    rank: int | None = None


def officer_report(start: date, end: date, unit_id: int | None = None) -> list[OfficerRow]:
    """One row per officer rated at least once from ``start`` to ``end``.

    With ``unit_id``, only officers of that unit or of a unit below it.
    Ordered by unit name, then officer name. Ratings made with nobody on
    duty belong to no officer and are left out.
    """
    scale = load_scale()
    sums = (
        select(DailyCount.officer_id, DailyCount.score, func.sum(DailyCount.count).label("n"))
        .where(DailyCount.day.between(start, end))
        .group_by(DailyCount.officer_id, DailyCount.score)
    )
    if unit_id is not None:
        sums = sums.where(DailyCount.officer_id.in_(_officers_in_subtree(unit_id)))
    sums = sums.subquery()
    stmt = (
        select(sums.c.officer_id, Officer.code, Officer.name, Unit.name.label("unit_name"), sums.c.score, sums.c.n)
        .join(Officer, Officer.id == sums.c.officer_id)
        .join(Unit, Unit.id == Officer.unit_id)
        .order_by(Unit.name, Officer.name, Officer.id)
    )
    rows = []
    for _, group in groupby(db.session.execute(stmt), key=lambda r: r.officer_id):
        group = list(group)
        first = group[0]
        rows.append(
            OfficerRow(
                officer_id=first.officer_id,
                officer_code=first.code,
                officer_name=first.name,
                unit_name=first.unit_name,
                **tally({r.score: int(r.n) for r in group}, scale),
            )
        )
    return rows


def report_columns(scale: Scale) -> list[str]:
    """The report's columns, in the order PROTOCOL.md §3 fixes."""
    return [
        "officer_id",
        "officer_code",
        "officer_name",
        "unit_name",
        "ratings",
        "satisfied",
        "satisfaction_pct",
        "mean_score",
        *(f"score_{score}" for score in scale.scores),
    ]


def _cells(row: OfficerRow, scale: Scale) -> list[Any]:
    return [
        row.officer_id,
        row.officer_code,
        row.officer_name,
        row.unit_name,
        row.ratings,
        row.satisfied,
        row.satisfaction_pct,
        row.mean_score,
        *(row.counts.get(score, 0) for score in scale.scores),
    ]


def report_csv(rows: list[OfficerRow], scale: Scale) -> str:
    """The report as CSV text with a header line; rates written as ``66.67``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report_columns(scale))
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in _cells(row, scale)])
    return out.getvalue()


def _csv_cell(cell: Any) -> Any:
    """A cell as a spreadsheet should read it: text that looks like a formula is quoted with '."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def report_json(rows: list[OfficerRow], scale: Scale) -> list[dict[str, Any]]:
    """The report as a list of objects keyed by column: counts as ints, rates as numbers or None."""
    columns = report_columns(scale)
    return [
        dict(zip(columns, (float(c) if isinstance(c, Decimal) else c for c in _cells(row, scale))))
        for row in rows
    ]


# --- one officer's scorecard ----------------------------------------------------


@dataclass
class WeekRow:
    """One ISO week of a scorecard, counting only the days inside the scorecard's range."""

    iso_year: int
    iso_week: int
    monday: date
    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]


@dataclass
class Scorecard:
    """An officer's results over a range: totals, counts per score, reasons and weeks."""

    officer: Officer
    start: date
    end: date
    include_integrity: bool
    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]
    reasons: list[tuple[Reason, int]]
    weeks: list[WeekRow]

    @property
    def officer_id(self) -> int:
        return self.officer.id


def scorecard(officer_id: int, start: date, end: date, include_integrity: bool) -> Scorecard:
    """The scorecard of officer ``officer_id`` from ``start`` to ``end``.

    Without ``include_integrity`` the misconduct reasons are not read at all,
    so neither they nor a total that contains them can reach the page: that
    is what an officer or a unit manager sees. Raises LookupError for an
    unknown officer.
    """
    officer = db.session.get(Officer, officer_id)
    if officer is None:
        raise LookupError(f"Không có cán bộ {officer_id}. / No officer {officer_id}.")
    scale = load_scale()
    in_range = (DailyCount.officer_id == officer_id, DailyCount.day.between(start, end))
    by_day = db.session.execute(
        select(DailyCount.day, DailyCount.score, func.sum(DailyCount.count))
        .where(*in_range)
        .group_by(DailyCount.day, DailyCount.score)
    ).all()
    totals: dict[int, int] = {}
    by_week: dict[date, dict[int, int]] = {}
    for day, score, n in by_day:
        totals[score] = totals.get(score, 0) + int(n)
        week = by_week.setdefault(day - timedelta(days=day.weekday()), {})
        week[score] = week.get(score, 0) + int(n)
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        iso = monday.isocalendar()
        weeks.append(WeekRow(iso.year, iso.week, monday, **tally(by_week.get(monday, {}), scale)))
        monday += timedelta(days=7)
    return Scorecard(
        officer=officer,
        start=start,
        end=end,
        include_integrity=include_integrity,
        **tally(totals, scale),
        reasons=_reason_counts(officer_id, start, end, include_integrity),
        weeks=weeks,
    )


def _reason_counts(officer_id: int, start: date, end: date, include_integrity: bool) -> list[tuple[Reason, int]]:
    """Each visible reason with how often it was given; retired reasons only when given."""
    stmt = (
        select(DailyReasonCount.reason_code, func.sum(DailyReasonCount.count))
        .where(DailyReasonCount.officer_id == officer_id, DailyReasonCount.day.between(start, end))
        .group_by(DailyReasonCount.reason_code)
    )
    if not include_integrity:
        stmt = stmt.where(DailyReasonCount.reason_code.not_in(select(Reason.code).where(Reason.integrity.is_(True))))
    given = {code: int(n) for code, n in db.session.execute(stmt)}
    return [
        (reason, given.get(reason.code, 0))
        for reason in load_reasons(active_only=False)
        if (include_integrity or not reason.integrity) and (reason.active or reason.code in given)
    ]


# --- ranking ----------------------------------------------------------------------


def _sort_key(sort: str):
    """The order of a ranking: best first, then more ratings, then by name."""
    if sort == "satisfaction":
        return lambda r: (-r.satisfaction_pct, -r.ratings, r.officer_name, r.officer_id)
    if sort == "mean":
        return lambda r: (-r.mean_score, -r.ratings, r.officer_name, r.officer_id)
    if sort == "ratings":
        return lambda r: (-r.ratings, r.officer_name, r.officer_id)
    if sort == "name":
        return lambda r: (r.officer_name, -r.ratings, r.officer_id)
    raise ValueError(f"Cách sắp xếp không hợp lệ: {sort!r}. / Unknown sort: {sort!r} (one of {', '.join(SORT_KEYS)}).")


def _merit(sort: str, row: OfficerRow) -> tuple:
    """What two officers must share to share a rank (the name only orders, it does not rank)."""
    if sort == "satisfaction":
        return (row.satisfaction_pct, row.ratings)
    if sort == "mean":
        return (row.mean_score, row.ratings)
    if sort == "ratings":
        return (row.ratings,)
    return (row.officer_id,)


def ranking(
    unit_id: int | None, start: date, end: date, min_ratings: int = 10, sort: str = "satisfaction"
) -> tuple[list[OfficerRow], list[OfficerRow]]:
    """Officers ranked over a range: (ranked, not ranked because they have too few ratings).

    Only officers with at least ``min_ratings`` ratings are ranked, so that
    one happy citizen does not put someone at the top. ``sort`` is one of
    ``satisfaction``, ``mean``, ``ratings`` (highest first) or ``name``;
    ties go to the officer with more ratings, then by name. Officers level
    on the sort value and on ratings share a rank (1, 2, 2, 4).
    """
    key = _sort_key(sort)
    rows = officer_report(start, end, unit_id)
    ranked = sorted((r for r in rows if r.ratings >= min_ratings), key=key)
    too_few = sorted((r for r in rows if r.ratings < min_ratings), key=key)
    for position, row in enumerate(ranked, start=1):
        before = ranked[position - 2] if position > 1 else None
        row.rank = before.rank if before and _merit(sort, before) == _merit(sort, row) else position
    return ranked, too_few


# --- dashboard ------------------------------------------------------------------


class OfflineKiosk(NamedTuple):
    kiosk: Kiosk
    desk: Desk
    last_seen_at: datetime | None


def dashboard(
    unit_id: int | None, start: date, end: date, today: date, now: datetime | None = None
) -> dict[str, Any]:
    """The figures at the top of the console, for a unit's subtree or everything.

    Ratings count where they were made (the desk's unit), including those
    made with nobody on duty. A kiosk is online when it is enabled and was
    heard from within ``KIOSK_OFFLINE_AFTER_S``; revoked kiosks are left out,
    they are not expected to call. Offline kiosks come longest-silent first.
    """
    scale = load_scale()
    where = [] if unit_id is None else [DailyCount.desk_id.in_(_desks_in_subtree(unit_id))]
    today_tally = tally(_score_counts(DailyCount.day == today, *where), scale)
    period_tally = tally(_score_counts(DailyCount.day.between(start, end), *where), scale)

    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["KIOSK_OFFLINE_AFTER_S"])
    stmt = select(Kiosk, Desk).join(Desk, Desk.id == Kiosk.desk_id).where(Kiosk.enabled.is_(True))
    if unit_id is not None:
        stmt = stmt.where(Desk.unit_id.in_(subtree_unit_ids_select(unit_id)))
    online = 0
    offline: list[OfflineKiosk] = []
    for kiosk, desk in db.session.execute(stmt):
        if kiosk.last_seen_at is not None and kiosk.last_seen_at >= cutoff:
            online += 1
        else:
            offline.append(OfflineKiosk(kiosk, desk, kiosk.last_seen_at))
    offline.sort(key=lambda k: (k.last_seen_at is not None, k.last_seen_at or now, k.kiosk.id))
    return {
        "ratings_today": today_tally["ratings"],
        "satisfied_today": today_tally["satisfied"],
        "pct_today": today_tally["satisfaction_pct"],
        "ratings_period": period_tally["ratings"],
        "satisfied_period": period_tally["satisfied"],
        "pct_period": period_tally["satisfaction_pct"],
        "mean_period": period_tally["mean_score"],
        "kiosks_online": online,
        "kiosks_offline": len(offline),
        "offline_kiosks": offline,
    }


# --- raw ratings: sequence gaps and complaints ----------------------------------


def seq_gaps(kiosk_id: int, limit: int = 100, last_seq: int | None = None) -> list[tuple[int, int]]:
    """Ranges of sequence numbers never received from a kiosk, as (first, last), lowest first.

    Numbers start at 1, so a first received number above 1 is a gap too;
    ``last_seq``, the highest number the kiosk reported in its heartbeat,
    shows the ratings missing after the last one received. A rating still
    waiting in the kiosk's outbox shows here until it arrives.
    """
    first, highest = db.session.execute(
        select(func.min(Rating.seq), func.max(Rating.seq)).where(Rating.kiosk_id == kiosk_id)
    ).one()
    if first is None:
        return [(1, last_seq)] if last_seq else []
    gaps = [(1, first - 1)] if first > 1 else []
    ordered = (
        select(Rating.seq.label("seq"), func.lead(Rating.seq).over(order_by=Rating.seq).label("next_seq"))
        .where(Rating.kiosk_id == kiosk_id)
        .subquery()
    )
    stmt = (
        select(ordered.c.seq + 1, ordered.c.next_seq - 1)
        .where(ordered.c.next_seq > ordered.c.seq + 1)
        .order_by(ordered.c.seq)
        .limit(limit)
    )
    gaps.extend((int(a), int(b)) for a, b in db.session.execute(stmt))
    if last_seq is not None and last_seq > highest:
        gaps.append((highest + 1, last_seq))
    return gaps[:limit]


@dataclass
class Complaint:
    """A rating that carries a misconduct reason, with what an inspector needs to follow it up."""

    rating_id: int
    uuid: uuid.UUID
    score: int
    day: date
    officer: Officer | None
    desk: Desk
    unit: Unit
    kiosk: Kiosk
    created_at: datetime
    received_at: datetime
    clock_flag: bool
    reasons: list[Reason]
    comment: str | None


def integrity_complaints(unit_id: int | None, start: date, end: date, limit: int = 500) -> list[Complaint]:
    """Ratings from ``start`` to ``end`` with an integrity reason, newest received first.

    For inspectors only: it names the officer. With ``unit_id``, ratings
    made at that unit's desks or below. ``reasons`` lists all the reasons
    the citizen chose, integrity or not.
    """
    flagged = (
        select(RatingReason.rating_id)
        .join(Reason, Reason.code == RatingReason.reason_code)
        .where(Reason.integrity.is_(True))
    )
    stmt = (
        select(Rating, Unit)
        .join(Unit, Unit.id == Rating.unit_id)
        .where(Rating.id.in_(flagged), Rating.day.between(start, end))
        .options(
            joinedload(Rating.officer),
            joinedload(Rating.desk),
            joinedload(Rating.kiosk),
            selectinload(Rating.reasons),
        )
        .order_by(Rating.received_at.desc(), Rating.id.desc())
        .limit(limit)
    )
    if unit_id is not None:
        stmt = stmt.where(Rating.unit_id.in_(subtree_unit_ids_select(unit_id)))
    reasons = load_reasons(active_only=False)
    out = []
    for rating, unit in db.session.execute(stmt):
        codes = {link.reason_code for link in rating.reasons}
        out.append(
            Complaint(
                rating_id=rating.id,
                uuid=rating.uuid,
                score=rating.score,
                day=rating.day,
                officer=rating.officer,
                desk=rating.desk,
                unit=unit,
                kiosk=rating.kiosk,
                created_at=rating.created_at,
                received_at=rating.received_at,
                clock_flag=rating.clock_flag,
                reasons=[reason for reason in reasons if reason.code in codes],
                comment=rating.comment,
            )
        )
    return out


# --- repair ---------------------------------------------------------------------


def rebuild_daily_counts() -> int:
    """Recount ``daily_counts`` and ``daily_reason_counts`` from the ratings, and commit.

    For an operator who suspects the counts, and for benchmarks that load
    ratings in bulk. Returns how many ratings were counted. Ingestion may go
    on meanwhile: on SQLite the write lock, on PostgreSQL a table lock that
    ingestion's upserts wait for, keep a rating from being counted twice or
    not at all.
    """
    write_transaction()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE daily_counts, daily_reason_counts IN EXCLUSIVE MODE"))
    db.session.execute(delete(DailyCount))
    db.session.execute(delete(DailyReasonCount))
    # Inline 0, not a bound parameter: GROUP BY must repeat the SELECT's expression exactly.
    officer = func.coalesce(Rating.officer_id, literal_column(str(NO_OFFICER)))
    db.session.execute(
        insert(DailyCount).from_select(
            ["day", "officer_id", "desk_id", "score", "count"],
            select(Rating.day, officer, Rating.desk_id, Rating.score, func.count()).group_by(
                Rating.day, officer, Rating.desk_id, Rating.score
            ),
        )
    )
    db.session.execute(
        insert(DailyReasonCount).from_select(
            ["day", "officer_id", "desk_id", "reason_code", "count"],
            select(Rating.day, officer, Rating.desk_id, RatingReason.reason_code, func.count())
            .join(RatingReason, RatingReason.rating_id == Rating.id)
            .group_by(Rating.day, officer, Rating.desk_id, RatingReason.reason_code),
        )
    )
    counted = db.session.execute(select(func.coalesce(func.sum(DailyCount.count), 0))).scalar_one()
    db.session.commit()
    return int(counted)
