"""The daily counts the reports read: kept up to date by ingest, rebuilt on demand.

Every rating adds one to ``daily_counts`` (day, officer, desk, score) and one
per reason to ``daily_reason_counts``, in the transaction that stores it
(``api.rating_store``), so a report over tens of millions of ratings is one
grouped query over a few rows per officer and day.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select, text

from ..db import db, write_transaction
from ..driver import Driver
from ..models import NO_OFFICER, DailyCount, DailyReasonCount, Rating, RatingReason


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
