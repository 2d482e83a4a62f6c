"""The daily and monthly counts: kept by ingestion, and rebuilt from the ratings."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from admin.api.auth import KioskRef
from admin.api.rating_store import store_ratings
from admin.db import db
from admin.models import DailyCount, DailyReasonCount, Kiosk, MonthlyCount
from admin.reports.daily_counts import rebuild_daily_counts

from .reports_support import MON, add_counts, add_rating


def counts_table():
    return (
        sorted(db.session.execute(select(DailyCount.day, DailyCount.officer_id, DailyCount.desk_id,
                                         DailyCount.score, DailyCount.count)).all()),
        sorted(db.session.execute(select(DailyReasonCount.day, DailyReasonCount.officer_id,
                                         DailyReasonCount.desk_id, DailyReasonCount.reason_code,
                                         DailyReasonCount.count)).all()),
        sorted(db.session.execute(select(MonthlyCount.day, MonthlyCount.officer_id, MonthlyCount.desk_id,
                                         MonthlyCount.score, MonthlyCount.count)).all()),
    )


def summed_by_month(daily):
    months: dict[tuple, int] = {}
    for day, officer, desk, score, n in daily:
        key = (day.replace(day=1), officer, desk, score)
        months[key] = months.get(key, 0) + n
    return sorted((*key, n) for key, n in months.items())


def test_rebuild_daily_counts_equals_counts_kept_by_ingestion(w):
    kiosk = db.session.get(Kiosk, w.kiosk_a_id)
    kiosk.created_at = datetime(2026, 10, 1, tzinfo=timezone.utc)
    db.session.commit()
    items = [
        {"id": str(uuid.uuid4()), "seq": seq, "score": score, "officer_id": officer, "reasons": reasons,
         "source": "touch", "created_at": f"2026-11-{day:02d}T{8 + seq % 8:02d}:15:00+07:00"}
        for seq, (score, officer, reasons, day) in enumerate([
            (3, w.officer_a_id, [], 2), (1, w.officer_a_id, ["slow", "bribe"], 2), (2, None, [], 2),
            (1, None, ["attitude"], 3), (1, w.officer_a2_id, ["slow"], 3), (3, w.officer_a2_id, [], 3),
            (3, w.officer_a_id, [], 4), (1, w.officer_a_id, ["slow"], 4),
        ], start=1)
    ]
    result = store_ratings(KioskRef.of(kiosk), items, received_at=datetime(2026, 11, 4, 12, 0, tzinfo=timezone.utc))
    db.session.commit()
    assert len(result.accepted) == 8
    incremental = counts_table()
    # Ingestion kept each month's sum beside the days: officer A's three days of November are one row a score.
    assert incremental[2] == summed_by_month(incremental[0])
    assert (date(2026, 11, 1), w.officer_a_id, w.desk_a_id, 3, 2) in incremental[2]
    assert rebuild_daily_counts() == 8
    assert counts_table() == incremental
    assert (MON, 0, w.desk_a_id, "attitude", 1) not in incremental[1]
    assert (date(2026, 11, 3), 0, w.desk_a_id, "attitude", 1) in incremental[1]


def test_rebuild_daily_counts_from_ratings(w):
    add_rating(w.kiosk_a_id, 1, 3, MON, w.officer_a_id)
    add_rating(w.kiosk_a_id, 2, 3, MON, w.officer_a_id)
    add_rating(w.kiosk_a_id, 3, 1, MON, None, ("slow", "bribe"))
    add_rating(w.kiosk_b_id, 1, 1, MON + timedelta(days=1), w.officer_b_id, ("slow",))
    add_counts(MON, w.officer_a2_id, w.desk_a_id, {2: 50})  # wrong: nothing backs it
    assert rebuild_daily_counts() == 4
    scores, reasons, months = counts_table()
    assert months == summed_by_month(scores)
    assert scores == [
        (MON, 0, w.desk_a_id, 1, 1),
        (MON, w.officer_a_id, w.desk_a_id, 3, 2),
        (MON + timedelta(days=1), w.officer_b_id, w.desk_b_id, 1, 1),
    ]
    assert reasons == [
        (MON, 0, w.desk_a_id, "bribe", 1),
        (MON, 0, w.desk_a_id, "slow", 1),
        (MON + timedelta(days=1), w.officer_b_id, w.desk_b_id, "slow", 1),
    ]
