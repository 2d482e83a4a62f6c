"""Helpers of the report tests: daily counts and single ratings written straight into the tables.

Daily counts are inserted directly where a test is about reading them, and
single ratings where a test is about raw ratings (gaps, complaints, rebuild).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from admin.db import db
from admin.models import DailyCount, DailyReasonCount, Kiosk, Rating, RatingReason
from admin.reports.daily_counts import rebuild_monthly_counts

MON = date(2026, 11, 2)  # a Monday
WEEK = timedelta(days=7)


def add_counts(day: date, officer_id: int, desk_id: int, counts: dict[int, int]) -> None:
    """Daily counts as ingestion would have left them, the monthly counts summed again from them."""
    db.session.add_all(
        DailyCount(day=day, officer_id=officer_id, desk_id=desk_id, score=score, count=n)
        for score, n in counts.items()
    )
    db.session.commit()
    rebuild_monthly_counts()


def add_reason_counts(day: date, officer_id: int, desk_id: int, counts: dict[str, int]) -> None:
    db.session.add_all(
        DailyReasonCount(day=day, officer_id=officer_id, desk_id=desk_id, reason_code=code, count=n)
        for code, n in counts.items()
    )
    db.session.commit()


def add_rating(kiosk_id: int, seq: int, score: int, day: date, officer_id: int | None = None,
               reasons: tuple[str, ...] = (), received_at: datetime | None = None) -> Rating:
    kiosk = db.session.get(Kiosk, kiosk_id)
    at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=timezone.utc) + timedelta(minutes=seq)
    rating = Rating(
        uuid=uuid.uuid4(), kiosk_id=kiosk_id, desk_id=kiosk.desk_id, unit_id=kiosk.desk.unit_id,
        officer_id=officer_id, score=score, source="touch", seq=seq, created_at=at,
        received_at=received_at or at, clock_flag=False, day=day,
        reasons=[RatingReason(reason_code=code) for code in reasons],
    )
    db.session.add(rating)
    db.session.commit()
    return rating


def row_for(rows, officer_id):
    return next(r for r in rows if r.officer_id == officer_id)
